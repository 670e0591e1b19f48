"""Nothing fails in silence: log the update and the error, then answer briefly; or, when what
failed was the database or Redis, leave the update to be delivered again (`bot/transient.py`)."""

from __future__ import annotations

import logging

from aiogram import Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n

from infrastructure.chat_cache import ChatCache
from infrastructure.i18n import reply_language
from infrastructure.transient import is_transient

logger = logging.getLogger(__name__)

HARMLESS = (
    "message to edit not found",
    "message is not modified",
    "message to delete not found",
    "query is too old",  # a press answered after Telegram's ~15 s (redelivered, or a slow turn)
)


async def on_error(event: ErrorEvent, i18n: I18n, chat_cache: ChatCache) -> None:
    """Any exception a handler let escape."""
    update, error = event.update, event.exception
    if is_transient(error):
        logger.warning(
            "update %s: %s (%s); left to be delivered again",
            update.update_id, type(error).__name__, str(error).splitlines()[0][:200],
        )  # fmt: skip
        raise error  # not handled: the webhook answers 500, the poller tries it again
    if isinstance(error, TelegramBadRequest) and any(text in error.message for text in HARMLESS):
        logger.info("update %s: %s", update.update_id, error.message)
        return
    if isinstance(error, TelegramForbiddenError):
        logger.warning("update %s: %s", update.update_id, error.message)
        return  # removed from the chat or blocked: nobody to answer, and nothing to fix
    logger.error("update %s failed: %s", update.update_id, type(error).__name__, exc_info=error)
    message, callback = update.message, update.callback_query
    if message is not None and not (message.text or message.caption or "").startswith("/"):
        return  # plain chatter (counting it failed): nobody asked the bot anything
    user = message.from_user if message else callback.from_user if callback else None
    chat_id = message.chat.id if message else None
    profile = chat_cache.profile(chat_id) if chat_id is not None else None
    language = reply_language(profile, user, i18n.default_locale)
    text = i18n.gettext("Sorry, something went wrong. Please try again later.", locale=language)
    try:
        if message is not None:
            await message.reply(text)
        elif callback is not None:
            await callback.answer(text, show_alert=False)
    except Exception:  # noqa: BLE001 - the apology is best-effort
        logger.warning("update %s: could not send the apology", update.update_id)


def register(dispatcher: Dispatcher) -> None:
    """On the dispatcher itself, not in a router of its own: every update walks through each
    router before the one that takes it, and this one would only ever take errors."""
    dispatcher.errors.register(on_error)
