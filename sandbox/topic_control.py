"""A member (an admin, or anyone the forum lets) opens a forum topic from their app: the
topic's opening service message (`forum_topic_created`), which the bot receives as Telegram
sends it. Messages then posted in it without a reply have it as their `reply_to_message`."""

from __future__ import annotations

from aiohttp import web

from sandbox.botapi import user_of
from sandbox.botapi.chats import TOPIC_COLORS
from sandbox.control import body, chat_of, world_of

routes = web.RouteTableDef()


@routes.post("/control/chats/{chat_id}/topics")
async def open_topic_by_hand(request: web.Request) -> web.Response:
    world, chat, data = world_of(request), chat_of(request), await body(request)
    if not chat.is_forum:
        raise web.HTTPBadRequest(text="the chat is not a forum")
    user = user_of(world, int(data["user_id"]))
    name, color = str(data.get("name") or "Topic"), min(TOPIC_COLORS)
    service = world.new_message(chat, user, forum_topic_created={"name": name, "icon_color": color})
    thread_id = service["message_id"]
    service.update(message_thread_id=thread_id, is_topic_message=True)
    topic = {"message_thread_id": thread_id, "name": name, "icon_color": color}
    chat.topics[thread_id] = {**topic, "closed": False}
    world.record("topic_created", chat_id=chat.id, topic=topic)
    return web.json_response({"message": service, "update_id": world.emit_message(chat, service)})
