"""Points that expire (积分有效期): off unless a program's founding group sets a period
(`/settings points expire 365d`); then points expire oldest first, each a day's run.

Lots are read from the ledger, never stored: each positive ledger row is a lot of its moment
(but a dice stake given back, which undoes its hold: `GIVEN_BACK`),
and every deduction (spent, taken back, moved out, expired) takes from the oldest lots first.
Deductions never take a balance below zero, so what they took is always the oldest lots: what
is due at `now` is what the lots earned by `now - period` add up to, less everything ever
deducted (when positive). The ledger's hot path pays nothing for it, and the figure is the
ledger's own, so anyone can check it.

An expiry is one ledger row (`EXPIRED`) per member and run day, keyed so a re-run or a second
worker expires once; not spent, and lifetime points stay. Members are warned privately, as
pushes are (at most one a day, not when unsubscribed), 30 and 7 days before: each lot once in
each window (`ExpiryWarning` keeps how far each window has warned).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, ExpiryWarning, LedgerEntry, Member
from models.queries import insert_for
from services.chat_settings import BadSetting, update_section
from services.clock import Clock, local_day
from services.outbox import OutboxPayload, OutboxRow, OutboxService
from services.points import EXPIRED, NotEnoughPoints, PointsService

logger = logging.getLogger(__name__)
# Positive rows that undo a deduction rather than earn a lot: a dice stake given back (a tie, a
# duel called off) returns the oldest lots its hold took, so it is no fresh lot.
GIVEN_BACK = ("dice_stake",)
LOT = (LedgerEntry.delta > 0) & LedgerEntry.reason.not_in(GIVEN_BACK)
TAKEN = case(
    (LedgerEntry.delta < 0, -LedgerEntry.delta),
    ((LedgerEntry.delta > 0) & LedgerEntry.reason.in_(GIVEN_BACK), -LedgerEntry.delta),
    else_=0,
)
WARN_DAYS = (7, 30)  # the nearer first: a member gets one a day
BATCH = 200  # members expired in one transaction


@dataclass(frozen=True, slots=True)
class ExpiryRules:
    """How long points last in a program (`/settings points expire 365d|off`); 0: for ever."""

    days: int = 0
    LIMITS: ClassVar[tuple[int, int]] = (30, 3650)

    @property
    def on(self) -> bool:
        return self.days > 0

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ExpiryRules:
        stored = settings.get("expiry") or {}
        return cls(days=int(stored.get("days", 0)))


def parse_period(word: str) -> int | None:
    """`365d`, `365` (days) or `off` (0); None for anything else."""
    folded = word.strip().lower()
    if folded in ("off", "0", "关"):
        return 0
    found = re.fullmatch(r"(\d{1,5})\s*d?", folded)
    return int(found.group(1)) if found else None


async def set_expiry(session: AsyncSession, program_id: int, days: int) -> None:
    low, high = ExpiryRules.LIMITS
    if days and not low <= days <= high:
        raise BadSetting("expire")
    await update_section(session, program_id, "expiry", {"days": days})


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiryNotice(OutboxPayload):
    """A member warned privately that `points` of their points in the program expire by `by`
    (rendered by `workflows/expiry_messages.py`)."""

    kind = "expiry_warning"
    grace = timedelta(days=2)
    program_id: int
    points: int
    by: datetime


@dataclass(frozen=True, slots=True)
class Expiring:
    """What expires next: `points` on the program's local day `on`."""

    points: int
    on: date


