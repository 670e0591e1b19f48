"""The Bot API methods fanbot uses, answered as Telegram answers them."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox import validation
from sandbox.errors import BotApiError, bad_request, forbidden
from sandbox.world import SandboxChat, SandboxUser, World

Params = dict[str, Any]
Handler = Callable[["BotApi", Params], Awaitable[Any]]

INT_PARAMS = {
    "message_id", "from_chat_id", "offset", "limit", "timeout", "message_thread_id",
    "reply_to_message_id", "cache_time", "max_connections", "icon_color", "member_limit",
    "expire_date", "user_id",
}  # fmt: skip
BOOL_PARAMS = {
    "disable_notification", "show_alert", "drop_pending_updates", "protect_content",
    "creates_join_request", "allow_sending_without_reply", "disable_web_page_preview",
}  # fmt: skip
JSON_PARAMS = {
    "reply_markup", "entities", "caption_entities", "allowed_updates", "commands", "scope",
    "reply_parameters", "link_preview_options",
}  # fmt: skip
TOPIC_COLORS = {7322096, 16766590, 13338331, 9367192, 16749490, 16478047}
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
            if sending and not user.started_bot:
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

    def reply_target(self, chat: SandboxChat, params: Params) -> dict[str, Any] | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None or message_id in chat.deleted:
            if reply.get("allow_sending_without_reply") or params.get(
                "allow_sending_without_reply"
            ):
                return None
            raise bad_request("message to be replied not found")
        return {key: value for key, value in target.items() if key != "reply_to_message"}

    def post(
        self, chat: SandboxChat, params: Params, method_name: str, **content: Any
    ) -> dict[str, Any]:
        """Checks shared by every send, then the message, recorded for the tests."""
        thread_id = self.thread_of(chat, params)
        reply_to = self.reply_target(chat, params)
        markup = validation.check_reply_markup(params.get("reply_markup"))
        self.world.flood.check(chat.id, chat.is_group)
        message = self.world.new_message(
            chat,
            self.world.bot,
            reply_to_message=reply_to,
            message_thread_id=thread_id,
            is_topic_message=True if thread_id else None,
            reply_markup=markup,
            **content,
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
            photo=params.get("photo") if method_name == "sendPhoto" else None,
            document=message.get("document"),
        )
        return message

    def uploaded(self, params: Params, field: str, kind: str) -> tuple[str, dict[str, Any]]:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, dict) and "content" in value:  # a file part from multipart
            file_id = self.world.new_file_id(kind)
            self.world.files[file_id] = value
            return file_id, value
        if isinstance(value, str) and value in self.world.files:
            return value, self.world.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            file_id = self.world.new_file_id(kind)
            self.world.files[file_id] = {"content": b"", "filename": value.rsplit("/", 1)[-1]}
            return file_id, self.world.files[file_id]
        raise bad_request("wrong file identifier/HTTP URL specified")


# -- identity and updates --------------------------------------------------------------------


@method("getMe")
async def get_me(api: BotApi, params: Params) -> Any:
    return {
        **api.world.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not api.world.privacy_mode,
        "supports_inline_queries": False,
    }


@method("getUpdates")
async def get_updates(api: BotApi, params: Params) -> Any:
    world = api.world
    if world.webhook is not None:
        raise BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    api._poll_generation += 1
    generation = api._poll_generation
    world.poke_updates()  # wakes an older long poll, which then sees it was superseded
    if "allowed_updates" in params and params["allowed_updates"] is not None:
        world.allowed_updates = list(params["allowed_updates"]) or None
    offset = params.get("offset")
    if isinstance(offset, int) and offset > 0:
        world.confirm(offset)
    limit = max(1, min(100, int(params.get("limit") or 100)))
    deadline = time.monotonic() + max(0, int(params.get("timeout") or 0))
    if world.polling_since is None:
        world.polling_since = time.time()
        world.record("polling")
    while not world.pending and time.monotonic() < deadline:
        signal = world.updates_signal
        try:
            await asyncio.wait_for(signal.wait(), deadline - time.monotonic())
        except TimeoutError:
            break
        finally:
            superseded = generation != api._poll_generation
        if superseded:
            raise BotApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
    return world.take_updates(limit)


@method("setWebhook")
async def set_webhook(api: BotApi, params: Params) -> Any:
    url = params.get("url") or ""
    if not url:
        api.world.webhook = None
        return True
    if not re.match(r"^https?://", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    if params.get("drop_pending_updates"):
        api.world.pending.clear()
    if params.get("allowed_updates") is not None:
        api.world.allowed_updates = list(params["allowed_updates"]) or None
    api.world.webhook = {"url": url, "secret_token": secret}
    api.world.poke_updates()
    api.world.record("webhook_set", url=url)
    return True


@method("deleteWebhook")
async def delete_webhook(api: BotApi, params: Params) -> Any:
    api.world.webhook = None
    if params.get("drop_pending_updates"):
        api.world.pending.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(api: BotApi, params: Params) -> Any:
    webhook = api.world.webhook or {}
    return {
        "url": webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(api.world.pending),
    }


# -- sending ----------------------------------------------------------------------------------


@method("sendMessage")
async def send_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    text = validation.check_text(params.get("text"), params.get("parse_mode"))
    return api.post(chat, params, "sendMessage", text=text)


@method("sendPhoto")
async def send_photo(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    caption = validation.check_caption(params.get("caption"), params.get("parse_mode"))
    file_id, _ = api.uploaded(params, "photo", "photo")
    photo = [{"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 720}]
    return api.post(chat, params, "sendPhoto", photo=photo, caption=caption)


@method("sendDocument")
async def send_document(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    caption = validation.check_caption(params.get("caption"), params.get("parse_mode"))
    file_id, upload = api.uploaded(params, "document", "document")
    document = {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_name": upload.get("filename") or "file",
        "mime_type": upload.get("content_type") or "application/octet-stream",
        "file_size": len(upload.get("content", b"")),
    }
    return api.post(chat, params, "sendDocument", document=document, caption=caption)


@method("copyMessage")
async def copy_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    source_chat = api.world.chat(params.get("from_chat_id"))  # type: ignore[arg-type]
    if source_chat is None:
        raise bad_request("chat not found")
    source = api.live_message(source_chat, params.get("message_id"), "message to copy not found")
    content: dict[str, Any] = {
        key: source[key] for key in ("text", "entities", "photo", "document") if key in source
    }
    if "caption" in params:
        content["caption"] = validation.check_caption(params["caption"], params.get("parse_mode"))
    elif "caption" in source:
        content["caption"] = source["caption"]
    message = api.post(chat, params, "copyMessage", **content)
    return {"message_id": message["message_id"]}


# -- changing messages ------------------------------------------------------------------------


def _own_message(api: BotApi, params: Params) -> tuple[SandboxChat, dict[str, Any]]:
    if params.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the sandbox")
    chat = api.chat_for_bot(params)
    message = api.live_message(chat, params.get("message_id"), "message to edit not found")
    if message.get("from", {}).get("id") != api.world.bot.id:
        raise bad_request("message can't be edited")
    return chat, message


NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@method("editMessageText")
async def edit_message_text(api: BotApi, params: Params) -> Any:
    chat, message = _own_message(api, params)
    text = validation.check_text(params.get("text"), params.get("parse_mode"))
    markup = validation.check_reply_markup(params.get("reply_markup"))
    if message.get("text") == text and message.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    message.update(text=text, edit_date=int(time.time()))
    _set_markup(message, markup)
    api.world.record(
        "edited", chat_id=chat.id, message_id=message["message_id"], text=text,
        html=params.get("text"), reply_markup=markup,
    )  # fmt: skip
    return message


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(api: BotApi, params: Params) -> Any:
    chat, message = _own_message(api, params)
    markup = validation.check_reply_markup(params.get("reply_markup"))
    if message.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    _set_markup(message, markup)
    message["edit_date"] = int(time.time())
    api.world.record(
        "edited", chat_id=chat.id, message_id=message["message_id"], text=message.get("text"),
        html=None, reply_markup=markup,
    )  # fmt: skip
    return message


def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup


@method("deleteMessage")
async def delete_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    message = api.live_message(chat, params.get("message_id"), "message to delete not found")
    own = message.get("from", {}).get("id") == api.world.bot.id
    if not own and chat.is_group and not api.world.bot_membership(chat).can("can_delete_messages"):
        raise bad_request("message can't be deleted")
    chat.deleted.add(message["message_id"])
    api.world.record("deleted", chat_id=chat.id, message_id=message["message_id"])
    return True


@method("pinChatMessage")
async def pin_chat_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(
        chat, "can_pin_messages", "not enough rights to manage pinned messages in the chat"
    )
    message = api.live_message(chat, params.get("message_id"), "message to pin not found")
    chat.pinned = [mid for mid in chat.pinned if mid != message["message_id"]] + [
        message["message_id"]
    ]
    api.world.record("pinned", chat_id=chat.id, message_id=message["message_id"])
    return True


@method("unpinChatMessage")
async def unpin_chat_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(
        chat, "can_pin_messages", "not enough rights to manage pinned messages in the chat"
    )
    message_id = params.get("message_id") or (chat.pinned[-1] if chat.pinned else None)
    if message_id is None or message_id not in chat.pinned:
        raise bad_request("message to unpin not found")
    chat.pinned.remove(message_id)
    api.world.record("unpinned", chat_id=chat.id, message_id=message_id)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(api: BotApi, params: Params) -> Any:
    query = api.world.callback_queries.get(str(params.get("callback_query_id")))
    if query is None or query["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text")
    if text is not None and len(text) > validation.MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    api.world.record(
        "answered", query_id=query["id"], chat_id=query["chat_id"], text=text,
        show_alert=bool(params.get("show_alert")),
    )  # fmt: skip
    return True


# -- chats and members ------------------------------------------------------------------------


@method("getChat")
async def get_chat(api: BotApi, params: Params) -> Any:
    return api.chat_for_bot(params).full_info()


@method("getChatMember")
async def get_chat_member(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    user = api.world.users.get(params.get("user_id"))  # type: ignore[arg-type]
    if user is None:
        raise bad_request("user not found")
    membership = chat.members.get(user.id)
    if membership is None:
        from sandbox.world import Membership

        membership = Membership("left")
    return membership.to_api(user)


@method("getChatAdministrators")
async def get_chat_administrators(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        membership.to_api(api.world.users[user_id])
        for user_id, membership in chat.members.items()
        if membership.status in ("creator", "administrator")
    ]


def commands_key(params: Params) -> tuple[str, str]:
    """Commands are kept per scope type and language, as Telegram keeps them."""
    scope = (params.get("scope") or {}).get("type", "default")
    return scope, params.get("language_code") or ""


@method("setMyCommands")
async def set_my_commands(api: BotApi, params: Params) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand")
    for command in commands:
        name, description = command.get("command", ""), command.get("description", "")
        if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    language = params.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    api.world.commands[commands_key(params)] = commands
    api.world.record("commands_set", key=commands_key(params), count=len(commands))
    return True


@method("getMyCommands")
async def get_my_commands(api: BotApi, params: Params) -> Any:
    return api.world.commands.get(commands_key(params), [])


@method("deleteMyCommands")
async def delete_my_commands(api: BotApi, params: Params) -> Any:
    api.world.commands.pop(commands_key(params), None)
    return True


@method("createChatInviteLink")
async def create_chat_invite_link(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if not chat.is_group:
        raise bad_request("can't invite members to a private chat")
    api.require_right(chat, "can_invite_users", "not enough rights to manage chat invite links")
    name = params.get("name")
    if name is not None and len(name) > 32:
        raise bad_request("invite link name is too long")
    limit = params.get("member_limit")
    if limit is not None and not 1 <= limit <= 99_999:
        raise bad_request("member limit must be between 1 and 99999")
    link: dict[str, Any] = {
        "invite_link": f"https://t.me/+{secrets.token_urlsafe(12)}",
        "creator": api.world.bot.to_api(),
        "creates_join_request": bool(params.get("creates_join_request")),
        "is_primary": False,
        "is_revoked": False,
    }
    for key in ("name", "expire_date", "member_limit"):
        if params.get(key) is not None:
            link[key] = params[key]
    chat.invite_links[link["invite_link"]] = link
    api.world.record("invite_link", chat_id=chat.id, link=link)
    return link


@method("createForumTopic")
async def create_forum_topic(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    api.require_right(chat, "can_manage_topics", "not enough rights to create a topic")
    name = params.get("name") or ""
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_NAME_INVALID" if name else "topic name is empty")
    color = params.get("icon_color", 7322096)
    if color not in TOPIC_COLORS:
        raise bad_request("invalid icon_color")
    service = api.world.new_message(
        chat, api.world.bot, forum_topic_created={"name": name, "icon_color": color}
    )
    topic = {"message_thread_id": service["message_id"], "name": name, "icon_color": color}
    chat.topics[service["message_id"]] = {**topic, "closed": False}
    api.world.record("topic_created", chat_id=chat.id, topic=topic)
    return topic


@method("closeForumTopic")
async def close_forum_topic(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    topic = chat.topics.get(params.get("message_thread_id"))  # type: ignore[arg-type]
    if topic is None:
        raise bad_request("TOPIC_ID_INVALID")
    api.require_right(chat, "can_manage_topics", "not enough rights to manage topics")
    if topic["closed"]:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic["closed"] = True
    api.world.record("topic_closed", chat_id=chat.id, thread_id=topic["message_thread_id"])
    return True


def user_of(world: World, user_id: int) -> SandboxUser:
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


API = web.AppKey("api", BotApi)
