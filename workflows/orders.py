"""Orders that arrive outside one small update: an imported export (a transaction per chunk of
`CHUNK` orders, so a 100,000-row file never holds the database's write lock for long), a signed
order posted to `/shop/orders`, and paying purchase points when their return window closes
(`confirm_due`, a background check of the scheduler's: the ledger's key pays each once, and a
second worker skips the rows the first holds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from services.batching import GroupCommit
from services.chats import ChatProfile, ChatService
from services.order_files import OrderLine, RefusedLine, posted_order, read_orders
from services.orders import CHUNK, ImportReport, OrderService, Source, Tally

logger = logging.getLogger(__name__)
POSTED_PER_TRANSACTION = 200


class OrderIntake:
    def __init__(self, background: Background, wake: Callable[[], None] | None = None) -> None:
        self.background = background
        self.wake = wake or (lambda: None)  # the outbox sender: a member may be told
        # Orders posted over HTTP side by side share a transaction (one commit, not one each)
        self._posted = GroupCommit(self._record_posted, max_batch=POSTED_PER_TRANSACTION)

    def _service(self, session: AsyncSession) -> OrderService:
        return self.background.services.orders(session)

    async def import_file(self, chat_id: int, data: bytes) -> ImportReport:
        """Read the whole file first (a file past `MAX_ROWS`, or unreadable, raises
        OrderFileError having written nothing), then record it chunk by chunk. A crash half-way
        loses nothing: importing the file again adds only what was not in."""
        timezone = await self.timezone_of(chat_id)
        report = ImportReport()
        for read in read_orders(data, timezone):
            report.rows += 1
            if isinstance(read, RefusedLine):
                report.refused.append(read)
        chunk: list[OrderLine] = []
        earlier: set[str] = set()  # order ids of the chunks recorded: a line again is a repeat
        for read in read_orders(data, timezone):
            if isinstance(read, OrderLine):
                chunk.append(read)
                if len(chunk) == CHUNK:
                    report.tally.add(await self.record(chat_id, chunk, Source.IMPORT, earlier))
                    earlier.update(line.order_id for line in chunk)
                    chunk = []
        if chunk:
            report.tally.add(await self.record(chat_id, chunk, Source.IMPORT, earlier))
        return report

    async def record(
        self,
        chat_id: int,
        lines: Sequence[OrderLine],
        source: Source,
        earlier: Collection[str] = (),
        user_id: int | None = None,
    ) -> Tally:
        """Record orders in a transaction of their own (`earlier`: the file's ids before)."""
        async with self.background.session_pool() as session, session.begin():
            chats = self.background.services.chats(session)
            profile = await program_profile(chats, chat_id)
            if profile is None:
                raise LookupError(chat_id)
            tally = await self._service(session).record(
                profile.id, lines, source=source, rules=profile.order_rules,
                timezone=profile.timezone, user_id=user_id, earlier=earlier,
            )  # fmt: skip
        if tally.credited:
            self.wake()
        return tally

    async def post(self, chat_id: int, payload: dict[str, Any]) -> Tally:
        """An order posted to /shop/orders (read by `posted_order`, a time without a zone in
        the group's), recorded with those posted alongside it; LookupError for a group the bot
        does not know."""
        tally = await self._posted.submit((chat_id, payload))
        if tally is None:
            raise LookupError(chat_id)
        return tally

    async def _record_posted(self, posted: list[tuple[int, dict[str, Any]]]) -> list[Tally | None]:
        """Each group's posted orders as one batch of `record` (a line number per caller, so
        each hears whether its own order was refused), all in one transaction."""
        results: list[Tally | None] = [None] * len(posted)
        credited = False
        async with self.background.session_pool() as session, session.begin():
            chats, orders = self.background.services.chats(session), self._service(session)
            for chat_id in dict.fromkeys(chat_id for chat_id, _payload in posted):
                profile = await program_profile(chats, chat_id)
                if profile is None:
                    continue  # its callers get None: no such group
                mine = [n for n, (chat, _payload) in enumerate(posted) if chat == chat_id]
                lines = [
                    replace(posted_order(posted[n][1], profile.timezone)[1], line=n) for n in mine
                ]
                tally = await orders.record(
                    profile.id, lines, source=Source.HTTP, rules=profile.order_rules,
                    timezone=profile.timezone,
                )  # fmt: skip
                credited = credited or bool(tally.credited)
                refused = set(tally.conflicts)
                for n in mine:
                    results[n] = Tally(conflicts=[n] if n in refused else [])
        if credited:
            self.wake()
        return results

    async def timezone_of(self, chat_id: int) -> str:
        async with self.background.session_pool() as session:
            return await self.background.services.points(session).timezone_of(chat_id)

    async def confirm_due(self) -> int:
        """Pay every order whose return window closed, a batch a transaction."""
        total = 0
        while True:
            async with self.background.session_pool() as session, session.begin():
                confirmed = await self._service(session).confirm_due()
            total += confirmed
            if confirmed == 0:
                break
        if total:
            logger.info("paid the purchase points of %s orders", total)
        return total


async def program_profile(chats: ChatService, chat_id: int) -> ChatProfile | None:
    """The profile of the group's program (its founding group's: the orders, their rules and
    the shop are the program's), or None for a chat the bot does not know."""
    profile = await chats.profile(chat_id)
    if profile is None or profile.program_id == profile.id:
        return profile
    return await chats.profile(profile.program_id) or profile
