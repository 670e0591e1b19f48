"""Missions (任务): daily and weekly sets a program's members complete for points.

Progress is never counted on the message path: it is read, when asked, from what fanbot records
already (ledger rows by reason, draw entries, 晒单 replies, event tickets checked in,
`quest_events`), for one member or a batch. The background look (`services/quest_sweep.py`)
reads the ledger past a cursor and settles the members who earned anything since; `/quests`
settles the asker too (`/me` only reads). A completion is a `quest_completions` row and its
ledger row, in one transaction, both keyed by (program, member, period, mission): each pays
once per period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Chat,
    Draw,
    DrawEntry,
    EventSeat,
    LedgerEntry,
    QuestCompletion,
    QuestEvent,
    Topic,
    TopicReply,
)  # fmt: skip
from models.queries import insert_for
from services.clock import Clock, local_day, start_of
from services.outbox import OutboxService
from services.points import PointsService
from services.programs import ProgramService
from services.quest_messages import QuestDone
from services.quest_rules import DAILY, MAX_STREAK_WEEKS, SETS, WEEKLY, Mission, QuestRules
from services.standings import Period, period_keys

QUEST, QUEST_BONUS = "quest", "quest_bonus"  # ledger reasons
# Which ledger reason counts for which template (the others are read from their own tables).
FROM_LEDGER = {
    "checkin": "checkin", "message": "messages", "topic": "topic", "reaction": "reactions",
    "purchase": "order", "referral": "friend",
}  # fmt: skip

Counts = dict[int, dict[str, int]]  # user -> template -> how many in the period


@dataclass(frozen=True, slots=True)
class Window:
    kind: str  # daily or weekly
    period: str  # `d:2026-12-07`, `w:2026-W49`
    start: datetime
    end: datetime


def window(kind: str, now: datetime, timezone: str) -> Window:
    """The day or ISO week (Monday first) containing `now` in the program's time zone."""
    day = local_day(now, timezone)
    first = day if kind == DAILY else day - timedelta(days=day.weekday())
    last = first + timedelta(days=1 if kind == DAILY else 7)
    key = period_keys(day)[Period.TODAY if kind == DAILY else Period.WEEK]
    return Window(kind, key, start_of(first, timezone), start_of(last, timezone))


@dataclass(frozen=True, slots=True)
class MissionProgress:
    mission: Mission
    done: int  # capped at the mission's count

    @property
    def completed(self) -> bool:
        return self.done >= self.mission.count


@dataclass(frozen=True, slots=True)
class SetProgress:
    kind: str
    missions: tuple[MissionProgress, ...]
    bonus: int
    ends_at: datetime

    @property
    def completed(self) -> bool:
        return all(m.completed for m in self.missions)


@dataclass(frozen=True, slots=True)
class QuestProgress:
    sets: tuple[SetProgress, ...]  # the sets the program has, daily first
    streak: int  # weekly sets completed in a row, up to last week's


@dataclass(frozen=True, slots=True)
class Completed:
    user_id: int
    period: str
    quest: str
    points: int
    streak: int = 0


