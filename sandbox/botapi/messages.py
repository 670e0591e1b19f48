"""Sending, editing, deleting and pinning messages, and answering buttons."""

from __future__ import annotations

import time
from typing import Any

from sandbox import validation
from sandbox.botapi.core import BotApi, Params, method
from sandbox.botapi.photo_uploads import uploaded_photo
from sandbox.errors import bad_request
from sandbox.world import SandboxChat


@method("sendMessage")
async def send_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    text = validation.check_text(params.get("text"), params.get("parse_mode"))
    entities = {"entities": params["entities"]} if params.get("entities") else {}
    return api.post(chat, params, "sendMessage", text=text, **entities)


CHAT_ACTIONS = (
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
)  # fmt: skip


@method("sendChatAction")
async def send_chat_action(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    api.thread_of(chat, params)  # "message thread not found"
    return True


@method("sendPhoto")
async def send_photo(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    caption = validation.check_caption(params.get("caption"), params.get("parse_mode"))
    photo = [uploaded_photo(api, params)]  # an upload: checked as Telegram does
    entities = (
        {"caption_entities": params["caption_entities"]} if params.get("caption_entities") else {}
    )
    return api.post(chat, params, "sendPhoto", photo=photo, caption=caption, **entities)


@method("sendMediaGroup")
async def send_media_group(api: BotApi, params: Params) -> Any:
    """Photos (and videos) sent as an album: 2 to 10 of them; a caption on any of them."""
    chat = api.chat_for_bot(params, sending=True)
    media = params.get("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media specified")
    group_id = str(api.world.files.next_number())
    sent = []
    for item in media:
        if not isinstance(item, dict) or item.get("type") not in ("photo", "video"):
            raise bad_request("can't parse InputMedia: unsupported media type")
        caption = validation.check_caption(item.get("caption"), item.get("parse_mode"))
        uploaded = api.uploaded({**params, "media": item.get("media")}, "media", "photo")
        photo = [uploaded.photo_size(1280, 720)]
        sent.append(
            api.post(chat, params, "sendMediaGroup", photo=photo, caption=caption,
                     media_group_id=group_id)
        )  # fmt: skip
    return sent


@method("sendDocument")
async def send_document(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params, sending=True)
    caption = validation.check_caption(params.get("caption"), params.get("parse_mode"))
    document = api.uploaded(params, "document", "document").document()
    return api.post(chat, params, "sendDocument", document=document, caption=caption)


@method("getFile")
async def get_file(api: BotApi, params: Params) -> Any:
    """A file the bot may download from /file/bot<token>/<file_path>; Telegram serves up to
    20 MB this way."""
    stored = api.world.files.get(params.get("file_id"))
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if len(stored.content) > 20 * 1024 * 1024:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content), "file_path": stored.file_path,
    }  # fmt: skip


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
    if "text" not in message:  # a photo's caption is edited with editMessageCaption
        raise bad_request("there is no text in the message to edit")
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


PIN_RIGHTS = "not enough rights to manage pinned messages in the chat"


@method("pinChatMessage")
async def pin_chat_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(chat, "can_pin_messages", PIN_RIGHTS)
    message = api.live_message(chat, params.get("message_id"), "message to pin not found")
    chat.pinned = [mid for mid in chat.pinned if mid != message["message_id"]] + [
        message["message_id"]
    ]
    api.world.record("pinned", chat_id=chat.id, message_id=message["message_id"])
    return True


@method("unpinChatMessage")
async def unpin_chat_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(chat, "can_pin_messages", PIN_RIGHTS)
    message_id = params.get("message_id") or (max(chat.pinned) if chat.pinned else None)
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
