"""Seasons (赛季): the program's weekly or monthly leaderboard, which starts again by itself at
the boundary in the program's time zone (its founding group's), since it reads the period
totals the ledger keeps (`points_periods`, keyed by the local week or month). Closing a season
is one `season_results` marker row (rank 0) and a row per winner, written once: the prizes
(a shop reward, given as a draw's prize is), the top 10's badge and the winners' post (outbox,
each group of the program) are keyed by the same period, so a restart or a second worker closes
it once. Staff (the groups' admins, as the workflow finds them) are left out of the board.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, PeriodTotal, SeasonResult
from models.queries import insert_for
from services.badges import SEASON_TOP10, BadgeService
from services.chat_settings import update_section
from services.clock import Clock, local_day
from services.outbox import OutboxService
from services.points import PointsService
from services.programs import ProgramService
from services.redemptions import RedemptionService, Refused
from services.season_messages import SeasonWinners
from services.standings import Period, period_keys
from services.tiers import TierService

logger = logging.getLogger(__name__)

WEEK, MONTH = "week", "month"
MAX_WINNERS = 10
BADGED = 10  # a season's top 10 get its badge


class SeasonInputError(ValueError):
    """Which part of `/season` could not be used: "every", "winners", "reward"."""


@dataclass(frozen=True, slots=True)
class SeasonRules:
    SECTION: ClassVar[str] = "season"
    every: str | None = None  # week, month, or None: no season
    winners: int = 3
    reward_id: int | None = None
    since: str = ""  # the first period of the season as set: earlier ones never close

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> SeasonRules:
        stored = settings.get(cls.SECTION) or {}
        every = stored.get("every")
        reward = stored.get("reward")
        return cls(
            every if every in (WEEK, MONTH) else None,
            int(stored.get("winners", 3)),
            int(reward) if reward else None,
            str(stored.get("since", "")),
        )


@dataclass(frozen=True, slots=True)
class Placing:
    user_id: int
    points: int


def period_of(every: str, moment: datetime, timezone: str) -> str:
    return period_keys(local_day(moment, timezone))[Period.WEEK if every == WEEK else Period.MONTH]


def previous_period(every: str, now: datetime, timezone: str) -> str:
    """The period before the one containing `now`, in the time zone."""
    day = local_day(now, timezone)
    if every == WEEK:
        before = day - timedelta(days=day.weekday() + 1)
    else:
        before = day.replace(day=1) - timedelta(days=1)
    return period_keys(before)[Period.WEEK if every == WEEK else Period.MONTH]


def parse_season(words: list[str]) -> tuple[str | None, int, int | None]:
    """`week|month|off [winners=N] [reward=<id>]`."""
    if not words or words[0].lower() not in (WEEK, MONTH, "off"):
        raise SeasonInputError("every")
    every = None if words[0].lower() == "off" else words[0].lower()
    winners, reward = 3, None
    for word in words[1:]:
        name, _eq, value = word.lower().partition("=")
        if name == "winners" and value.isdigit() and 1 <= int(value) <= MAX_WINNERS:
            winners = int(value)
        elif name == "reward" and value.isdigit() and 0 < int(value) < 10**12:
            reward = int(value)
        else:
            raise SeasonInputError("reward" if name == "reward" else "winners")
    return every, winners, reward


class SeasonService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def set(
        self, program_id: int, every: str | None, winners: int, reward_id: int | None,
        timezone: str,
    ) -> None:  # fmt: skip
        since = period_of(every, self.clock.now(), timezone) if every else ""
        values = {"every": every, "winners": winners, "reward": reward_id, "since": since}
        await update_section(self.session, program_id, SeasonRules.SECTION, values)

    async def board(
        self, program_id: int, period: str, excluded: Collection[int] = (), limit: int = 10
    ) -> list[Placing]:
        """The period's leaderboard, staff left out."""
        rows = await self.session.execute(
            select(PeriodTotal.user_id, PeriodTotal.earned)
            .where(PeriodTotal.chat_id == program_id, PeriodTotal.period == period)
            .where(PeriodTotal.earned > 0, PeriodTotal.user_id.not_in(sorted(excluded)))
            .order_by(PeriodTotal.earned.desc(), PeriodTotal.reached_at, PeriodTotal.user_id)
            .limit(limit)
        )
        return [Placing(user_id, earned) for user_id, earned in rows]

    async def programs(self) -> list[tuple[int, SeasonRules, str]]:
        """(program, its rules, its time zone) of every founding group with a season."""
        rows = await self.session.execute(
            select(Chat.id, Chat.settings, Chat.timezone)
            .where(Chat.active.is_(True), Chat.program_id.is_(None))
            .where(cast(Chat.settings, Text).like('%"season"%'))
        )
        found = []
        for chat_id, settings, timezone in rows:
            rules = SeasonRules.from_settings(settings or {})
            if rules.every is not None:
                found.append((chat_id, rules, timezone or self.points.default_timezone))
        return found

    async def due(self, program_id: int, rules: SeasonRules, timezone: str) -> str | None:
        """The ended period to close, if it is not closed yet."""
        if rules.every is None:
            return None
        period = previous_period(rules.every, self.clock.now(), timezone)
        if not rules.since or period < rules.since:
            return None
        closed = await self.session.get(SeasonResult, (program_id, period, 0))
        return None if closed is not None else period

    async def close(
        self, program_id: int, period: str, rules: SeasonRules, timezone: str,
        excluded: Collection[int],
    ) -> list[Placing]:  # fmt: skip
        """Close the period once: results, prizes, badges and the post; its winners."""
        now = self.clock.now()
        marked = await self.session.scalar(
            insert_for(self.session, SeasonResult)
            .values(program_id=program_id, period=period, rank=0, user_id=None, points=0,
                    closed_at=now)
            .on_conflict_do_nothing(index_elements=["program_id", "period", "rank"])
            .returning(SeasonResult.rank)
        )  # fmt: skip
        if marked is None:
            return []
        top = await self.board(program_id, period, excluded, max(BADGED, rules.winners))
        winners = top[: rules.winners]
        for rank, placing in enumerate(winners, 1):
            self.session.add(SeasonResult(program_id=program_id, period=period, rank=rank,
                                          user_id=placing.user_id, points=placing.points,
                                          closed_at=now))  # fmt: skip
        badges = BadgeService(self.session, self.clock)
        for placing in top[:BADGED]:
            await badges.give(program_id, placing.user_id, SEASON_TOP10, None, "milestone")
        given = await self._prizes(program_id, period, rules, timezone, winners)
        outbox = OutboxService(self.session, self.clock)
        post = SeasonWinners(
            program_id=program_id, period=period,
            winners=tuple(p.user_id for p in winners), points=tuple(p.points for p in winners),
            reward_id=rules.reward_id if given else None,
        )  # fmt: skip
        for group in await ProgramService(self.session, self.clock).groups(program_id):
            await outbox.add(group, post, f"season:{program_id}:{period}:{group}")
        return winners

    async def _prizes(
        self, program_id: int, period: str, rules: SeasonRules, timezone: str,
        winners: list[Placing],
    ) -> int:  # fmt: skip
        """Each winner's reward, free, as a draw's prize is given; how many were given."""
        if rules.reward_id is None:
            return 0
        redemptions = RedemptionService(self.session, self.clock, self.points)
        ladder = await TierService(self.session, self.points.ladders).ladder(program_id)
        given = 0
        for placing in winners:
            try:
                await redemptions.redeem(
                    program_id, placing.user_id, rules.reward_id,
                    key=f"season:{program_id}:{period}:{placing.user_id}", ladder=ladder,
                    timezone=timezone, source="draw",
                )  # fmt: skip
                given += 1
            except Refused as refused:  # sold out, or deleted since
                logger.info("program %s: no season prize for %s: %s", program_id,
                            placing.user_id, refused)  # fmt: skip
        return given
