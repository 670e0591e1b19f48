"""Adding to a chat's daily roll-up (`daily_stats`), in the transaction of the event counted.

Every writer adds with one upsert (`col = col + excluded.col`), rows in (chat, day) order, so two
transactions adding to the same days never deadlock, and a redelivered event, refused by its
own service before it gets here, is never counted twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import DAY_COUNTERS, DailyStats
from models.queries import insert_for
from services.clock import local_day

DayKey = tuple[int, date]  # (chat, local day)


class DayCounts:
    """Counters gathered for several chats and days, written with one statement."""

    def __init__(self) -> None:
        self.days: defaultdict[DayKey, Counter[str]] = defaultdict(Counter)

    def add(self, chat_id: int, day: date, **counts: int) -> None:
        self.days[chat_id, day].update(counts)

    def merge(self, other: DayCounts) -> None:
        for key, counts in other.days.items():
            self.days[key].update(counts)

    def __bool__(self) -> bool:
        return bool(self.days)

    async def write(self, session: AsyncSession) -> None:
        await add_to_days(session, self.days)


async def add_to_days(session: AsyncSession, days: Mapping[DayKey, Mapping[str, int]]) -> None:
    if not days:
        return
    statement = insert_for(session, DailyStats)
    statement = statement.on_conflict_do_update(
        index_elements=["chat_id", "day"],
        set_={name: getattr(DailyStats, name) + statement.excluded[name] for name in DAY_COUNTERS},
    )
    rows = [
        {"chat_id": chat_id, "day": day} | {name: counts.get(name, 0) for name in DAY_COUNTERS}
        for (chat_id, day), counts in sorted(days.items())
    ]
    await session.execute(statement, rows)


async def count_today(
    session: AsyncSession, chat_id: int, now: datetime, timezone: str, **counts: int
) -> None:
    """Add `counts` to the chat's local day of `now`."""
    await add_to_days(session, {(chat_id, local_day(now, timezone)): counts})