class QuestService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def record(self, chat_id: int, user_id: int, kind: str, key: str) -> None:
        """What another feature reports for missions, once per `key`, counted in the program
        of the group `chat_id`. Not "event": a ticket checked in is read from `event_seats`."""
        program_id = await ProgramService(self.session, self.clock).program_of(chat_id)
        await self.session.execute(
            insert_for(self.session, QuestEvent)
            .values(key=key[:120], program_id=program_id, user_id=user_id, kind=kind[:16],
                    at=self.clock.now())
            .on_conflict_do_nothing(index_elements=["key"])
        )  # fmt: skip

    async def progress(
        self, program_id: int, user_id: int, rules: QuestRules, timezone: str
    ) -> QuestProgress:
        """The member's missions now, in the program's day and week."""
        now = self.clock.now()
        sets = []
        for kind in SETS:
            chosen = rules.of(kind)
            if not chosen.missions:
                continue
            span = window(kind, now, timezone)
            counts = (await self._counts(program_id, [user_id], span)).get(user_id, {})
            missions = tuple(
                MissionProgress(m, min(m.count, counts.get(m.template, 0))) for m in chosen.missions
            )
            sets.append(SetProgress(kind, missions, chosen.bonus, span.end))
        streak = await self._streak(program_id, user_id, window(WEEKLY, now, timezone))
        return QuestProgress(tuple(sets), streak)

    async def settle(
        self, program_id: int, users: Sequence[int], rules: QuestRules, timezone: str
    ) -> list[Completed]:
        """Pay what the members completed now and was not paid in this period yet."""
        now = self.clock.now()
        done: list[Completed] = []
        for kind in SETS:
            chosen = rules.of(kind)
            if not chosen.missions or not users:
                continue
            span = window(kind, now, timezone)
            counts = await self._counts(program_id, users, span)
            for user_id in sorted(users):
                have = counts.get(user_id, {})
                finished = [m for m in chosen.missions if have.get(m.template, 0) >= m.count]
                for mission in finished:
                    paid = await self._complete(program_id, user_id, span.period, mission.key,
                                                mission.points, QUEST, timezone)  # fmt: skip
                    done += paid
                if len(finished) == len(chosen.missions) and (chosen.bonus or kind == WEEKLY):
                    streak, extra = 0, 0
                    if kind == WEEKLY:
                        streak = await self._streak(program_id, user_id, span) + 1
                        extra = rules.streak * min(streak - 1, MAX_STREAK_WEEKS)
                    done += await self._complete(
                        program_id, user_id, span.period, f"set:{kind}", chosen.bonus + extra,
                        QUEST_BONUS, timezone, streak,
                    )  # fmt: skip
        await self._tell(program_id, done)
        return done

    async def completions(self, program_id: int, period: str) -> int:
        """Members who completed a whole set in the period (for the economy's figures)."""
        found = await self.session.scalar(
            select(func.count()).where(
                QuestCompletion.program_id == program_id,
                QuestCompletion.period == period,
                QuestCompletion.quest.startswith("set:"),
            )
        )
        return found or 0

    async def _complete(
        self, program_id: int, user_id: int, period: str, quest: str, points: int, reason: str,
        timezone: str, streak: int = 0,
    ) -> list[Completed]:  # fmt: skip
        """The completion and its ledger row, once per (member, period, quest)."""
        written = await self.session.scalar(
            insert_for(self.session, QuestCompletion)
            .values(program_id=program_id, user_id=user_id, period=period, quest=quest,
                    points=points, streak=streak, completed_at=self.clock.now())
            .on_conflict_do_nothing(
                index_elements=["program_id", "user_id", "period", "quest"]
            )
            .returning(QuestCompletion.quest)
        )  # fmt: skip
        if written is None:
            return []
        if points:
            await self.points.change(
                program_id, user_id, points, reason=reason, key=quest_key(program_id, user_id,
                period, quest), ref=f"quest:{period}:{quest}", timezone=timezone,
            )  # fmt: skip
        return [Completed(user_id, period, quest, points, streak)]

    async def _tell(self, program_id: int, done: Iterable[Completed]) -> None:
        """Each completion told privately (outbox), to members who started the bot."""
        outbox = OutboxService(self.session, self.clock)
        started: dict[int, bool] = {}
        for each in done:
            if each.user_id not in started:
                chat = await self.session.get(Chat, each.user_id)
                started[each.user_id] = chat is not None and chat.type == "private" and chat.active
            if started[each.user_id]:
                payload = QuestDone(program_id=program_id, quest=each.quest, points=each.points,
                                    streak=each.streak)  # fmt: skip
                key = "quest_done:" + quest_key(program_id, each.user_id, each.period, each.quest)
                await outbox.add(each.user_id, payload, key)

    async def _streak(self, program_id: int, user_id: int, this_week: Window) -> int:
        """Weekly sets completed in a row, ending with last week's (0 if last week's is not)."""
        before = this_week.start - timedelta(days=3)
        last = period_keys(before.date())[Period.WEEK]
        found = await self.session.scalar(
            select(QuestCompletion.streak).where(
                QuestCompletion.program_id == program_id, QuestCompletion.user_id == user_id,
                QuestCompletion.period == last, QuestCompletion.quest == f"set:{WEEKLY}",
            )
        )  # fmt: skip
        return found or 0

    async def _counts(self, program_id: int, users: Sequence[int], span: Window) -> Counts:
        """How many of each template the members did in the window: one query per source."""
        counts: Counts = defaultdict(lambda: defaultdict(int))
        ledger = await self.session.execute(
            select(LedgerEntry.user_id, LedgerEntry.reason, func.count())
            .where(LedgerEntry.chat_id == program_id, LedgerEntry.user_id.in_(users))
            .where(LedgerEntry.created_at >= span.start, LedgerEntry.created_at < span.end)
            .where(LedgerEntry.delta > 0, LedgerEntry.reason.in_(sorted(FROM_LEDGER)))
            .group_by(LedgerEntry.user_id, LedgerEntry.reason)
        )
        for user_id, reason, count in ledger:
            counts[user_id][FROM_LEDGER[reason]] += count
        groups = await ProgramService(self.session, self.clock).groups(program_id)
        entries = await self.session.execute(
            select(DrawEntry.user_id, func.count())
            .join(Draw, Draw.id == DrawEntry.draw_id)
            .where(Draw.chat_id.in_(groups), DrawEntry.user_id.in_(users))
            .where(DrawEntry.created_at >= span.start, DrawEntry.created_at < span.end)
            .group_by(DrawEntry.user_id)
        )
        for user_id, count in entries:
            counts[user_id]["draw"] += count
        photos = await self.session.execute(
            select(TopicReply.user_id, func.count())
            .join(Topic, Topic.id == TopicReply.topic_id)
            .where(Topic.chat_id.in_(groups), Topic.kind == "show")
            .where(TopicReply.user_id.in_(users), TopicReply.photo_file_id.is_not(None))
            .where(TopicReply.created_at >= span.start, TopicReply.created_at < span.end)
            .group_by(TopicReply.user_id)
        )
        for user_id, count in photos:
            counts[user_id]["photo"] += count
        came = await self.session.execute(  # the events feature's tickets checked in
            select(EventSeat.user_id, func.count())
            .where(EventSeat.program_id == program_id, EventSeat.user_id.in_(users))
            .where(EventSeat.checked_in_at >= span.start, EventSeat.checked_in_at < span.end)
            .group_by(EventSeat.user_id)
        )
        for user_id, count in came:
            counts[user_id]["event"] += count
        reported = await self.session.execute(  # "event" is read from the seats above
            select(QuestEvent.user_id, QuestEvent.kind, func.count())
            .where(QuestEvent.program_id == program_id, QuestEvent.user_id.in_(users))
            .where(QuestEvent.kind != "event")
            .where(QuestEvent.at >= span.start, QuestEvent.at < span.end)
            .group_by(QuestEvent.user_id, QuestEvent.kind)
        )
        for user_id, kind, count in reported:
            counts[user_id][kind] += count
        return counts


def quest_key(program_id: int, user_id: int, period: str, quest: str) -> str:
    return f"quest:{program_id}:{user_id}:{period}:{quest}"
