"""Button presses that must be served in the order they were pressed (an event's 报名 /
Sign up: the first presses take the seats, the later ones wait, in that order).

Updates are handled concurrently, and the middlewares before a handler await the database, so
presses reach their handler in any order. This outer middleware, first on `dispatcher.update`,
notes each such press when its update starts, which is in the order updates came (the poller
starts them in order, and nothing is awaited before the outer middlewares); a handler then
awaits `turn(update_id)`, which returns once every press noted before it has been handled and
committed. Within one process: with several workers, presses handled by two of them are
ordered by their transactions only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update


class PressOrder(BaseMiddleware):
    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes
        self._pending: dict[int, asyncio.Event] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        query = event.callback_query if isinstance(event, Update) else None
        if query is None or not (query.data or "").startswith(self.prefixes):
            return await handler(event, data)
        assert isinstance(event, Update)
        done = self._pending[event.update_id] = asyncio.Event()
        data["press_order"] = self
        try:
            return await handler(event, data)
        finally:
            del self._pending[event.update_id]
            done.set()

    async def turn(self, update_id: int) -> None:
        """Returns once the presses noted before this one are done (their updates committed)."""
        for earlier in sorted(key for key in self._pending if key < update_id):
            waited = self._pending.get(earlier)
            if waited is not None:
                await waited.wait()
