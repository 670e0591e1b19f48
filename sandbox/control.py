"""The control API: tests and `fanbot sandbox` act as people, then read what the bot did."""

from __future__ import annotations

import base64
import time
from typing import Any

from aiohttp import web

from sandbox.botapi import user_of
from sandbox.botapi.admin_tools import may_post, member_content
from sandbox.engagement import react
from sandbox.errors import BotApiError, bad_request
from sandbox.files import photo_sizes
from sandbox.joins import join, request_join
from sandbox.limits import Fault, LimitConfig
from sandbox.world import ADMIN_RIGHTS, WORLD, Membership, SandboxChat, SandboxUser, World

ANONYMOUS_ADMIN = SandboxUser(
    id=1087968824, first_name="Group", username="GroupAnonymousBot", is_bot=True
)
routes = web.RouteTableDef()


def world_of(request: web.Request) -> World:
    return request.app[WORLD]


def chat_of(request: web.Request) -> SandboxChat:
    chat = world_of(request).chat(int(request.match_info["chat_id"]))
    if chat is None:
        raise web.HTTPNotFound(text="no such chat")
    return chat


async def body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


@routes.post("/control/users")
async def create_user(request: web.Request) -> web.Response:
    data = await body(request)
    user = world_of(request).add_user(
        data.get("first_name", "User"),
        data.get("username"),
        last_name=data.get("last_name"),
        language_code=data.get("language_code"),
    )
    return web.json_response(user.to_api())


@routes.post("/control/chats")
async def create_chat(request: web.Request) -> web.Response:
    """A group with a creator, members, admins, and the bot in it with the given status."""
    world, data = world_of(request), await body(request)
    chat_type = data.get("type", "supergroup")
    if chat_type not in ("group", "supergroup"):
        raise web.HTTPBadRequest(text="type must be group or supergroup")
    chat = world.add_chat(chat_type, data.get("title", "Fans"), bool(data.get("is_forum")))
    if data.get("creator"):
        chat.members[int(data["creator"])] = Membership("creator")
    for user_id in data.get("admins", []):
        chat.members[int(user_id)] = Membership("administrator", dict.fromkeys(ADMIN_RIGHTS, True))
    for user_id in data.get("members", []):
        chat.members.setdefault(int(user_id), Membership("member"))
    bot_status = data.get("bot", "administrator")
    if bot_status != "left":
        rights = data.get("bot_rights")
        membership = Membership(
            bot_status, rights if rights is not None else dict.fromkeys(ADMIN_RIGHTS, True)
        )
        chat.members[world.bot.id] = membership
    return web.json_response(chat.to_api())


@routes.post("/control/chats/{chat_id}/bot")
async def set_bot_status(request: web.Request) -> web.Response:
    """Add, promote, demote or remove the bot; Telegram sends my_chat_member for each."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    by = user_of(world, int(data["by"])) if data.get("by") else None
    result = world.change_membership(
        chat, world.bot, data.get("status", "member"), rights=data.get("rights"), by=by
    )
    return web.json_response(result)


@routes.post("/control/chats/{chat_id}/members")
async def set_member_status(request: web.Request) -> web.Response:
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user = user_of(world, int(data["user_id"]))
    by = user_of(world, int(data["by"])) if data.get("by") else None
    result = world.change_membership(
        chat, user, data.get("status", "member"), rights=data.get("rights"), by=by,
        invite_link=data.get("invite_link"),
    )  # fmt: skip
    return web.json_response(result)


@routes.post("/control/chats/{chat_id}/joins")
async def user_joins(request: web.Request) -> web.Response:
    """A user joins as a Telegram app would: by themselves, or through an invite link (a
    revoked or expired one refused; one that creates join requests asks to join instead)."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user = user_of(world, int(data["user_id"]))
    return web.json_response(join(world, chat, user, data.get("invite_link")))


@routes.post("/control/chats/{chat_id}/join_requests")
async def request_to_join(request: web.Request) -> web.Response:
    """A user asks to join a group that approves joins: a `chat_join_request` update, and the
    bot may write to them privately for five minutes."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user = user_of(world, int(data["user_id"]))
    return web.json_response(request_join(world, chat, user))


@routes.post("/control/chats/{chat_id}/messages")
async def user_sends(request: web.Request) -> web.Response:
    """A member (or an anonymous admin) posts: text, photo, a reply, in a forum thread."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    if data.get("anonymous"):
        sender = ANONYMOUS_ADMIN
        extra: dict[str, Any] = {"sender_chat": chat.to_api()}
    else:
        sender = user_of(world, int(data["user_id"]))
        extra = {}
        membership = chat.members.get(sender.id)
        if chat.is_group and (membership is None or not membership.present):
            raise web.HTTPBadRequest(text="user is not a member of the chat")
        if chat.is_group and not chat.may_send(sender.id):
            raise web.HTTPBadRequest(text="user may not send messages here (restricted)")
    content, fields = member_content(data)  # a sticker, a GIF, a poll: each has its permission
    if chat.is_group and not data.get("anonymous") and not may_post(chat, sender.id, content):
        raise web.HTTPBadRequest(text=f"user may not send a {content} here (restricted)")
    return web.json_response(post_as(world, chat, sender, data, {**extra, **fields}))


