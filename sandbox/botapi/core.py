"""The method registry and the checks every Bot API method shares."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox import ephemeral_sends, validation
from sandbox.ephemeral import Receiver
from sandbox.errors import BotApiError, bad_request, forbidden
from sandbox.files import StoredFile
from sandbox.world import SandboxChat, SandboxUser, World

Params = dict[str, Any]
Handler = Callable[["BotApi", Params], Awaitable[Any]]

INT_PARAMS = {
    "message_id", "from_chat_id", "offset", "limit", "timeout", "message_thread_id",
    "reply_to_message_id", "cache_time", "max_connections", "icon_color", "member_limit",
    "expire_date", "user_id", "until_date", "receiver_user_id", "ephemeral_message_id",
}  # fmt: skip
BOOL_PARAMS = {
    "disable_notification", "show_alert", "drop_pending_updates", "protect_content",
    "creates_join_request", "allow_sending_without_reply", "disable_web_page_preview",
    "revoke_messages", "only_if_banned", "use_independent_chat_permissions",
}  # fmt: skip
JSON_PARAMS = {
    "reply_markup", "entities", "caption_entities", "allowed_updates", "commands", "scope",
    "reply_parameters", "link_preview_options", "media", "permissions", "menu_button",
    "ephemeral_message_parameters", "message_ids",
}  # fmt: skip
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = handler
        return handler

    return register


def coerce(params: Params) -> Params:
    """Form fields arrive as strings; Telegram reads them by the parameter's type."""
    result: Params = {}
    for key, value in params.items():
        if isinstance(value, str):
            try:
                if (key == "chat_id" and re.fullmatch(r"-?\d+", value)) or key in INT_PARAMS:
                    value = int(value)
                elif key in BOOL_PARAMS:
                    value = value.lower() in ("true", "1")
                elif key in JSON_PARAMS:
                    value = json.loads(value)
            except ValueError:
                raise bad_request(f"invalid value for parameter {key}") from None
        result[key] = value
    return result


class BotApi:
    def __init__(self, world: World) -> None:
        self.world = world
        self._poll_generation = 0

    async def call(self, name: str, params: Params) -> Any:
        handler = METHODS.get(name.lower())
        if handler is None:
            raise BotApiError(404, "Not Found")
        self.world.calls[handler.__name__] += 1
        return await handler(self, coerce(params))

    # -- shared checks ----------------------------------------------------------------------

    def chat_for_bot(self, params: Params, *, sending: bool = False) -> SandboxChat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self.world.chat(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise BotApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if chat.type == "private":
            user = chat.private_user
            assert user is not None
            if user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            if sending and not user.started_bot and time.time() > user.may_message_until:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        membership = self.world.bot_membership(chat)
        if not membership.present:
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if membership.status == "kicked":
                raise forbidden(f"bot was kicked from the {kind}")
            raise forbidden(f"bot is not a member of the {kind}")
        return chat

    def require_right(self, chat: SandboxChat, right: str, error: str) -> None:
        if chat.is_group and not self.world.bot_membership(chat).can(right):
            raise bad_request(error)

    def live_message(self, chat: SandboxChat, message_id: Any, error: str) -> dict[str, Any]:
        message = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if message is None or message_id in chat.deleted:
            raise bad_request(error)
        return message

    def thread_of(self, chat: SandboxChat, params: Params) -> int | None:
        thread_id = params.get("message_thread_id")
        if thread_id is None:
            return None
        if not chat.is_forum or thread_id not in chat.topics:
            raise bad_request("message thread not found")
        return int(thread_id)

    def reply_target(
        self, chat: SandboxChat, params: Params, receiver: Receiver | None = None
    ) -> dict[str, Any] | None:
        reply = params.get("reply_parameters") or {}
        if reply.get("ephemeral_message_id") is not None:
            return ephemeral_sends.reply_target(
                self.world, chat, receiver, reply["ephemeral_message_id"]
            )
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None or message_id in chat.deleted:
            # Always False for an ephemeral send, whatever it says.
            if receiver is None and (
                reply.get("allow_sending_without_reply")
                or params.get("allow_sending_without_reply")
            ):
                return None
            raise bad_request("message to be replied not found")
        return {key: value for key, value in target.items() if key != "reply_to_message"}

    def post(
        self, chat: SandboxChat, params: Params, method_name: str, **content: Any
    ) -> dict[str, Any]:
        """Checks shared by every send, then the message, recorded for the tests."""
        receiver = ephemeral_sends.receiver_of(self.world, chat, params)
        thread_id = self.thread_of(chat, params)
        reply_to = self.reply_target(chat, params, receiver)
        markup = validation.check_reply_markup(params.get("reply_markup"))
        if receiver is None:
            self.world.flood.check(chat.id, chat.is_group)
        else:  # one member's message: not one of the group's 20 a minute
            self.world.flood.check(receiver.user_id, False)
        message = self.world.new_message(
            chat,
            self.world.bot,
            in_history=receiver is None,
            reply_to_message=reply_to,
            message_thread_id=thread_id,
            is_topic_message=True if thread_id else None,
            # A Message carries only an inline keyboard; a ForceReply or a reply keyboard
            # goes to the clients, not into the Message the Bot API returns.
            reply_markup=markup if markup and "inline_keyboard" in markup else None,
            **content,
        )
        if receiver is not None:
            html = params.get("text") or params.get("caption")
            return ephemeral_sends.post(
                self.world, chat, receiver, method_name, message, html, markup
            )
        self.world.record(
            "sent",
            method=method_name,
            chat_id=chat.id,
            message_id=message["message_id"],
            text=message.get("text") or message.get("caption"),
            html=params.get("text") or params.get("caption"),
            reply_to=reply_to["message_id"] if reply_to else None,
            thread_id=thread_id,
            reply_markup=markup,
            photo=content["photo"][-1]["file_id"] if content.get("photo") else None,
            document=message.get("document"),
            entities=message.get("entities") or message.get("caption_entities"),
        )
        return message

    def uploaded(self, params: Params, field: str, kind: str) -> StoredFile:
        """The file a send names: a multipart upload, a file_id sent before, or a URL."""
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, dict) and "content" in value:  # a file part from multipart
            name = value.get("filename") or "file"
            return self.world.files.store(value["content"], name, kind, value.get("content_type"))
        known = self.world.files.get(value)
        if known is not None:
            return known
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return self.world.files.store(b"", value.rsplit("/", 1)[-1] or "file", kind)
        raise bad_request("wrong file identifier/HTTP URL specified")


def user_of(world: World, user_id: int) -> SandboxUser:
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


API = web.AppKey("api", BotApi)
