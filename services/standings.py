"""Where members stand in a chat's points: balances, history, and ranks by calendar period.

The reading side of the ledger (`services/points.py` writes): a member's row holds the balance
and lifetime points, `points_periods` what each earned in a day, a week and a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Campaign, Chat, LedgerEntry, Member, PeriodTotal
from services.clock import Clock
from services.programs import ProgramMap
from services.tiers import Tier


class Period(StrEnum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


def period_keys(day: date) -> dict[Period, str]:
    """The `points_periods.period` of each calendar period that contains `day`."""
    year, week, _ = day.isocalendar()
    return {
        Period.TODAY: f"d:{day.isoformat()}",
        Period.WEEK: f"w:{year}-W{week:02d}",
        Period.MONTH: f"m:{day.year}-{day.month:02d}",
    }


@dataclass(frozen=True, slots=True)
class Balance:
    points: int
    lifetime_points: int
    applied: bool  # False: this key was applied before, nothing changed now
    promoted_to: Tier | None = None  # the member has just reached this tier
    paid: int = 0  # the change applied now, a campaign's multiplier included


@dataclass(frozen=True, slots=True)
class Ranked:
    user_id: int
    name: str
    points: int


@dataclass(frozen=True, slots=True)
class HistoryLine:
    entry: LedgerEntry
    campaign: str | None  # the name of the campaign that multiplied it


class Standings:
    """Read by a group's id or its program's: a group's members' accounts are its program's
    (services/programs.py), so each read goes to the program the group is in."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        default_timezone: str = "UTC",
        programs: ProgramMap | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.default_timezone = default_timezone
        self.programs = programs or ProgramMap(ttl=0)

    async def account_of(self, chat_id: int) -> int:
        """The program whose accounts the chat's members use."""
        return (await self.programs.of(self.session, [chat_id]))[chat_id]

    async def timezone_of(self, chat_id: int) -> str:
        timezone = await self.session.scalar(select(Chat.timezone).where(Chat.id == chat_id))
        return timezone or self.default_timezone

    async def balance(self, chat_id: int, user_id: int) -> Balance:
        chat_id = await self.account_of(chat_id)
        row = (
            await self.session.execute(
                select(Member.points, Member.lifetime_points).where(
                    Member.chat_id == chat_id, Member.user_id == user_id
                )
            )
        ).one_or_none()
        points, lifetime = row if row is not None else (0, 0)
        return Balance(points=points, lifetime_points=lifetime, applied=False)

    async def member(self, chat_id: int, user_id: int) -> Member | None:
        """The member's account (balances, streak ...), or None if never seen in the program."""
        chat_id = await self.account_of(chat_id)
        return await self.session.get(Member, (chat_id, user_id))

    async def history(self, chat_id: int, user_id: int, limit: int = 10) -> list[HistoryLine]:
        """The member's last changes, newest first, each with the campaign that multiplied it."""
        chat_id = await self.account_of(chat_id)
        rows = await self.session.execute(
            select(LedgerEntry, Campaign.name)
            .outerjoin(Campaign, Campaign.id == LedgerEntry.campaign_id)
            .where(LedgerEntry.chat_id == chat_id, LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
        return [HistoryLine(entry, campaign) for entry, campaign in rows]

    async def top(
        self, chat_id: int, timezone: str, period: Period, *, offset: int = 0, limit: int = 10
    ) -> list[Ranked]:
        """Members by points earned in the period, most first; of two on the same figure, the
        one who reached it first (then the older user id)."""
        chat_id = await self.account_of(chat_id)
        if period is Period.ALL:
            rows = await self.session.execute(
                select(Member.user_id, Member.display_name, Member.lifetime_points)
                .where(Member.chat_id == chat_id, Member.lifetime_points > 0)
                .order_by(
                    Member.lifetime_points.desc(),
                    Member.lifetime_reached_at.asc().nulls_first(),
                    Member.user_id,
                )
                .offset(offset)
                .limit(limit)
            )
        else:
            key = self.period_key(timezone, period)
            rows = await self.session.execute(
                select(PeriodTotal.user_id, Member.display_name, PeriodTotal.earned)
                .join(Member, (Member.chat_id == chat_id) & (Member.user_id == PeriodTotal.user_id))
                .where(PeriodTotal.chat_id == chat_id, PeriodTotal.period == key)
                .where(PeriodTotal.earned > 0)
                .order_by(
                    PeriodTotal.earned.desc(),
                    PeriodTotal.reached_at.asc().nulls_first(),
                    PeriodTotal.user_id,
                )
                .offset(offset)
                .limit(limit)
            )
        return [Ranked(user_id, name, int(points)) for user_id, name, points in rows]

    async def position(
        self, chat_id: int, timezone: str, period: Period, user_id: int
    ) -> tuple[int, int] | None:
        """(rank, points earned) of a member in the period, or None when they earned nothing."""
        chat_id = await self.account_of(chat_id)
        if period is Period.ALL:
            figure, reached, user = (
                Member.lifetime_points,
                Member.lifetime_reached_at,
                Member.user_id,
            )
            row = (
                await self.session.execute(
                    select(figure, reached).where(
                        Member.chat_id == chat_id, Member.user_id == user_id
                    )
                )
            ).one_or_none()
            where = [Member.chat_id == chat_id]
        else:
            key = self.period_key(timezone, period)
            figure, reached = PeriodTotal.earned, PeriodTotal.reached_at
            user = PeriodTotal.user_id
            row = (
                await self.session.execute(
                    select(figure, reached).where(
                        PeriodTotal.chat_id == chat_id,
                        PeriodTotal.period == key,
                        PeriodTotal.user_id == user_id,
                    )
                )
            ).one_or_none()
            where = [PeriodTotal.chat_id == chat_id, PeriodTotal.period == key]
        if row is None or not row[0]:
            return None
        mine, my_moment = row
        # Ahead: more points, or as many reached earlier (NULL: before moments were kept).
        earlier = (
            reached.is_(None) & (user < user_id)
            if my_moment is None
            else reached.is_(None)
            | (reached < my_moment)
            | ((reached == my_moment) & (user < user_id))
        )
        ahead = select(func.count()).where(*where, (figure > mine) | ((figure == mine) & earlier))
        return int(await self.session.scalar(ahead) or 0) + 1, int(mine)

    def period_key(self, timezone: str, period: Period) -> str:
        return period_keys(self.clock.today_in(timezone))[period]
