"""Group analytics: a period's figures against the period before, and member segments (用户分层).

Reports read the `daily_stats` roll-ups (a row per chat and day, see `services/daystats.py`),
so `/stats 90d` reads at most 180 small rows whatever the group's size. Segments are recounted
once a day from the members' rows and kept with the top of each list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import (
    DAY_COUNTERS,
    Chat,
    DailyStats,
    Member,
    MemberSegment,
    Referral,
    SegmentRun,
    TopicReply,
)
from models.queries import upsert
from services.clock import Clock, local_day, start_of
from services.tiers import Tier

PERIODS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PERIOD = "7d"
MAX_RANGE_DAYS = 366  # a year, leap day included
SEGMENT_TOP = 100  # members kept per segment (the lists show 20)
NEW_DAYS = 7
ACTIVE_WINDOW, ACTIVE_MIN_DAYS = 7, 3
SILENT_DAYS = 14
PAYING_DAYS = 90
# A KOL candidate's score: replies others made to them, their topic posts, and fans they brought.
KOL_WEIGHTS = {"received": 1, "topic": 2, "referral": 5}
KOL_MIN_SCORE = 10


class Segment(StrEnum):
    NEW = "new"
    ACTIVE = "active"
    SILENT = "silent"
    CORE = "core"
    KOL = "kol"
    PAYING = "paying"  # an order in the last PAYING_DAYS
    LAPSED = "lapsed"  # bought before, nothing since PAYING_DAYS


# What the segments are called in Chinese (`/segment 活跃`, `/push 付费 …`)
SEGMENT_NAMES = {"新": Segment.NEW, "活跃": Segment.ACTIVE, "沉默": Segment.SILENT,
                 "核心": Segment.CORE, "达人": Segment.KOL, "付费": Segment.PAYING,
                 "流失": Segment.LAPSED}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Totals:
    """A period's sums of the daily counters."""

    days: int
    sums: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.sums.get(name, 0)

    @property
    def net_growth(self) -> int:
        return self["joins"] - self["leaves"]

    def per_day(self, name: str) -> float:
        return self[name] / self.days


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date
    messages: int
    active_members: int
    joins: int


@dataclass(frozen=True, slots=True)
class Report:
    first_day: date
    last_day: date
    current: Totals
    previous: Totals
    series: list[DayPoint]  # every day of the period, zeros included
    members: int  # now
    members_before: int  # at the end of the previous period

    def signin_rate(self, totals: Totals, members: int) -> float:
        """Average daily sign-ins per member."""
        return totals.per_day("checkins") / members if members > 0 else 0.0

    @property
    def rates(self) -> tuple[float, float]:
        return (
            self.signin_rate(self.current, self.members),
            self.signin_rate(self.previous, self.members_before),
        )


def change_pct(now: float, before: float) -> float | None:
    """The change in %, or None when there is nothing to compare with."""
    if before == 0:
        return None
    return (now - before) / abs(before) * 100


class BadRange(ValueError):
    pass


def parse_range(args: list[str], today: date) -> tuple[date | None, date | None]:
    """`[from to]` as local dates (YYYY-MM-DD), both inclusive; `from` alone runs to today."""
    if not args:
        return None, None
    if len(args) > 2 or not all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", arg) for arg in args):
        raise BadRange("dates")
    try:
        first = date.fromisoformat(args[0])
        last = date.fromisoformat(args[1]) if len(args) == 2 else today
    except ValueError as error:
        raise BadRange("dates") from error
    if last < first:
        raise BadRange("reversed")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise BadRange("too long")
    return first, last