class PointsExpiry:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger

    async def programs(self) -> list[tuple[int, int, str]]:
        """(program id, days points last, time zone) of each program whose points expire."""
        rows = await self.session.execute(
            select(Chat.id, Chat.settings, Chat.timezone).where(
                Chat.type.in_(("group", "supergroup")),
                or_(Chat.program_id.is_(None), Chat.program_id == Chat.id),
            )
        )
        found = []
        for chat_id, settings, timezone in rows:
            rules = ExpiryRules.from_settings(settings or {})
            if rules.on:
                found.append((chat_id, rules.days, timezone or self.ledger.default_timezone))
        return found

    def _totals(self, program_id: int, earned_by: datetime) -> Any:
        """Per member: the lots earned by `earned_by`, and everything ever deducted."""
        earned = func.sum(
            case(
                (LOT & (LedgerEntry.created_at <= earned_by), LedgerEntry.delta),
                else_=0,
            )
        ).label("earned")
        taken = func.sum(TAKEN).label("taken")
        return (
            select(LedgerEntry.user_id, earned, taken)
            .where(LedgerEntry.chat_id == program_id)
            .group_by(LedgerEntry.user_id)
            .having(earned > taken)
        )

    async def due(
        self, program_id: int, days: int, users: list[int] | None = None
    ) -> dict[int, int]:
        """Each member's points due to expire now (user id -> points)."""
        query = self._totals(program_id, self.clock.now() - timedelta(days=days))
        if users is not None:
            query = query.where(LedgerEntry.user_id.in_(users))
        rows = await self.session.execute(query)
        return {user_id: int(earned) - int(taken) for user_id, earned, taken in rows}

    async def expire(self, program_id: int, days: int, users: list[int], timezone: str) -> int:
        """Expire what is due of these members' points (their rows locked, the figure read
        again under the lock): the points expired. Once per member and run day."""
        users = sorted(users)
        await self.session.execute(
            select(Member.user_id)
            .where(Member.chat_id == program_id, Member.user_id.in_(users))
            .order_by(Member.user_id)
            .with_for_update()
        )
        now = self.clock.now()
        expired = 0
        for user_id, points in sorted((await self.due(program_id, days, users)).items()):
            try:
                balance = await self.ledger.change(
                    program_id, user_id, -points, reason=EXPIRED,
                    key=f"expire:{program_id}:{user_id}:{now.date().isoformat()}",
                    ref=f"earned-by:{(now - timedelta(days=days)).date().isoformat()}",
                    timezone=timezone, member_exists=True,
                )  # fmt: skip
            except NotEnoughPoints:  # cannot be under the lock; the next run looks again
                logger.warning("could not expire %s points of %s", points, user_id)
                continue
            expired += points if balance.applied else 0
        return expired

    async def warn(self, program_id: int, days: int, within: int, timezone: str) -> int:
        """Warn privately each member some of whose points expire within `within` days and
        whom this window has not warned of them yet: the warnings queued."""
        now = self.clock.now()
        today = local_day(now, timezone)
        horizon = now + timedelta(days=within)
        earned_by = horizon - timedelta(days=days)  # lots earned by then expire by the horizon
        warned = (
            ExpiryWarning.warned_7_earned_by if within == 7 else ExpiryWarning.warned_30_earned_by
        )
        totals = self._totals(program_id, earned_by).subquery()
        covered = (
            select(ExpiryWarning.user_id, warned.label("warned"))
            .where(ExpiryWarning.program_id == program_id)
            .subquery()
        )
        before = func.sum(
            case(
                (
                    LOT & (LedgerEntry.created_at <= covered.c.warned),
                    LedgerEntry.delta,
                ),
                else_=0,
            )
        )  # what the lots this window warned of before add up to
        warned_of = (
            select(covered.c.user_id, before.label("before"))
            .join(
                LedgerEntry,
                (LedgerEntry.chat_id == program_id) & (LedgerEntry.user_id == covered.c.user_id),
            )
            .group_by(covered.c.user_id)
            .subquery()
        )
        private = select(Chat.id).where(Chat.type == "private", Chat.active).scalar_subquery()
        rows = await self.session.execute(
            select(totals.c.user_id, totals.c.earned, totals.c.taken, warned_of.c.before)
            .join(Member, (Member.chat_id == program_id) & (Member.user_id == totals.c.user_id))
            .outerjoin(warned_of, warned_of.c.user_id == totals.c.user_id)
            .where(
                Member.pushes_off.is_(False),
                or_(Member.last_push_day.is_(None), Member.last_push_day < today),
                Member.user_id.in_(private),
            )
            .order_by(totals.c.user_id)
        )
        queued = []
        for user_id, earned, taken, before_ in rows:
            if int(earned) <= max(int(taken), int(before_ or 0)):
                continue  # what expires within the window was in this window's last warning
            await self.session.execute(
                insert_for(self.session, ExpiryWarning)
                .values(program_id=program_id, user_id=user_id)
                .on_conflict_do_nothing(index_elements=["program_id", "user_id"])
            )
            column = "warned_7_earned_by" if within == 7 else "warned_30_earned_by"
            claimed = await self.session.execute(
                update(ExpiryWarning)
                .where(
                    ExpiryWarning.program_id == program_id,
                    ExpiryWarning.user_id == user_id,
                    or_(warned.is_(None), warned < earned_by),
                )
                .values({column: earned_by})
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]  # another worker did
                continue
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == program_id, Member.user_id == user_id)
                .values(last_push_day=today)
            )
            notice = ExpiryNotice(
                program_id=program_id, points=int(earned) - int(taken), by=horizon
            )
            key = f"expiry:{program_id}:{user_id}:{within}:{earned_by.isoformat()}"
            queued.append(OutboxRow(user_id, notice, key[:200]))
        if queued:
            await OutboxService(self.session, self.clock).add_many(queued)
        return len(queued)

    async def next_expiring(
        self, program_id: int, user_id: int, days: int, timezone: str
    ) -> Expiring | None:
        """What of the member's points expires next, and on which of the program's days."""
        taken = await self.session.scalar(
            select(func.coalesce(func.sum(TAKEN), 0)).where(
                LedgerEntry.chat_id == program_id, LedgerEntry.user_id == user_id
            )
        )
        left_to_take = int(taken or 0)
        lots = await self.session.execute(
            select(LedgerEntry.created_at, LedgerEntry.delta)
            .where(
                LedgerEntry.chat_id == program_id,
                LedgerEntry.user_id == user_id,
                LOT,
            )
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        )
        found: Expiring | None = None
        for earned_at, points in lots:
            used = min(points, left_to_take)
            left_to_take -= used
            if points == used:
                continue
            on = local_day(earned_at + timedelta(days=days), timezone)
            if found is None:
                found = Expiring(points - used, on)
            elif found.on == on:
                found = Expiring(found.points + points - used, on)
            else:
                break
        return found