@routes.post("/control/private/{user_id}/messages")
async def user_sends_privately(request: web.Request) -> web.Response:
    world, data = world_of(request), await body(request)
    user = user_of(world, int(request.match_info["user_id"]))
    user.started_bot = True
    return web.json_response(post_as(world, world.private_chat(user), user, data, {}))


def post_as(
    world: World,
    chat: SandboxChat,
    sender: SandboxUser,
    data: dict[str, Any],
    extra: dict[str, Any],
) -> dict[str, Any]:
    thread_id = data.get("thread_id")
    if thread_id is not None:
        topic = chat.topics.get(int(thread_id))
        if topic is None:
            raise web.HTTPBadRequest(text="no such topic")
        if topic["closed"]:
            raise web.HTTPBadRequest(text="topic is closed")
    reply_to = None
    # In a forum topic, Telegram sets reply_to_message to the topic's creation message when
    # the message answers nothing in particular.
    reply_target = data.get("reply_to") if data.get("reply_to") is not None else thread_id
    if reply_target is not None:
        target = chat.messages.get(int(reply_target))
        if target is None:
            raise web.HTTPBadRequest(text="no such message to reply to")
        reply_to = {key: value for key, value in target.items() if key != "reply_to_message"}
    photo, document = attachment_of(world, data)
    channel = data.get("forwarded_from_channel")
    if channel:  # a post forwarded from a channel, as Telegram describes its origin
        origin = {"id": -1_009_999_000_001, "type": "channel", "title": str(channel)}
        extra = {**extra, "forward_origin": {
            "type": "channel", "chat": origin, "message_id": 1, "date": int(time.time()),
        }}  # fmt: skip
    attached = photo or document
    message = world.new_message(
        chat,
        sender,
        text=data.get("text") if not attached else None,
        photo=photo,
        document=document,
        caption=data.get("caption") if attached else None,
        reply_to_message=reply_to,
        message_thread_id=int(thread_id) if thread_id is not None else None,
        is_topic_message=True if thread_id is not None else None,
        **extra,
    )
    return {"message": message, "update_id": world.emit_message(chat, message)}


def attachment_of(
    world: World, data: dict[str, Any]
) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """`photo`: true (a picture with no bytes) or {"name", "content": base64}; `document`:
    {"name", "content": base64}. Returns Message.photo and Message.document."""
    photo = data.get("photo")
    if isinstance(photo, dict):
        content = base64.b64decode(photo["content"])
        return photo_sizes(world.files, content, str(photo.get("name") or "photo.jpg")), None
    if photo:
        return [world.files.store(b"", "photo.jpg", "photo").photo_size(800, 800)], None
    if data.get("document"):
        content = base64.b64decode(data["document"]["content"])
        name = str(data["document"].get("name") or "file")
        return None, world.files.store(content, name, "document").document()
    return None, None


@routes.post("/control/chats/{chat_id}/messages/{message_id}/edit")
async def user_edits(request: web.Request) -> web.Response:
    world, chat, data = world_of(request), chat_of(request), await body(request)
    message = chat.messages.get(int(request.match_info["message_id"]))
    if message is None:
        raise web.HTTPNotFound(text="no such message")
    message.update(text=data.get("text", ""), edit_date=int(time.time()))
    update = (
        world.push_update("edited_message", message) if world.sees_message(chat, message) else None
    )
    return web.json_response({"update_id": update["update_id"] if update else None})


@routes.post("/control/chats/{chat_id}/messages/{message_id}/press")
async def user_presses(request: web.Request) -> web.Response:
    """A member presses an inline button; `forge` sends data no button carries."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user = user_of(world, int(data["user_id"]))
    message = chat.messages.get(int(request.match_info["message_id"]))
    if message is None:
        raise web.HTTPNotFound(text="no such message")
    buttons = [
        button.get("callback_data")
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]
    callback_data = data.get("data") or next((b for b in buttons if b), None)
    if callback_data not in buttons and not data.get("forge"):
        raise web.HTTPBadRequest(text="the message has no button with that data")
    query_id, update = world.press_button(chat, message, user, callback_data)
    return web.json_response(
        {"query_id": query_id, "update_id": update["update_id"] if update else None}
    )


@routes.post("/control/chats/{chat_id}/messages/{message_id}/react")
async def user_reacts(request: web.Request) -> web.Response:
    """A member (`anonymous`: an anonymous admin) sets their reactions to a message (an empty
    list clears them): a `message_reaction` update to an admin bot that asked for them."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    user = None if data.get("anonymous") else user_of(world, int(data["user_id"]))
    message_id = int(request.match_info["message_id"])
    if message_id not in chat.messages:
        raise web.HTTPNotFound(text="no such message")
    return web.json_response(react(world, chat, message_id, user, data.get("emoji", [])))