class StatsService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def report(self, chat_id: int, timezone: str, days: int, members: int) -> Report | None:
        """The `days` up to today against the `days` before; None when the chat has no figures
        for either. `members` is the group's size now (Telegram's count)."""
        last = local_day(self.clock.now(), timezone)
        first = last - timedelta(days=days - 1)
        before = first - timedelta(days=days)
        rows = await self.session.execute(
            select(DailyStats).where(
                DailyStats.chat_id == chat_id, DailyStats.day >= before, DailyStats.day <= last
            )
        )
        current: Counter[str] = Counter()
        previous: Counter[str] = Counter()
        by_day: dict[date, DailyStats] = {}
        for (row,) in rows:
            counters = {name: getattr(row, name) for name in DAY_COUNTERS}
            if row.day >= first:
                current.update(counters)
                by_day[row.day] = row
            else:
                previous.update(counters)
        if not any(current.values()) and not any(previous.values()):
            return None
        series = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            found = by_day.get(day)
            series.append(
                DayPoint(day, found.messages, found.active_members, found.joins)
                if found is not None
                else DayPoint(day, 0, 0, 0)
            )
        now = Totals(days, dict(current))
        return Report(
            first, last, now, Totals(days, dict(previous)), series, members,
            max(0, members - now.net_growth),
        )  # fmt: skip

    async def by_group(self, groups: Sequence[int], first: date, last: date) -> dict[int, Totals]:
        """Each group's figures over the days (a program's breakdown)."""
        rows = await self.session.execute(
            select(DailyStats).where(
                DailyStats.chat_id.in_(list(groups)),
                DailyStats.day >= first,
                DailyStats.day <= last,
            )
        )
        summed: dict[int, Counter[str]] = {group: Counter() for group in groups}
        for (row,) in rows:
            summed[row.chat_id].update({name: getattr(row, name) for name in DAY_COUNTERS})
        days = (last - first).days + 1
        return {group: Totals(days, dict(counts)) for group, counts in summed.items()}

    async def known_members(self, chat_id: int) -> int:
        """Members the bot has seen and not seen leave (when Telegram's count is unavailable)."""
        count = await self.session.scalar(
            select(func.count()).where(Member.chat_id == chat_id, Member.left_at.is_(None))
        )
        return int(count or 0)

    async def active_members(self, chat_id: int, since: date) -> int:
        """Members who wrote on a day from `since` on (the last time they wrote is kept)."""
        count = await self.session.scalar(
            select(func.count()).where(Member.chat_id == chat_id, Member.last_active_day >= since)
        )
        return int(count or 0)

    async def day(self, chat_id: int, day: date) -> Totals:
        row = await self.session.get(DailyStats, (chat_id, day))
        sums = {name: getattr(row, name) for name in DAY_COUNTERS} if row is not None else {}
        return Totals(1, sums)


@dataclass(frozen=True, slots=True)
class SegmentCounts:
    day: date
    computed_at: datetime
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SegmentMember:
    user_id: int
    name: str
    score: int


def score_of(value: object) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value) if isinstance(value, int) else 0


def core_threshold(ladder: list[Tier]) -> int:
    """Lifetime points of "Gold or above": the tier answering to Gold, else the second
    highest tier of a custom ladder."""
    ordered = sorted(ladder, key=lambda tier: tier.threshold)
    gold = next((tier for tier in ordered if tier.answers_to("gold")), None)
    if gold is not None:
        return gold.threshold
    return ordered[-2].threshold if len(ordered) >= 2 else ordered[-1].threshold


def active_days_in_window(last_active: date, mask: int, today: date, window: int) -> int:
    """Days among the `window` days up to `today` the member wrote on (`mask` bit i: i days
    before `last_active`)."""
    shift = (today - last_active).days
    if shift >= window or shift < 0:
        return 0 if shift >= window else bin(mask).count("1")
    return bin(mask & ((1 << (window - shift)) - 1)).count("1")


def segment_filter(
    segment: Segment, now: datetime, today: date, ladder: list[Tier], account: Any = Member
) -> tuple[ColumnElement[bool], ...]:
    """What puts a present member in a segment that one query can tell (not active, nor KOL).
    Joins and activity are the group's row (`Member`); points and orders the member's account
    (`account`: the same row, or their account in the program the group joined)."""
    buyers_since = now - timedelta(days=PAYING_DAYS)
    if segment is Segment.NEW:
        return (Member.last_join_at >= now - timedelta(days=NEW_DAYS),)
    if segment is Segment.SILENT:
        quiet_since = today - timedelta(days=SILENT_DAYS - 1)
        return (
            or_(Member.last_active_day.is_(None), Member.last_active_day < quiet_since),
            func.coalesce(Member.last_join_at, Member.joined_at)
            < now - timedelta(days=SILENT_DAYS),
        )
    if segment is Segment.CORE:
        return (account.lifetime_points >= core_threshold(ladder),)
    if segment is Segment.PAYING:
        return (account.last_order_at >= buyers_since,)
    if segment is Segment.LAPSED:
        return (account.orders_paid > 0, account.last_order_at < buyers_since)
    raise ValueError(segment)


