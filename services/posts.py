"""Scheduled posts: reading `/post`, their schedules in the chat's time zone, and their runs.

Each firing of a post is a `post_runs` row keyed (post, fire time), written before anything is
sent: whoever inserts it sends, so a restart, a retry or a second scheduler never posts twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, PostRun, ScheduledPost
from models.queries import insert_for
from services.clock import Clock, clock_time, parse_duration
from services.outbox import OutboxRow, OutboxService
from services.post_messages import ScheduledPostRun

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOKEN = re.compile(r'\s*(\S+="[^"]*"|"[^"]*"|\S+)')
MAX_BUTTONS = 6
MAX_EARLY = timedelta(hours=24)  # how long before the group a tier may see a post
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_AHEAD = timedelta(days=366)
RUNS_PER_POST = 50  # a calendar shows no more of one post (a cron every minute)
MAX_CATCH_UP_STEPS = 10_000  # fire times walked when looking back over a long downtime


def utf16_length(text: str) -> int:
    """Telegram counts entity offsets and lengths in UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


class PostInputError(ValueError):
    """The part of `/post` that could not be used: "schedule", "time", "date", "past", "cron",
    "never", "buttons", "thread", "content", "long"."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a post fires, as stored: `daily 09:00`, `weekly mon,thu 20:00`,
    `at 2026-12-01 10:00`, `cron 0 9 * * 1-5`; in the chat's time zone."""

    text: str

    @property
    def once(self) -> datetime | None:
        """The local time of a one-off post (naive), None for a repeating one."""
        kind, _, rest = self.text.partition(" ")
        return datetime.strptime(rest, "%Y-%m-%d %H:%M") if kind == "at" else None

    def trigger(self, timezone: str) -> CronTrigger:
        kind, _, rest = self.text.partition(" ")
        zone = ZoneInfo(timezone)
        if kind == "daily":
            hour, minute = rest.split(":")
            return CronTrigger(hour=int(hour), minute=int(minute), timezone=zone)
        if kind == "weekly":
            days, clock = rest.split()
            hour, minute = clock.split(":")
            return CronTrigger(day_of_week=days, hour=int(hour), minute=int(minute), timezone=zone)
        if kind == "cron":
            return CronTrigger.from_crontab(rest, timezone=zone)
        raise ValueError(f"not a repeating schedule: {self.text}")

    def next_after(self, moment: datetime, timezone: str) -> datetime | None:
        """The first fire time strictly after `moment` (UTC), None when there is none."""
        once = self.once
        if once is not None:
            at = once.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
            return at if at > moment else None
        trigger = self.trigger(timezone)
        found: datetime | None = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        while found is not None and found <= moment:
            found = trigger.get_next_fire_time(found, found + timedelta(seconds=1))
        return found.astimezone(UTC) if found is not None else None

    def last_between(self, after: datetime, until: datetime, timezone: str) -> datetime | None:
        """The latest fire time in (after, until]: a run missed while the bot was down."""
        last, moment = None, after
        for _step in range(MAX_CATCH_UP_STEPS):
            found = self.next_after(moment, timezone)
            if found is None or found > until:
                break
            last = moment = found
        return last


@dataclass(frozen=True, slots=True)
class Run:
    """One coming run for the calendar: when (UTC) and what: a post's id, or a daily part."""

    at: datetime
    post_id: int | None = None
    part: str | None = None  # morning, reminder, digest


def calendar(
    posts: Sequence[ScheduledPost],
    daily_parts: Sequence[tuple[str, str]],
    now: datetime,
    timezone: str,
    days: int = 14,
) -> list[Run]:
    """The runs of the next `days` days, in order: each enabled post's (at most
    RUNS_PER_POST of a busy cron) and the daily posts' (`(part, HH:MM)`)."""
    until = now + timedelta(days=days)
    runs = [
        Run(at, post_id=post.id)
        for post in posts
        if post.enabled
        for at in _runs(Schedule(post.schedule), now, until, timezone)
    ]
    runs += [
        Run(at, part=part)
        for part, clock in daily_parts
        for at in _runs(Schedule(f"daily {clock}"), now, until, timezone)
    ]
    return sorted(runs, key=lambda run: (run.at, run.post_id or 0))


