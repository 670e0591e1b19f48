"""The control API of ephemeral messages: what one member's client shows, a press on an
ephemeral message's button, a member's ephemeral command, and the switch that makes the sandbox
an older Bot API server."""

from __future__ import annotations

import time

from aiohttp import web

from sandbox.botapi import user_of
from sandbox.control import body, chat_of, world_of

routes = web.RouteTableDef()


@routes.post("/control/ephemeral")
async def set_ephemeral_support(request: web.Request) -> web.Response:
    """`{"supported": false}`: answer as a server before Bot API 10.2 (the parameters are
    ignored, so the message goes to everyone; the editEphemeralMessage… methods are unknown)."""
    world, data = world_of(request), await body(request)
    if "supported" in data:
        world.ephemeral.supported = bool(data["supported"])
    return web.json_response({"supported": world.ephemeral.supported})


@routes.get("/control/chats/{chat_id}/seen_by/{user_id}")
async def seen_by(request: web.Request) -> web.Response:
    """The chat as one member's client shows it: the group's history, and the ephemeral
    messages for that member only (`ephemeral_message_id` set, `message_id` 0), by date."""
    world, chat = world_of(request), chat_of(request)
    user = user_of(world, int(request.match_info["user_id"]))
    history = [m for mid, m in chat.messages.items() if mid not in chat.deleted]
    mine = world.ephemeral.seen_by(chat.id, user.id)
    return web.json_response(
        {"messages": sorted(history + mine, key=lambda m: m["date"]), "ephemeral": mine}
    )


@routes.post("/control/chats/{chat_id}/ephemeral/{ephemeral_message_id}/press")
async def press_on_ephemeral(request: web.Request) -> web.Response:
    """The member who sees an ephemeral message presses one of its buttons."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user = user_of(world, int(data["user_id"]))
    kept = world.ephemeral.by_chat[chat.id].get(int(request.match_info["ephemeral_message_id"]))
    if kept is None or kept[0] != user.id:
        raise web.HTTPNotFound(text="no such ephemeral message for that member")
    message = kept[1]
    buttons = [
        button.get("callback_data")
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]
    callback_data = data.get("data") or next((b for b in buttons if b), None)
    if callback_data not in buttons:
        raise web.HTTPBadRequest(text="the message has no button with that data")
    query_id, update = world.press_button(chat, message, user, callback_data)
    return web.json_response(
        {"query_id": query_id, "update_id": update["update_id"] if update else None}
    )


@routes.post("/control/chats/{chat_id}/ephemeral_commands")
async def ephemeral_command(request: web.Request) -> web.Response:
    """A member sends a command the bot registered `is_ephemeral`, as an ephemeral message: the
    bot gets a Message with `message_id` 0 and an `ephemeral_message_id`; nobody else sees it."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user, text = user_of(world, int(data["user_id"])), str(data["text"])
    membership = chat.members.get(user.id)
    if not chat.is_group or membership is None or not membership.present:
        raise web.HTTPBadRequest(text="user is not a member of the group")
    name = text.split(maxsplit=1)[0].lstrip("/").split("@")[0] if text.startswith("/") else ""
    registered = any(
        command.get("command") == name and command.get("is_ephemeral")
        for commands in world.commands.values()
        for command in commands
    )
    if not registered or not world.ephemeral.supported:
        raise web.HTTPBadRequest(text=f"the bot has no ephemeral command /{name}")
    message = world.new_message(chat, user, in_history=False, text=text)
    message["ephemeral_message_id"] = world.ephemeral.next_id(chat.id)
    world.ephemeral.incoming[chat.id][message["ephemeral_message_id"]] = (
        user.id, time.time(), message,
    )  # fmt: skip
    update_id = world.emit_message(chat, message)
    return web.json_response({"message": message, "update_id": update_id})
