"""Adding to a chat's daily roll-up (`daily_stats`), in the transaction of the event counted.

Counts are gathered on the session and written by one upsert (`col = col + excluded.col`, rows
in (chat, day) order) as the transaction commits: the day's row, shared by the whole chat, is
then the last lock every transaction takes, so a transaction holding it never waits for a
member's row another holds while waiting for the day (a deadlock on PostgreSQL). A redelivered
event, refused by its own service before it gets here, is never counted; a rolled-back
transaction's counts are dropped with it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from models import DAY_COUNTERS, DailyStats
from models.queries import built_once, table_of
from services.clock import local_day

DayKey = tuple[int, date]  # (chat, local day)
_PENDING = "day_counts"


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

    def add_to(self, session: AsyncSession) -> None:
        """Count these in `session`'s transaction (written as it commits)."""
        pending: DayCounts = session.sync_session.info.setdefault(_PENDING, DayCounts())
        pending.merge(self)


def add_to_days(session: AsyncSession, days: Mapping[DayKey, Mapping[str, int]]) -> None:
    pending: DayCounts = session.sync_session.info.setdefault(_PENDING, DayCounts())
    for (chat_id, day), counts in days.items():
        pending.add(chat_id, day, **counts)


def count_today(
    session: AsyncSession, chat_id: int, now: datetime, timezone: str, **counts: int
) -> None:
    """Add `counts` to the chat's local day of `now`, in the session's transaction."""
    add_to_days(session, {(chat_id, local_day(now, timezone)): counts})


def _add_day_counts(dialect: Any) -> Any:
    statement = dialect.insert(table_of(DailyStats))
    return statement.on_conflict_do_update(
        index_elements=["chat_id", "day"],
        set_={name: getattr(DailyStats, name) + statement.excluded[name] for name in DAY_COUNTERS},
    )


@event.listens_for(Session, "before_commit")
def _write_day_counts(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the counts wait for the transaction's own commit
    pending: DayCounts | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # every other write first: the day's row is the last lock taken
    statement = built_once(session, "day counts", _add_day_counts)
    rows = [
        {"chat_id": chat_id, "day": day} | {name: counts.get(name, 0) for name in DAY_COUNTERS}
        for (chat_id, day), counts in sorted(pending.days.items())
    ]
    session.execute(statement, rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_day_counts(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (a commit took them already)
        session.info.pop(_PENDING, None)