def _runs(schedule: Schedule, now: datetime, until: datetime, timezone: str) -> list[datetime]:
    found: list[datetime] = []
    moment = now
    while len(found) < RUNS_PER_POST:
        upcoming = schedule.next_after(moment, timezone)
        if upcoming is None or upcoming > until:
            break
        found.append(upcoming)
        moment = upcoming
    return found


def parse_schedule(words: list[str], now: datetime, timezone: str) -> tuple[Schedule, int]:
    """The schedule at the start of `words`, and how many words it took."""
    if not words:
        raise PostInputError("schedule")
    kind = words[0].lower()
    if kind == "daily" and len(words) >= 2:
        return Schedule(f"daily {_time(words[1])}"), 2
    if kind == "weekly" and len(words) >= 3:
        days = [day.strip().lower()[:3] for day in words[1].split(",") if day.strip()]
        if not days or any(day not in WEEKDAYS for day in days):
            raise PostInputError("schedule")
        ordered = ",".join(day for day in WEEKDAYS if day in days)
        return Schedule(f"weekly {ordered} {_time(words[2])}"), 3
    if kind == "at" and len(words) >= 3:
        try:
            local = datetime.strptime(f"{words[1]} {_time(words[2])}", "%Y-%m-%d %H:%M")
        except ValueError:
            raise PostInputError("date") from None
        at = local.replace(tzinfo=ZoneInfo(timezone))
        if at <= now:
            raise PostInputError("past")
        if at > now + MAX_AHEAD:
            raise PostInputError("date")
        return Schedule(f"at {local:%Y-%m-%d %H:%M}"), 3
    if kind == "cron" and len(words) >= 2:
        expression = words[1].strip('"').split()
        if len(expression) != 5:  # minutes are the finest: never more than once a minute
            raise PostInputError("cron")
        schedule = Schedule("cron " + " ".join(expression))
        try:
            first = schedule.next_after(now, timezone)
        except ValueError:
            raise PostInputError("cron") from None
        if first is None or first > now + MAX_AHEAD:
            raise PostInputError("never")
        return schedule, 2
    raise PostInputError("schedule")


def _time(text: str) -> str:
    at = clock_time(text)
    if at is None:
        raise PostInputError("time")
    return at


@dataclass(frozen=True, slots=True)
class PostOptions:
    pin: bool = False
    thread_id: int | None = None
    buttons: tuple[tuple[str, str], ...] = ()
    early: tuple[str, int] | None = None  # (tier as written, minutes): 优先购 for that tier
    everywhere: bool = False  # `groups=all`: posted in every group of the program


@dataclass(frozen=True, slots=True)
class PostRequest:
    """A parsed `/post <schedule> [pin] [thread=<id>] [buttons="Text|url; ..."]
    [early=<tier>:<2h>] [groups=all] [text]`."""

    schedule: Schedule
    options: PostOptions
    text: str  # the inline text ("" when the post is the replied-to message)
    text_start: int  # where `text` starts in the arguments (to carry entities over)


