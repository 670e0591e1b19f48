"""editMessageCaption: a caption of the bot's own photo message edited (an event's card posted
from the console with a photo), answered as Telegram answers: a message without media has no
caption to edit, the same caption and keyboard again is "message is not modified", and a
caption is 0-1024 characters after entities parsing. Recorded as an "edited" event, as
editMessageText is."""

from __future__ import annotations

import time
from typing import Any

from sandbox import validation
from sandbox.botapi.core import BotApi, Params, method
from sandbox.botapi.messages import NOT_MODIFIED, _own_message, _set_markup
from sandbox.errors import bad_request

MEDIA = ("photo", "video", "animation", "document", "audio")


@method("editMessageCaption")
async def edit_message_caption(api: BotApi, params: Params) -> Any:
    chat, message = _own_message(api, params)
    if not any(kind in message for kind in MEDIA):
        raise bad_request("there is no caption in the message to edit")
    caption = validation.check_caption(params.get("caption"), params.get("parse_mode"))
    markup = validation.check_reply_markup(params.get("reply_markup"))
    if message.get("caption") == caption and message.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    message["edit_date"] = int(time.time())
    if caption is None:
        message.pop("caption", None)
    else:
        message["caption"] = caption
    _set_markup(message, markup)
    api.world.record(
        "edited", chat_id=chat.id, message_id=message["message_id"], text=caption,
        html=params.get("caption"), reply_markup=markup, method="editMessageCaption",
    )  # fmt: skip
    return message
