"""The points economy (积分经济): what the program's ledger issued by source against what members
spent, the balance they hold, this week against the week before (`/stats economy`, the
console's page), so an operator sees inflation coming. Read from the ledger by `reason`:
a reason this module does not know counts as "other", never lost."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, Member
from services.clock import Clock

WEEK = timedelta(days=7)
# Where points come from, by ledger reason (the games' reasons are the games feature's: a
# dice stake held and given back, and what a duel pays, are both "games").
ISSUED_BY = {
    "message": "messages", "checkin": "signin", "streak": "signin", "topic": "topics",
    "reaction": "reactions", "boost": "reactions", "referral": "referrals", "quest": "quests",
    "quest_bonus": "quests", "quiz": "games", "guess": "games", "dice": "games",
    "purchase": "purchases", "vip": "purchases", "admin": "admins", "refund": "refunds",
    "import": "other",
}  # fmt: skip
# A hold given back is no issue: a dice stake held then returned nets out of what games took.
NETTED = {"dice_stake": "games"}
# Where spent points go.
SPENT_ON = {
    "shop": "shop", "redeem": "shop", "draw": "draws", "quiz": "games", "guess": "games",
    "dice": "games", "makeup": "signin", "admin": "admins",
    "clawback": "clawbacks",
    "expire": "expired",
}  # fmt: skip
SOURCES = ("messages", "signin", "topics", "reactions", "referrals", "quests", "games",
           "purchases", "admins", "refunds", "other")  # fmt: skip
SINKS = ("shop", "draws", "games", "signin", "admins", "clawbacks", "expired", "other")


@dataclass(frozen=True, slots=True)
class Week:
    issued: Counter[str]  # source -> points
    spent: Counter[str]  # sink -> points (positive)

    @property
    def issued_total(self) -> int:
        return sum(self.issued.values())

    @property
    def spent_total(self) -> int:
        return sum(self.spent.values())


@dataclass(frozen=True, slots=True)
class Economy:
    this_week: Week
    last_week: Week
    held: int  # the members' balances now
    held_week_ago: int
    holders: int  # members holding any


class EconomyService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def report(self, program_id: int) -> Economy:
        now = self.clock.now()
        weeks = (await self._week(program_id, now - WEEK, now),
                 await self._week(program_id, now - 2 * WEEK, now - WEEK))  # fmt: skip
        net = weeks[0].issued_total - weeks[0].spent_total
        held, holders = (
            await self.session.execute(
                select(func.coalesce(func.sum(Member.points), 0), func.count()).where(
                    Member.chat_id == program_id, Member.points > 0
                )
            )
        ).one()
        return Economy(weeks[0], weeks[1], int(held), int(held) - net, int(holders))

    async def _week(self, program_id: int, start: datetime, end: datetime) -> Week:
        """What the ledger issued and took from `start` (after it) to `end` (up to it)."""
        positive = LedgerEntry.delta > 0
        rows = await self.session.execute(
            select(LedgerEntry.reason, positive, func.sum(LedgerEntry.delta))
            .where(LedgerEntry.chat_id == program_id, LedgerEntry.reason != "merge")
            .where(LedgerEntry.created_at > start, LedgerEntry.created_at <= end)
            .group_by(LedgerEntry.reason, positive)
        )
        week = Week(Counter(), Counter())
        for reason, earned, total in rows:
            if reason in NETTED:
                week.spent[NETTED[reason]] -= int(total)
            elif earned:
                week.issued[ISSUED_BY.get(reason, "other")] += int(total)
            else:
                week.spent[SPENT_ON.get(reason, "other")] += -int(total)
        return week