def parse_post(args: str, now: datetime, timezone: str) -> PostRequest:
    tokens = [(found.group(1), found.end()) for found in TOKEN.finditer(args)]
    words = [token for token, _end in tokens]
    schedule, used = parse_schedule(words, now, timezone)
    pin, thread_id = False, None
    buttons: tuple[tuple[str, str], ...] = ()
    early: tuple[str, int] | None = None
    everywhere = False
    index = used
    while index < len(words):
        word = words[index]
        name, equals, value = word.partition("=")
        if word.lower() == "pin" and not pin:
            pin = True
        elif equals and name.lower() == "thread" and thread_id is None:
            if not value.isdigit() or not 0 < int(value) < 2**31:
                raise PostInputError("thread")
            thread_id = int(value)
        elif equals and name.lower() == "buttons" and not buttons:
            buttons = parse_buttons(value.strip('"'))
        elif equals and name.lower() == "early" and early is None:
            tier, _colon, ahead = value.rpartition(":")
            lead = parse_duration(ahead) if tier else None
            if lead is None or not timedelta(minutes=1) <= lead <= MAX_EARLY:
                raise PostInputError("early")
            early = (tier, int(lead.total_seconds() // 60))
        elif equals and name.lower() == "groups" and not everywhere:
            if value.lower() != "all":
                raise PostInputError("groups")
            everywhere = True
        else:
            break
        index += 1
    start = tokens[index - 1][1] if index else 0
    text = args[start:].strip()
    text_start = start + (len(args[start:]) - len(args[start:].lstrip()))
    if everywhere and thread_id is not None:
        raise PostInputError("groups")  # a topic's id is one group's
    options = PostOptions(pin, thread_id, buttons, early, everywhere)
    return PostRequest(schedule, options, text, text_start)


def parse_buttons(raw: str) -> tuple[tuple[str, str], ...]:
    """`Shop|https://shop.example; Sale|tg://resolve?domain=x`: http(s) or tg:// links only."""
    buttons = []
    for item in raw.split(";"):
        text, bar, url = item.partition("|")
        text, url = text.strip(), url.strip()
        if (
            not bar
            or not text
            or len(text) > 64
            or not url.startswith(("http://", "https://", "tg://"))
        ):
            raise PostInputError("buttons")
        if url.startswith("http") and "." not in url.split("//", 1)[1].split("/", 1)[0]:
            raise PostInputError("buttons")  # Telegram refuses a URL without a host
        buttons.append((text, url))
    if not 0 < len(buttons) <= MAX_BUTTONS:
        raise PostInputError("buttons")
    return tuple(buttons)


@dataclass(frozen=True, slots=True)
class PostContent:
    text: str | None
    entities: list[dict[str, Any]] = field(default_factory=list)
    photo_file_id: str | None = None

    def check(self) -> None:
        if not self.text and not self.photo_file_id:
            raise PostInputError("content")
        limit = MAX_CAPTION if self.photo_file_id else MAX_TEXT
        if self.text and len(self.text) > limit:
            raise PostInputError("long")


class RunStatus:
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


class PostService:
    def __init__(self, session: AsyncSession, clock: Clock, default_timezone: str) -> None:
        self.session = session
        self.clock = clock
        self.default_timezone = default_timezone

    async def create(
        self,
        chat_id: int,
        user_id: int,
        request: PostRequest,
        content: PostContent,
        early_tier: str | None = None,
    ) -> ScheduledPost:
        """`early_tier`: the key of the tier `early=` named (the caller read it off the ladder)."""
        content.check()
        early = request.options.early
        lead = early[1] if early_tier is not None and early is not None else None
        post = ScheduledPost(
            chat_id=chat_id, created_by=user_id, schedule=request.schedule.text,
            text=content.text, entities=content.entities, photo_file_id=content.photo_file_id,
            buttons=[list(button) for button in request.options.buttons],
            thread_id=request.options.thread_id, pin=request.options.pin, enabled=True,
            early_tier=early_tier, early_minutes=lead,
            created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(post)
        await self.session.flush()
        return post

    async def of_chat(self, chat_id: int) -> list[ScheduledPost]:
        """The chat's posts, deleted ones left out."""
        found = await self.session.scalars(
            select(ScheduledPost)
            .where(ScheduledPost.chat_id == chat_id)
            .where(ScheduledPost.disabled_reason.is_distinct_from("deleted"))
            .order_by(ScheduledPost.id)
        )
        return list(found)

    async def get(self, chat_id: int, post_id: int) -> ScheduledPost | None:
        post = await self.session.get(ScheduledPost, post_id)
        if post is None or post.chat_id != chat_id or post.disabled_reason == "deleted":
            return None  # another chat's post is not this chat's business
        return post

    async def set_state(self, chat_id: int, post_id: int, action: str) -> ScheduledPost | None:
        """`pause`, `resume` or `del` (kept as a row, marked deleted, so its runs stay)."""
        post = await self.get(chat_id, post_id)
        if post is None:
            return None
        post.enabled = action == "resume"
        post.disabled_reason = {"pause": "paused", "del": "deleted", "resume": None}[action]
        await self.session.flush()
        return post

    async def scheduled(self) -> list[tuple[ScheduledPost, str, datetime | None]]:
        """Every enabled post of an active chat, with the chat's time zone and its last run."""
        last_run = (
            select(PostRun.post_id, func.max(PostRun.fire_time).label("last"))
            .group_by(PostRun.post_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(
                ScheduledPost, func.coalesce(Chat.timezone, self.default_timezone), last_run.c.last
            )
            .join(Chat, Chat.id == ScheduledPost.chat_id)
            .outerjoin(last_run, last_run.c.post_id == ScheduledPost.id)
            .where(ScheduledPost.enabled.is_(True), Chat.active.is_(True))
        )
        return [(post, timezone, last) for post, timezone, last in rows]

    async def claim(
        self, post_id: int, fire_time: datetime, status: str = RunStatus.CLAIMED
    ) -> bool:
        """Take the slot (post, fire time); False when someone already has."""
        taken = await self.session.scalar(
            insert_for(self.session, PostRun)
            .values(
                post_id=post_id, fire_time=fire_time, status=status, created_at=self.clock.now()
            )
            .on_conflict_do_nothing(index_elements=["post_id", "fire_time"])
            .returning(PostRun.post_id)
        )
        return taken is not None

    async def queue(self, fires: Sequence[tuple[ScheduledPost, datetime]], grace: timedelta) -> int:
        """Claim each run and write its message to the outbox, in this one transaction (sent
        once whenever the process stops); runs claimed before are left out. How many were."""
        if not fires:
            return 0
        now = self.clock.now()
        taken = await self.session.execute(
            insert_for(self.session, PostRun)
            .on_conflict_do_nothing(index_elements=["post_id", "fire_time"])
            .returning(PostRun.post_id, PostRun.fire_time),
            [
                {"post_id": post.id, "fire_time": when, "status": RunStatus.CLAIMED,
                 "created_at": now}
                for post, when in fires
            ],
        )  # fmt: skip
        claimed = {(post_id, when.replace(tzinfo=when.tzinfo or UTC)) for post_id, when in taken}
        messages = [
            OutboxRow(
                post.chat_id,
                ScheduledPostRun(post_id=post.id, fire_time=when),
                f"post:{post.id}:{when.isoformat()}",
                expires_at=when + grace,
            )
            for post, when in fires
            if (post.id, when) in claimed
        ]
        await OutboxService(self.session, self.clock).add_many(messages)
        return len(messages)

    async def finish(
        self, post_id: int, fire_time: datetime, status: str, message_id: int | None = None
    ) -> None:
        await self.session.execute(
            update(PostRun)
            .where(PostRun.post_id == post_id, PostRun.fire_time == fire_time)
            .values(status=status, message_id=message_id)
        )

    async def disable(self, post_id: int, reason: str) -> None:
        await self.session.execute(
            update(ScheduledPost)
            .where(ScheduledPost.id == post_id)
            .values(enabled=False, disabled_reason=reason)
        )

    async def runs(self, post_id: int) -> list[PostRun]:
        found = await self.session.scalars(
            select(PostRun).where(PostRun.post_id == post_id).order_by(PostRun.fire_time)
        )
        return list(found)
