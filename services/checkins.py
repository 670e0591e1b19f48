"""The daily sign-in (签到): once per member per local day, streaks, milestones, make-up days.

The day is the chat's local calendar day, and "yesterday" is that date minus one, so a streak
survives a DST change (a 23- or 25-hour day is still one day). Exactly once: the unique
(chat, user, day) row decides who signed in, and the day's counter row, taken under its lock,
hands out ranks 1, 2, 3... so a thousand sign-ins in one second each get their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models import Checkin, CheckinDay, Member
from models.queries import insert_for
from services.chats import CheckinRules
from services.clock import Clock
from services.members import ensure_members
from services.points import NotEnoughPoints, PointsService
from services.tiers import Tier

STREAK_LOOKBACK = 400  # days read back to recount a streak after a make-up


@dataclass(frozen=True, slots=True)
class SignedIn:
    day: date
    streak: int
    reward: int
    milestone: int  # the bonus for reaching a milestone today, included in `reward`
    rank: int
    balance: int
    promoted_to: Tier | None


@dataclass(frozen=True, slots=True)
class AlreadySignedIn:
    rank: int
    streak: int
    next_at: datetime  # the start of the chat's next day


@dataclass(frozen=True, slots=True)
class MadeUp:
    day: date
    cost: int
    streak: int
    balance: int


class MakeupRefused(Exception):
    """Why nothing was spent: "none" (no missed day to fill), "limit", or "points"."""

    def __init__(self, reason: str, balance: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.balance = balance


@dataclass(frozen=True, slots=True)
class StreakRow:
    user_id: int
    name: str
    streak: int


def reward_for(streak: int, rules: CheckinRules) -> tuple[int, int]:
    """(reward, milestone bonus in it) for signing in on day `streak` of a streak."""
    milestone = sum(bonus for day, bonus in rules.milestones if day == streak)
    return rules.base + min(streak - 1, rules.streak_cap) + milestone, milestone


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def start_of(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))


class CheckinService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def check_in(
        self, chat_id: int, user_id: int, timezone: str, rules: CheckinRules
    ) -> SignedIn | AlreadySignedIn:
        now = self.clock.now()
        day = local_day(now, timezone)
        member = await self._lock_member(chat_id, user_id)
        # Under the member's lock: a concurrent try of theirs either committed already or waits.
        existing = await self._checkin(chat_id, user_id, day)
        if existing is not None:
            return self._already(existing, day, timezone)
        yesterday = day - timedelta(days=1)
        streak = member.streak + 1 if member.last_checkin_day == yesterday else 1
        reward, milestone = reward_for(streak, rules)
        rank = await self._next_rank(chat_id, day)
        self.session.add(
            Checkin(
                chat_id=chat_id, user_id=user_id, day=day, rank=rank, streak=streak,
                reward=reward, makeup=False, created_at=now,
            )
        )  # fmt: skip
        await self._set_streak(chat_id, user_id, streak, day)
        balance = await self.points.change(
            chat_id, user_id, reward, reason="checkin", key=f"checkin:{chat_id}:{user_id}:{day}",
            timezone=timezone, member_exists=True,
        )  # fmt: skip
        return SignedIn(day, streak, reward, milestone, rank, balance.points, balance.promoted_to)

    async def make_up(
        self, chat_id: int, user_id: int, timezone: str, rules: CheckinRules
    ) -> MadeUp:
        """Spend points to sign the most recent missed day, within the window and the limit."""
        today = local_day(self.clock.now(), timezone)
        await self._lock_member(chat_id, user_id)
        window = [today - timedelta(days=n) for n in range(1, rules.makeup_days + 1)]
        signed = set(
            await self.session.scalars(
                select(Checkin.day).where(
                    Checkin.chat_id == chat_id,
                    Checkin.user_id == user_id,
                    Checkin.day >= window[-1] - timedelta(days=1),
                )
            )
        )
        first = await self.session.scalar(
            select(func.min(Checkin.day)).where(
                Checkin.chat_id == chat_id, Checkin.user_id == user_id
            )
        )
        missed = next((d for d in window if d not in signed and first and d > first), None)
        if missed is None:
            raise MakeupRefused("none")
        used = await self.session.scalar(
            select(func.count()).where(
                Checkin.chat_id == chat_id,
                Checkin.user_id == user_id,
                Checkin.makeup.is_(True),
                Checkin.created_at >= start_of(today.replace(day=1), timezone),
            )
        )
        if (used or 0) >= rules.makeup_per_month:
            raise MakeupRefused("limit")
        now = self.clock.now()
        if rules.makeup_cost:
            try:
                balance = await self.points.change(
                    chat_id, user_id, -rules.makeup_cost, reason="makeup",
                    key=f"makeup:{chat_id}:{user_id}:{missed}", member_exists=True,
                )  # fmt: skip
            except NotEnoughPoints as refused:
                raise MakeupRefused("points", refused.balance) from None
            points = balance.points
        else:
            points = (await self.points.balance(chat_id, user_id)).points
        self.session.add(
            Checkin(
                chat_id=chat_id, user_id=user_id, day=missed, rank=0, streak=0, reward=0,
                makeup=True, created_at=now,
            )
        )  # fmt: skip
        await self.session.flush()
        streak, last = await self._recount(chat_id, user_id)
        await self._set_streak(chat_id, user_id, streak, last)
        return MadeUp(missed, rules.makeup_cost, streak, points)

    async def longest_streaks(
        self, chat_id: int, timezone: str, limit: int = 10
    ) -> list[StreakRow]:
        """Current streaks: the member signed in today or yesterday."""
        yesterday = local_day(self.clock.now(), timezone) - timedelta(days=1)
        rows = await self.session.execute(
            select(Member.user_id, Member.display_name, Member.streak)
            .where(Member.chat_id == chat_id, Member.last_checkin_day >= yesterday)
            .where(Member.streak > 0)
            .order_by(Member.streak.desc(), Member.last_checkin_day, Member.user_id)
            .limit(limit)
        )
        return [StreakRow(user_id, name, streak) for user_id, name, streak in rows]

    async def first_today(self, chat_id: int, timezone: str, limit: int = 10) -> list[StreakRow]:
        """Today's first sign-ins, in order (`streak` is theirs today)."""
        day = local_day(self.clock.now(), timezone)
        rows = await self.session.execute(
            select(Checkin.user_id, Member.display_name, Checkin.streak)
            .join(Member, (Member.chat_id == chat_id) & (Member.user_id == Checkin.user_id))
            .where(Checkin.chat_id == chat_id, Checkin.day == day, Checkin.rank > 0)
            .order_by(Checkin.rank)
            .limit(limit)
        )
        return [StreakRow(user_id, name, streak) for user_id, name, streak in rows]

    async def count_today(self, chat_id: int, timezone: str) -> int:
        day = local_day(self.clock.now(), timezone)
        count = await self.session.scalar(
            select(CheckinDay.count).where(CheckinDay.chat_id == chat_id, CheckinDay.day == day)
        )
        return count or 0

    async def _set_streak(
        self, chat_id: int, user_id: int, streak: int, last_day: date | None
    ) -> None:
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id == user_id)
            .values(
                streak=streak,
                best_streak=self._larger(Member.best_streak, streak),
                last_checkin_day=last_day,
            )
        )

    def _larger(self, column: InstrumentedAttribute[int], value: int) -> ColumnElement[int]:
        """The larger of a column and a value: SQLite's two-argument max(), else greatest()."""
        if self.session.get_bind().dialect.name == "sqlite":
            return func.max(column, value)
        return func.greatest(column, value)

    def _already(self, existing: Checkin, day: date, timezone: str) -> AlreadySignedIn:
        return AlreadySignedIn(
            existing.rank, existing.streak, start_of(day + timedelta(days=1), timezone)
        )

    async def _checkin(self, chat_id: int, user_id: int, day: date) -> Checkin | None:
        return await self.session.scalar(
            select(Checkin).where(
                Checkin.chat_id == chat_id, Checkin.user_id == user_id, Checkin.day == day
            )
        )

    async def _lock_member(self, chat_id: int, user_id: int) -> Member:
        """The member's row under lock (created first if the bot has not seen them yet)."""
        locked = (
            select(Member)
            .where(Member.chat_id == chat_id, Member.user_id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        member = await self.session.scalar(locked)
        if member is None:
            await ensure_members(self.session, [(chat_id, user_id)])
            member = await self.session.scalar(locked)
        assert member is not None
        return member

    async def _next_rank(self, chat_id: int, day: date) -> int:
        statement = insert_for(self.session, CheckinDay).values(chat_id=chat_id, day=day, count=1)
        rank = await self.session.scalar(
            statement.on_conflict_do_update(
                index_elements=["chat_id", "day"], set_={"count": CheckinDay.count + 1}
            ).returning(CheckinDay.count)
        )
        assert rank is not None
        return int(rank)

    async def _recount(self, chat_id: int, user_id: int) -> tuple[int, date | None]:
        """The streak ending on the member's latest signed day, and that day."""
        days = list(
            await self.session.scalars(
                select(Checkin.day)
                .where(Checkin.chat_id == chat_id, Checkin.user_id == user_id)
                .order_by(Checkin.day.desc())
                .limit(STREAK_LOOKBACK)
            )
        )
        if not days:
            return 0, None
        streak = 1
        for newer, older in pairwise(days):
            if newer - older != timedelta(days=1):
                break
            streak += 1
        return streak, days[0]
