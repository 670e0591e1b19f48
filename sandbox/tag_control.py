"""Member tags set by people, not the bot: an admin in the app, or a member editing their own
(`can_edit_tag`). Tests use it to check the bot leaves such tags alone. And whether a group's
tags outlive their members' leaving, which Telegram does not document: the bot must work
either way."""

from __future__ import annotations

from aiohttp import web

from sandbox.botapi import user_of
from sandbox.control import body, chat_of, world_of

routes = web.RouteTableDef()


@routes.post("/control/chats/{chat_id}/members/{user_id}/tag")
async def tag_by_hand(request: web.Request) -> web.Response:
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user = user_of(world, int(request.match_info["user_id"]))
    membership = chat.members.get(user.id)
    if membership is None or membership.status not in ("member", "restricted"):
        raise web.HTTPBadRequest(text="only a member who is no admin has a tag")
    membership.tag = str(data.get("tag") or "")
    world.record("tag_set", chat_id=chat.id, user_id=user.id, tag=membership.tag, by_hand=True)
    return web.json_response({"tag": membership.tag})


@routes.post("/control/chats/{chat_id}/keeps_tags")
async def keep_tags(request: web.Request) -> web.Response:
    """`{"keeps": true}`: a member who leaves and comes back finds their tag again."""
    chat, data = chat_of(request), await body(request)
    chat.keeps_tags = bool(data.get("keeps", True))
    return web.json_response({"keeps_tags": chat.keeps_tags})
