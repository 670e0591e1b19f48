"""Group commit: many callers' items written in one transaction, each caller waiting for theirs.

A busy group sends a hundred updates at once; a transaction each would queue them behind one
another (on SQLite there is a single writer, on PostgreSQL they contend for the same rows). The
first caller starts a writer; everyone who arrives while it runs joins the next batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clock import Clock
from services.points import PointsService

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """`submit` returns once the batch holding its item is written: `write` gives one result
    per item, in order, or raises, and then every caller in that batch gets the error."""

    def __init__(
        self, write: Callable[[list[Item]], Awaitable[list[Result]]], max_batch: int = 500
    ) -> None:
        self.write = write
        self.max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                await asyncio.sleep(0)  # let the updates handled alongside join this batch
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                try:
                    results = await self.write([item for item, _ in batch])
                except Exception as error:  # noqa: BLE001 - each waiting caller gets the error
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._writer = None


class PointsGroupCommit(Generic[Item, Result]):
    """A process-wide group commit for a feature that pays or charges points: each batch is
    one transaction, written by `write` with the ledger `ledger` builds on that transaction
    (the factory's, which promotes; without it, the ledger alone)."""

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        ledger: Callable[[AsyncSession], PointsService] | None = None,
        max_batch: int = 500,
    ) -> None:
        self.session_pool = session_pool
        self.clock = clock
        self.ledger = ledger or partial(PointsService, clock=clock)
        self._batches = GroupCommit(self._in_transaction, max_batch)

    async def write(
        self, session: AsyncSession, points: PointsService, items: list[Item]
    ) -> list[Result]:
        raise NotImplementedError

    async def _in_transaction(self, items: list[Item]) -> list[Result]:
        async with self.session_pool() as session, session.begin():
            return await self.write(session, self.ledger(session), items)
