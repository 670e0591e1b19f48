"""One session per update: committed when the handler returns, rolled back when it raises.

No transaction stays open across a Bot API call (`CommitBeforeCalling`): a reply never announces
what could still roll back, and no lock is held while a request waits on the network or for its
turn under Telegram's rate limits (on SQLite that lock would stop every other writer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message, TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.transactions import AFTER_COMMIT, commit_update_so_far, update_session


def without_nul(event: TelegramObject) -> TelegramObject:
    """A message whose text or caption holds U+0000, read with U+FFFD there instead:
    PostgreSQL's text cannot store it (a prize, a title, a post would fail), and the
    replacement keeps every entity's UTF-16 offset."""
    message = getattr(event, "message", None)
    if not isinstance(event, Update) or not isinstance(message, Message):
        return event
    text, caption = message.text, message.caption
    if "\x00" not in (text or "") and "\x00" not in (caption or ""):
        return event
    fixed = message.model_copy(
        update={
            "text": text.replace("\x00", "\ufffd") if text else text,
            "caption": caption.replace("\x00", "\ufffd") if caption else caption,
        }
    )
    return event.model_copy(update={"message": fixed})


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        self.session_pool = session_pool

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        event = without_nul(event)
        session = self.session_pool()
        token = update_session.set(session)
        try:
            data["session"] = session
            result = await handler(event, data)
            if session.in_transaction():
                await session.commit()
        finally:
            update_session.reset(token)
            if session.in_transaction():
                await session.close()  # rolls back
            else:
                # Most updates never touch the database: nothing to release, so skip the
                # greenlet round trip that AsyncSession.close() costs.
                session.sync_session.close()
        for callback in session.info.pop(AFTER_COMMIT, ()):
            callback()
        return result


class CommitBeforeCalling(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        await commit_update_so_far()
        return await make_request(bot, method)
