"""Targeted pushes (精准推送): an admin's message sent privately to the members of a segment or a
tier who started the bot, after the admin saw the count and confirmed.

A push is the program's (services/programs.py): it reaches the members of all its groups, each
once. At most one push per member per local day (`members.last_push_day`), none to a member who
unsubscribed (`members.pushes_off`, per program), and at most `DAY_BUDGET` a program a day. Each
member's copy is an outbox row, written with the confirmation: paced, and sent once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Chat, Member, Push, ScheduledPost
from models.queries import insert_for
from services.badges import holding, resolved_or_none
from services.clock import Clock, local_day
from services.labels import LabelError, labelled, normalise
from services.outbox import OutboxRow, OutboxService
from services.posts import PostContent
from services.programs import ProgramService
from services.push_messages import PushCopy
from services.stats import SEGMENT_NAMES, Segment, SegmentService
from services.tiers import Tier, TierService

logger = logging.getLogger(__name__)
DAY_BUDGET = 10_000  # private messages a group may push a day (the bot's 30/s is shared)


class PushError(ValueError):
    """`reason`: audience (no such segment or tier), empty, budget, done (confirmed or
    cancelled before)."""

    def __init__(self, reason: str, count: int = 0, left: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.count, self.left = reason, count, left


@dataclass(frozen=True, slots=True)
class Audience:
    kind: str  # segment, tier, label
    key: str  # the segment's name, the tier's key (that tier and those above), or the label

    @property
    def stored(self) -> str:
        return f"{self.kind}:{self.key}"


LABEL_PREFIXES = ("tag:", "tag：", "标签:", "标签：")
BADGE_PREFIXES = ("badge:", "badge：", "徽章:", "徽章：")  # a badge's holders (issue 37)


def parse_audience(word: str, ladder: list[Tier]) -> Audience | None:
    """A segment's name (付费, paying), a tier's (that tier and those above) or `tag:<label>`
    (the members carrying that label)."""
    folded = word.strip().casefold()
    prefix = next((prefix for prefix in LABEL_PREFIXES if folded.startswith(prefix)), None)
    if prefix is not None:
        try:
            return Audience("label", normalise(word.strip()[len(prefix) :]))
        except LabelError:
            return None
    if badge := next((word.strip()[len(p) :] for p in BADGE_PREFIXES if folded.startswith(p)), ""):
        return Audience("badge", name) if (name := resolved_or_none(badge)) else None
    segment = SEGMENT_NAMES.get(folded) or (Segment(folded) if folded in set(Segment) else None)
    if segment is not None:
        return Audience("segment", segment.value)
    tier = next((tier for tier in ladder if tier.answers_to(word)), None)
    return Audience("tier", tier.key) if tier is not None else None


def early_key(post_id: int, fire_time: datetime) -> str:
    """A post's early run is one push per (post, fire time)."""
    return f"early:{post_id}:{fire_time.isoformat()}"


def audience_of(stored: str) -> Audience:
    kind, _colon, key = stored.partition(":")
    return Audience(kind, key)


@dataclass(frozen=True, slots=True)
class Reach:
    """Who a push would reach now: `count`, and the members it leaves out (unsubscribed, or
    pushed to today, or who never started the bot)."""

    count: int
    left_out: int
    left_today: int  # of the group's daily budget