@routes.post("/control/chats/{chat_id}/migrate")
async def migrate_to_supergroup(request: web.Request) -> web.Response:
    world, chat = world_of(request), chat_of(request)
    if chat.type != "group":
        raise web.HTTPBadRequest(text="only a basic group can be upgraded")
    data = await body(request)
    actor = user_of(world, int(data["by"])) if data.get("by") else None
    new = world.add_chat("supergroup", chat.title)
    new.members = {
        user_id: Membership(m.status, dict(m.rights)) for user_id, m in chat.members.items()
    }
    old_message = world.new_message(chat, actor, migrate_to_chat_id=new.id)
    chat.migrated_to = new.id
    new_message = world.new_message(new, actor, migrate_from_chat_id=chat.id)
    world.emit_message(chat, old_message)
    world.emit_message(new, new_message)
    return web.json_response(new.to_api())


@routes.post("/control/users/{user_id}/block")
async def user_blocks_bot(request: web.Request) -> web.Response:
    user = user_of(world_of(request), int(request.match_info["user_id"]))
    user.blocked_bot = True
    return web.json_response({"ok": True})


@routes.get("/control/chats/{chat_id}")
async def chat_state(request: web.Request) -> web.Response:
    chat = chat_of(request)
    return web.json_response(
        {
            "chat": chat.to_api(),
            "messages": [m for mid, m in chat.messages.items() if mid not in chat.deleted],
            "deleted": sorted(chat.deleted),
            "pinned": chat.pinned,
            "topics": list(chat.topics.values()),
            "invite_links": list(chat.invite_links.values()),
            "members": {str(uid): m.status for uid, m in chat.members.items()},
            "tags": {str(uid): m.tag for uid, m in chat.members.items() if m.tag and m.present},
        }
    )


@routes.get("/control/events")
async def events(request: web.Request) -> web.Response:
    after = int(request.query.get("after", 0))
    timeout = float(request.query.get("timeout", 0))
    return web.json_response(await world_of(request).wait_for_events(after, timeout))


@routes.get("/control/ready")
async def ready(request: web.Request) -> web.Response:
    """Waits until the bot polls (or set a webhook), so tests start when it listens."""
    world = world_of(request)
    timeout = float(request.query.get("timeout", 30))
    deadline = time.monotonic() + timeout
    seen = 0
    while world.polling_since is None and world.webhook is None and time.monotonic() < deadline:
        await world.wait_for_events(seen, deadline - time.monotonic())
        seen = len(world.events)
    return web.json_response(
        {"ready": world.polling_since is not None or world.webhook is not None}
    )


@routes.get("/control/bot")
async def bot_state(request: web.Request) -> web.Response:
    world = world_of(request)
    return web.json_response(
        {
            "user": world.bot.to_api(),
            "privacy_mode": world.privacy_mode,
            "webhook": world.webhook,
            "allowed_updates": world.allowed_updates,
            "commands": [
                {"scope": scope, "language": language, "commands": commands}
                for (scope, language), commands in world.commands.items()
            ],
            "menu_buttons": {str(chat): button for chat, button in world.menu_buttons.items()},
        }
    )


@routes.post("/control/bot")
async def configure_bot(request: web.Request) -> web.Response:
    world, data = world_of(request), await body(request)
    if "privacy_mode" in data:
        world.privacy_mode = bool(data["privacy_mode"])
    return web.json_response({"privacy_mode": world.privacy_mode})


@routes.post("/control/limits")
async def set_limits(request: web.Request) -> web.Response:
    world, data = world_of(request), await body(request)
    world.flood.config = LimitConfig(**{**LimitConfig().__dict__, "enabled": True, **data})
    return web.json_response(world.flood.config.__dict__)


@routes.post("/control/faults")
async def add_fault(request: web.Request) -> web.Response:
    world, data = world_of(request), await body(request)
    try:
        world.faults.faults.append(Fault(**data))
    except TypeError as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    return web.json_response({"faults": len(world.faults.faults)})


@routes.get("/control/stats")
async def stats(request: web.Request) -> web.Response:
    world = world_of(request)
    return web.json_response(
        {
            "calls": dict(world.calls),
            "rejected_429": world.flood.rejected,
            "pending_updates": len(world.pending),
            "deliveries": {str(k): v for k, v in world.deliveries.items()},
        }
    )


@routes.get("/control/files/{file_id}")
async def file_content(request: web.Request) -> web.Response:
    stored = world_of(request).files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound(text="no such file")
    return web.Response(body=stored.content, content_type="application/octet-stream")


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except BotApiError as error:
        raise web.HTTPBadRequest(text=error.description) from None
    except (KeyError, ValueError) as error:
        raise web.HTTPBadRequest(text=f"bad request: {error}") from None
    return response


__all__ = ["bad_request", "control_errors", "routes"]