class SegmentService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def _accounts(self, chat_id: int) -> tuple[Any, Callable[[Select[Any]], Select[Any]]]:
        """The members' accounts for a group's segments: its own rows, or (a group in another
        group's program) their accounts there, joined to the group's rows."""
        program_id = await self.session.scalar(select(Chat.program_id).where(Chat.id == chat_id))
        if program_id is None or program_id == chat_id:
            return Member, lambda query: query
        account = aliased(Member, name="account")
        joined = (account.chat_id == program_id) & (account.user_id == Member.user_id)
        return account, lambda query: query.join(account, joined)

    async def recount(self, chat_id: int, timezone: str, ladder: list[Tier]) -> SegmentCounts:
        """Count every segment of the chat now and keep the top of each list."""
        now = self.clock.now()
        today = local_day(now, timezone)
        tops: dict[Segment, list[tuple[int, int]]] = {}
        counts: dict[str, int] = {}
        present = (Member.chat_id == chat_id, Member.left_at.is_(None))
        account, with_accounts = await self._accounts(chat_id)

        async def ranked(segment: Segment, order: Any, *where: ColumnElement[bool]) -> None:
            counted = with_accounts(select(func.count()).select_from(Member))
            counts[segment] = int(await self.session.scalar(counted.where(*present, *where)) or 0)
            rows = await self.session.execute(
                with_accounts(select(Member.user_id, order))
                .where(*present, *where)
                .order_by(order.desc(), Member.user_id)
                .limit(SEGMENT_TOP)
            )
            tops[segment] = [(user_id, score_of(value)) for user_id, value in rows]

        for segment, order in (
            (Segment.NEW, Member.last_join_at),  # the most recent joins first
            (Segment.SILENT, account.lifetime_points),  # the most valuable: worth winning back
            (Segment.CORE, account.lifetime_points),
            (Segment.PAYING, account.spent_fen),
            (Segment.LAPSED, account.spent_fen),
        ):
            await ranked(segment, order, *segment_filter(segment, now, today, ladder, account))
        tops[Segment.ACTIVE] = await self._active(chat_id, today, counts)
        tops[Segment.KOL] = await self._kol(chat_id, counts)
        await self.session.execute(delete(MemberSegment).where(MemberSegment.chat_id == chat_id))
        rows = [
            {"chat_id": chat_id, "segment": segment.value, "user_id": user_id, "score": score}
            for segment, top in tops.items()
            for user_id, score in top
        ]
        if rows:
            await upsert(self.session, MemberSegment, rows, keys=["chat_id", "segment", "user_id"])
        ordered = {segment.value: counts.get(segment, 0) for segment in Segment}
        await upsert(
            self.session, SegmentRun,
            {"chat_id": chat_id, "day": today, "computed_at": now, "counts": ordered},
            keys=["chat_id"], update=["day", "computed_at", "counts"],
        )  # fmt: skip
        return SegmentCounts(today, now, ordered)

    async def members_of(
        self, chat_id: int, segment: Segment, timezone: str, ladder: list[Tier]
    ) -> Select[Any]:
        """A query of the user ids in a segment now (present members; KOL: its kept top)."""
        now = self.clock.now()
        today = local_day(now, timezone)
        present = (Member.chat_id == chat_id, Member.left_at.is_(None))
        if segment is Segment.KOL:
            return select(MemberSegment.user_id).where(
                MemberSegment.chat_id == chat_id, MemberSegment.segment == segment.value
            )
        if segment is Segment.ACTIVE:
            active = await self._active(chat_id, today, {}, limit=None)
            return select(Member.user_id).where(
                *present, Member.user_id.in_([user_id for user_id, _score in active])
            )
        account, with_accounts = await self._accounts(chat_id)
        return with_accounts(select(Member.user_id)).where(
            *present, *segment_filter(segment, now, today, ladder, account)
        )

    async def _active(
        self, chat_id: int, today: date, counts: dict[str, int], limit: int | None = SEGMENT_TOP
    ) -> list[tuple[int, int]]:
        """Wrote on 3 of the last 7 days; the most days first, then the most messages."""
        since = today - timedelta(days=ACTIVE_WINDOW - 1)
        rows = await self.session.execute(
            select(Member.user_id, Member.last_active_day, Member.active_days,
                   Member.message_count)
            .where(Member.chat_id == chat_id, Member.left_at.is_(None))
            .where(Member.last_active_day >= since)
        )  # fmt: skip
        active = []
        for user_id, last, mask, messages in rows:
            days = active_days_in_window(last, mask, today, ACTIVE_WINDOW) if last else 0
            if days >= ACTIVE_MIN_DAYS:
                active.append((user_id, days * 1_000_000 + min(messages, 999_999)))
        counts[Segment.ACTIVE] = len(active)
        active.sort(key=lambda item: (-item[1], item[0]))
        return active[:limit]

    async def _kol(self, chat_id: int, counts: dict[str, int]) -> list[tuple[int, int]]:
        scores: Counter[int] = Counter()
        received = await self.session.execute(
            select(Member.user_id, Member.replies_received).where(
                Member.chat_id == chat_id, Member.left_at.is_(None), Member.replies_received > 0
            )
        )
        present = set()
        for user_id, count in received:
            scores[user_id] += count * KOL_WEIGHTS["received"]
            present.add(user_id)
        topic_posts = await self.session.execute(
            select(TopicReply.user_id, func.count())
            .where(TopicReply.chat_id == chat_id)
            .group_by(TopicReply.user_id)
        )
        for user_id, count in topic_posts:
            scores[user_id] += count * KOL_WEIGHTS["topic"]
        brought = await self.session.execute(
            select(Referral.inviter_id, func.count())
            .where(Referral.chat_id == chat_id, Referral.status == "confirmed")
            .group_by(Referral.inviter_id)
        )
        for user_id, count in brought:
            scores[user_id] += count * KOL_WEIGHTS["referral"]
        gone = set(
            await self.session.scalars(
                select(Member.user_id).where(
                    Member.chat_id == chat_id,
                    Member.left_at.is_not(None),
                    Member.user_id.in_([user for user in scores if user not in present]),
                )
            )
        )
        candidates = [
            (user_id, score)
            for user_id, score in scores.items()
            if score >= KOL_MIN_SCORE and user_id not in gone
        ]
        counts[Segment.KOL] = len(candidates)
        candidates.sort(key=lambda item: (-item[1], item[0]))
        return candidates[:SEGMENT_TOP]

    async def counts(self, chat_id: int) -> SegmentCounts | None:
        run = await self.session.get(SegmentRun, chat_id)
        if run is None:
            return None
        return SegmentCounts(run.day, run.computed_at, dict(run.counts))

    async def top(self, chat_id: int, segment: Segment, limit: int = 20) -> list[SegmentMember]:
        rows = await self.session.execute(
            select(MemberSegment.user_id, Member.display_name, MemberSegment.score)
            .join(
                Member,
                (Member.chat_id == MemberSegment.chat_id)
                & (Member.user_id == MemberSegment.user_id),
            )
            .where(MemberSegment.chat_id == chat_id, MemberSegment.segment == segment.value)
            .order_by(MemberSegment.score.desc(), MemberSegment.user_id)
            .limit(limit)
        )
        return [
            SegmentMember(user_id, name or str(user_id), score) for user_id, name, score in rows
        ]

    async def due(self, chats: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """The chats (id, time zone) whose segments were not yet recounted on their local
        day."""
        rows = await self.session.execute(
            select(SegmentRun.chat_id, SegmentRun.day).where(
                SegmentRun.chat_id.in_([chat_id for chat_id, _ in chats])
            )
        )
        runs: dict[int, date] = dict(rows.all())  # a list of pairs (a Result has keys())
        now = self.clock.now()
        return [
            (chat_id, timezone)
            for chat_id, timezone in chats
            if runs.get(chat_id) is None or runs[chat_id] < local_day(now, timezone)
        ]


def day_bounds(
    first: date | None, last: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """UTC bounds [start, end) of local days `first`..`last` (None: open)."""
    start = start_of(first, timezone) if first is not None else None
    end = start_of(last + timedelta(days=1), timezone) if last is not None else None
    return start, end