class PushService:
    def __init__(self, session: AsyncSession, clock: Clock, tiers: TierService) -> None:
        self.session = session
        self.clock = clock
        self.tiers = tiers

    async def draft(
        self, chat_id: int, admin_id: int, audience: Audience, content: PostContent,
        buttons: list[list[str]],
    ) -> Push:  # fmt: skip
        content.check()
        push = Push(
            chat_id=chat_id, audience=audience.stored, text=content.text,
            entities=content.entities, photo_file_id=content.photo_file_id, buttons=buttons,
            status="draft", recipients=0, created_by=admin_id, created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(push)
        await self.session.flush()
        return push

    async def _audience(self, chat_id: int, audience: Audience, timezone: str) -> Any:
        """The program's members in the audience: a segment's in any of its groups (each
        group's activity is its own), a tier's by their account; each member once."""
        ladder = await self.tiers.ladder(chat_id)
        groups = await ProgramService(self.session, self.clock).groups(chat_id)
        if audience.kind == "segment":
            segments = SegmentService(self.session, self.clock)
            found = [
                await segments.members_of(group, Segment(audience.key), timezone, ladder)
                for group in groups or [chat_id]
            ]
            return found[0] if len(found) == 1 else union(*found)
        here = aliased(Member)
        in_a_group = exists().where(
            here.user_id == Member.user_id,
            here.chat_id.in_(groups or [chat_id]),
            here.left_at.is_(None),
        )
        if audience.kind in ("label", "badge"):  # the program's label, or badge
            held = holding if audience.kind == "badge" else labelled
            carrying = Member.user_id.in_(held(chat_id, audience.key))
            return select(Member.user_id).where(Member.chat_id == chat_id, carrying, in_a_group)
        floor = next(tier.threshold for tier in ladder if tier.key == audience.key)
        keys = [tier.key for tier in ladder if tier.threshold >= floor]
        return select(Member.user_id).where(
            Member.chat_id == chat_id, Member.tier.in_(keys), in_a_group
        )

    async def _recipients(
        self, chat_id: int, audience: Audience, timezone: str
    ) -> tuple[list[int], int]:
        today = local_day(self.clock.now(), timezone)
        everyone = (await self._audience(chat_id, audience, timezone)).subquery()
        rows = await self.session.execute(
            select(Member.user_id, Member.pushes_off, Member.last_push_day, Chat.id)
            .join(everyone, everyone.c.user_id == Member.user_id)
            .outerjoin(Chat, (Chat.id == Member.user_id) & (Chat.type == "private") & Chat.active)
            .where(Member.chat_id == chat_id)
            .order_by(Member.user_id)
        )
        reached, left_out = [], 0
        for user_id, off, last_day, private in rows:
            if off or private is None or (last_day is not None and last_day >= today):
                left_out += 1
            else:
                reached.append(user_id)
        return reached, left_out

    async def _sent_today(self, chat_id: int, today: date) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Push.recipients), 0)).where(
                Push.chat_id == chat_id, Push.status == "sent", Push.sent_on == today
            )
        )
        return int(total or 0)

    async def reach(self, chat_id: int, audience: Audience, timezone: str) -> Reach:
        reached, left_out = await self._recipients(chat_id, audience, timezone)
        sent = await self._sent_today(chat_id, local_day(self.clock.now(), timezone))
        return Reach(len(reached), left_out, DAY_BUDGET - sent)

    async def confirm(self, chat_id: int, push_id: int, timezone: str) -> Push:
        """Send it: every recipient's copy into the outbox, in this transaction; once."""
        push = await self.session.scalar(
            select(Push)
            .where(Push.id == push_id, Push.chat_id == chat_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if push is None or push.status != "draft":
            raise PushError("done")
        today = local_day(self.clock.now(), timezone)
        reached, _left_out = await self._recipients(chat_id, audience_of(push.audience), timezone)
        left = DAY_BUDGET - await self._sent_today(chat_id, today)
        if not reached:
            raise PushError("empty")
        if len(reached) > left:
            raise PushError("budget", len(reached), left)
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id.in_(reached))
            .values(last_push_day=today)
        )
        await OutboxService(self.session, self.clock).add_many(
            [
                OutboxRow(user_id, PushCopy(push_id=push.id), f"push:{push.id}:{user_id}")
                for user_id in reached
            ]
        )
        push.status, push.recipients, push.sent_on = "sent", len(reached), today
        await self.session.flush()
        return push

    async def early(self, post: ScheduledPost, fire_time: datetime, timezone: str) -> Push | None:
        """A post's early run (优先购) for its tier and those above, once per (post, fire time):
        a push confirmed at once; None when it ran before or nobody can get it."""
        key = early_key(post.id, fire_time)
        program_id = await ProgramService(self.session, self.clock).program_of(post.chat_id)
        push_id = await self.session.scalar(
            insert_for(self.session, Push)
            .values(
                chat_id=program_id, audience=Audience("tier", post.early_tier or "").stored,
                text=post.text, entities=post.entities, photo_file_id=post.photo_file_id,
                buttons=post.buttons, post_id=post.id, key=key, status="draft", recipients=0,
                created_by=post.created_by, created_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Push.id)
        )  # fmt: skip
        if push_id is None:
            return None
        try:
            return await self.confirm(program_id, push_id, timezone)
        except PushError as refused:
            logger.info("post %s: no early run at %s: %s", post.id, fire_time, refused.reason)
            await self.cancel(program_id, push_id)
            return None

    async def early_done(self, post_id: int, fire_time: datetime) -> bool:
        found = await self.session.scalar(
            select(Push.id).where(Push.key == early_key(post_id, fire_time))
        )
        return found is not None

    async def cancel(self, chat_id: int, push_id: int) -> bool:
        cancelled = await self.session.execute(
            update(Push)
            .where(Push.id == push_id, Push.chat_id == chat_id, Push.status == "draft")
            .values(status="cancelled")
        )
        return bool(cancelled.rowcount)  # type: ignore[attr-defined]

    async def push(self, push_id: int) -> Push | None:
        return await self.session.get(Push, push_id)

    async def subscribe(self, user_id: int, chat_id: int | None, on: bool) -> int:
        """Pushes on or off for a member, in one group or (None) every group; groups changed."""
        query = update(Member).where(Member.user_id == user_id, Member.pushes_off.is_(on))
        if chat_id is not None:
            query = query.where(Member.chat_id == chat_id)
        changed = await self.session.execute(query.values(pushes_off=not on))
        return int(changed.rowcount)  # type: ignore[attr-defined]
