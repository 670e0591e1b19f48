"""How a test makes a member answer a poll (the `poll_answer` update Telegram sends for a
non-anonymous one, refused as a client would refuse it), reads a poll's state, and fixes the
values the next dice show."""

from __future__ import annotations

from aiohttp import web

from sandbox.botapi import user_of
from sandbox.botapi.games import games_of
from sandbox.control import body, world_of

routes = web.RouteTableDef()


@routes.post("/control/polls/{poll_id}/answer")
async def answer_poll(request: web.Request) -> web.Response:
    """`{"user_id": …, "option_ids": [0]}`: a member votes (an empty list retracts, where the
    poll allows it)."""
    world, data = world_of(request), await body(request)
    found = games_of(world).polls.get(request.match_info["poll_id"])
    if found is None:
        raise web.HTTPNotFound(text="no such poll")
    user = user_of(world, int(data["user_id"]))
    chat = world.chat(found.chat_id)
    assert chat is not None
    membership = chat.members.get(user.id)
    if membership is None or not membership.present:
        raise web.HTTPBadRequest(text="only the chat's members vote")
    poll = found.poll
    options = [int(i) for i in data.get("option_ids") or []]
    if poll["is_closed"]:
        raise web.HTTPBadRequest(text="the poll is closed")
    if user.id in found.voters and not poll["allows_revoting"]:
        raise web.HTTPBadRequest(text="the member voted already")
    if not options and not poll["allows_revoting"]:
        raise web.HTTPBadRequest(text="a vote here cannot be retracted")
    if len(options) > 1 and not poll["allows_multiple_answers"]:
        raise web.HTTPBadRequest(text="one option only")
    if any(not 0 <= i < len(poll["options"]) for i in options) or len(set(options)) != len(options):
        raise web.HTTPBadRequest(text="no such option")
    for i in found.voters.pop(user.id, []):
        poll["options"][i]["voter_count"] -= 1
    if options:
        found.voters[user.id] = sorted(options)
        for i in options:
            poll["options"][i]["voter_count"] += 1
    poll["total_voter_count"] = len(found.voters)
    update = None
    if not poll["is_anonymous"]:
        update = world.push_update(
            "poll_answer",
            {
                "poll_id": poll["id"],
                "user": user.to_api(),
                "option_ids": sorted(options),
                "option_persistent_ids": [poll["options"][i]["persistent_id"] for i in options],
            },
        )
    return web.json_response({"poll": poll, "update_id": update["update_id"] if update else None})


@routes.get("/control/polls/{poll_id}")
async def poll_state(request: web.Request) -> web.Response:
    found = games_of(world_of(request)).polls.get(request.match_info["poll_id"])
    if found is None:
        raise web.HTTPNotFound(text="no such poll")
    return web.json_response(
        {"chat_id": found.chat_id, "message_id": found.message_id, "poll": found.poll,
         "voters": {str(user): options for user, options in found.voters.items()}}
    )  # fmt: skip


@routes.post("/control/dice")
async def fix_dice(request: web.Request) -> web.Response:
    """`{"values": [6, 2]}`: the next dice sent show these values, in order."""
    data = await body(request)
    values = [int(v) for v in data.get("values") or []]
    if any(not 1 <= v <= 64 for v in values):
        raise web.HTTPBadRequest(text="a dice value is 1-64")
    games = games_of(world_of(request))
    games.next_dice = values
    return web.json_response({"next": values})
