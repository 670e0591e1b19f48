"""editEphemeralMessage… and deleteEphemeralMessage: a bot changes or removes the message only
one member sees (sending one is any send with `ephemeral_message_parameters`: botapi/core.py).
Each returns True, as the Bot API documents; an older server does not know them (404)."""

from __future__ import annotations

import time
from typing import Any

from sandbox import validation
from sandbox.botapi.core import BotApi, Params, method
from sandbox.botapi.messages import NOT_MODIFIED
from sandbox.errors import BotApiError, bad_request
from sandbox.world import SandboxChat


def _ephemeral(api: BotApi, params: Params, error: str) -> tuple[SandboxChat, dict[str, Any]]:
    if not api.world.ephemeral.supported:
        raise BotApiError(404, "Not Found")
    chat = api.chat_for_bot(params)
    receiver_id = params.get("receiver_user_id")
    if not isinstance(receiver_id, int):
        raise bad_request("invalid receiver_user_id specified")
    try:
        message = api.world.ephemeral.find(chat.id, receiver_id, params.get("ephemeral_message_id"))
    except BotApiError:
        raise bad_request(error) from None
    return chat, message


def _edited(
    api: BotApi, chat: SandboxChat, message: dict[str, Any], params: Params, **changes: Any
) -> bool:
    markup = validation.check_reply_markup(params.get("reply_markup"))
    if (
        all(message.get(key) == value for key, value in changes.items())
        and message.get("reply_markup") == markup
    ):
        raise bad_request(NOT_MODIFIED)
    message.update(changes, edit_date=int(time.time()))
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup
    api.world.record(
        "ephemeral_edited", chat_id=chat.id, receiver_id=message["receiver_user"]["id"],
        ephemeral_message_id=message["ephemeral_message_id"],
        text=message.get("text") or message.get("caption"),
        html=params.get("text") or params.get("caption"), reply_markup=markup,
    )  # fmt: skip
    return True


@method("editEphemeralMessageText")
async def edit_ephemeral_message_text(api: BotApi, params: Params) -> Any:
    chat, message = _ephemeral(api, params, "message to edit not found")
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text = validation.check_text(params.get("text"), params.get("parse_mode"))
    return _edited(api, chat, message, params, text=text)


@method("editEphemeralMessageCaption")
async def edit_ephemeral_message_caption(api: BotApi, params: Params) -> Any:
    chat, message = _ephemeral(api, params, "message to edit not found")
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    caption = validation.check_caption(params.get("caption"), params.get("parse_mode"))
    return _edited(api, chat, message, params, caption=caption)


@method("editEphemeralMessageReplyMarkup")
async def edit_ephemeral_message_reply_markup(api: BotApi, params: Params) -> Any:
    chat, message = _ephemeral(api, params, "message to edit not found")
    return _edited(api, chat, message, params)


@method("editEphemeralMessageMedia")
async def edit_ephemeral_message_media(api: BotApi, params: Params) -> Any:
    chat, message = _ephemeral(api, params, "message to edit not found")
    media = params.get("media")
    if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
        raise bad_request("can't parse InputMedia: unsupported media type")
    if "text" in message:
        raise bad_request("there is no media in the message to edit")
    kind = str(media["type"])
    stored = api.uploaded({**params, "media": media.get("media")}, "media", kind)
    content = stored.photo_size(1280, 720) if kind == "photo" else stored.document()
    caption = validation.check_caption(media.get("caption"), media.get("parse_mode"))
    message.pop("photo" if kind == "document" else "document", None)
    return _edited(api, chat, message, params, **{kind: [content] if kind == "photo" else content},
                   caption=caption)  # fmt: skip


@method("deleteEphemeralMessage")
async def delete_ephemeral_message(api: BotApi, params: Params) -> Any:
    chat, message = _ephemeral(api, params, "message to delete not found")
    del api.world.ephemeral.by_chat[chat.id][message["ephemeral_message_id"]]
    api.world.record(
        "ephemeral_deleted", chat_id=chat.id, receiver_id=message["receiver_user"]["id"],
        ephemeral_message_id=message["ephemeral_message_id"],
    )  # fmt: skip
    return True
