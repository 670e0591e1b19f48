"""Boosts and reactions as Telegram tells a bot of them: a member boosts the group with their
Premium (`chat_boost`, again when extended), takes the boost back (`removed_chat_boost`), or
reacts to a message (`message_reaction`); the control API's and the terminal's way to do so.

Telegram sends these to a bot that is an administrator of the chat, and `message_reaction`
only to one that asked for it in `allowed_updates` (`World.push_update` knows which).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from aiohttp import web

from sandbox.errors import bad_request
from sandbox.world import WORLD, SandboxChat, SandboxUser, World

BOOST_DAYS = 30  # a month of Premium
routes = web.RouteTableDef()


def person(world: World, user_id: int) -> SandboxUser:
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


def is_admin_bot(world: World, chat: SandboxChat) -> bool:
    return world.bot_membership(chat).status in ("administrator", "creator")


def boost(
    world: World, chat: SandboxChat, user: SandboxUser, boost_id: str | None = None,
    days: int = BOOST_DAYS,
) -> dict[str, Any]:  # fmt: skip
    """`user` boosts the group with Premium (a new boost), or extends `boost_id`: a
    `ChatBoost`; the bot, if an admin, gets a `chat_boost` update."""
    if not chat.is_group:
        raise bad_request("chat not found")
    now = int(time.time())
    if boost_id is not None:
        known = chat.boosts.get(boost_id)
        if known is None or known["source"]["user"]["id"] != user.id:
            raise bad_request("boost not found")
        known["expiration_date"] = max(known["expiration_date"], now) + days * 86_400
        found = known
    else:
        found = {
            "boost_id": secrets.token_urlsafe(12), "add_date": now,
            "expiration_date": now + days * 86_400,
            "source": {"source": "premium", "user": user.to_api()},
        }  # fmt: skip
        chat.boosts[found["boost_id"]] = found
    update = None
    if is_admin_bot(world, chat):
        update = world.push_update("chat_boost", {"chat": chat.to_api(), "boost": dict(found)})
    return {"boost": found, "update_id": update["update_id"] if update else None}


def unboost(world: World, chat: SandboxChat, user: SandboxUser) -> dict[str, Any] | None:
    """`user` takes back their latest boost: `removed_chat_boost` to an admin bot. None when
    they have none."""
    mine = [b for b in chat.boosts.values() if b["source"]["user"]["id"] == user.id]
    if not mine:
        return None
    gone = max(mine, key=lambda b: b["add_date"])
    del chat.boosts[gone["boost_id"]]
    update = None
    if is_admin_bot(world, chat):
        update = world.push_update(
            "removed_chat_boost",
            {"chat": chat.to_api(), "boost_id": gone["boost_id"],
             "remove_date": int(time.time()), "source": gone["source"]},
        )  # fmt: skip
    return {"boost_id": gone["boost_id"], "update_id": update["update_id"] if update else None}


def boosts_of(chat: SandboxChat, user_id: int) -> list[dict[str, Any]]:
    return [b for b in chat.boosts.values() if b["source"]["user"]["id"] == user_id]


def react(
    world: World, chat: SandboxChat, message_id: int, user: SandboxUser | None,
    emoji: list[str],
) -> dict[str, Any]:  # fmt: skip
    """A member (None: an anonymous admin, as the group) sets their reactions to a message (an
    empty list clears them): `message_reaction`, with the old and new reactions."""
    if message_id not in chat.messages or message_id in chat.deleted:
        raise bad_request("message not found")
    actor = user.id if user is not None else 0
    reactions = chat.reactions.setdefault(message_id, {})
    old = reactions.get(actor, [])
    new = [{"type": "emoji", "emoji": each} for each in emoji]
    reactions[actor] = new
    update = None
    if is_admin_bot(world, chat):
        who = {"user": user.to_api()} if user is not None else {"actor_chat": chat.to_api()}
        payload = {
            "chat": chat.to_api(), "message_id": message_id, **who,
            "date": int(time.time()), "old_reaction": old, "new_reaction": new,
        }  # fmt: skip
        update = world.push_update("message_reaction", payload)
    return {"update_id": update["update_id"] if update else None}


def _chat(request: web.Request) -> tuple[World, SandboxChat]:
    world = request.app[WORLD]
    chat = world.chat(int(request.match_info["chat_id"]))
    if chat is None:
        raise web.HTTPNotFound(text="no such chat")
    return world, chat


async def _body(request: web.Request) -> dict[str, Any]:
    data = await request.json() if request.can_read_body else {}
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


@routes.post("/control/chats/{chat_id}/boosts")
async def user_boosts(request: web.Request) -> web.Response:
    """{"user_id", "boost_id"?: extend it, "days"?}: a boost, and its `chat_boost` update."""
    (world, chat), data = _chat(request), await _body(request)
    user = person(world, int(data["user_id"]))
    days = int(data.get("days", BOOST_DAYS))
    return web.json_response(boost(world, chat, user, data.get("boost_id"), days))


@routes.post("/control/chats/{chat_id}/boosts/remove")
async def user_unboosts(request: web.Request) -> web.Response:
    """{"user_id"}: their latest boost removed, and its `removed_chat_boost` update."""
    (world, chat), data = _chat(request), await _body(request)
    removed = unboost(world, chat, person(world, int(data["user_id"])))
    if removed is None:
        raise web.HTTPBadRequest(text="the user has no boost here")
    return web.json_response(removed)
