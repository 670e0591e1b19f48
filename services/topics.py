"""Topic threads (话题): queued, opened, rewarding replies, closed with a summary and bonuses.

A reply is recorded once per message (`topic_replies`), so a redelivered one changes nothing;
what a member has been rewarded is counted by a conditional UPDATE on their `topic_members`
row, so the cap holds across workers; each reward and bonus is a ledger row with its own key
(`topic:{topic}:{message}`, `topic:{topic}:bonus:{user}`), apart from message points. Opening
and closing move `topics.status` by a conditional UPDATE: whoever changes the row does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Topic, TopicMember, TopicReaction, TopicReply
from models.queries import insert_for
from services.clock import Clock
from services.daystats import count_today
from services.members import display_names, ensure_members
from services.points import Award, PointsService
from services.words import loosen_options

MAX_TITLE = 128
LIMITS = {"hours": (1, 168), "reward": (0, 1000), "cap": (1, 100)}
MAX_BONUS = 10_000
DEFAULT_BONUSES: tuple[int, ...] = (20, 10, 5)
TOP = 3  # contributors named in the summary
MIN_VISIBLE = 5  # characters a text reply needs to earn
MAX_QUEUE = 50
# The six icon colours Telegram allows for a forum topic.
COLORS = {
    "blue": 7322096, "yellow": 16766590, "violet": 13338331,
    "green": 9367192, "rose": 16749490, "red": 16478047,
}  # fmt: skip
OPTION_NAMES = ("hours", "reward", "cap", "kind", "color", "bonus")
OPTION = re.compile(rf"^({'|'.join(OPTION_NAMES)})=(\S+)$", re.IGNORECASE)
KINDS = ("talk", "show")


class TopicInputError(ValueError):
    """What is wrong: "title", "long", "hours", "reward", "cap", "kind", "color", "bonus",
    "full" (the queue)."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    title: str
    hours: int = 24
    reward: int = 2
    cap: int = 10
    kind: str = "talk"  # or "show": only photo replies count (晒单)
    icon_color: int | None = None  # forum topics only
    bonuses: tuple[int, ...] = DEFAULT_BONUSES


def parse_topic(args: str) -> TopicSpec:
    """`<title> [hours=24] [reward=2] [cap=10] [kind=show] [color=blue] [bonus=20,10,5]`."""
    options: dict[str, str] = {}
    words = []
    for word in loosen_options(args, OPTION_NAMES).split():
        found = OPTION.match(word)
        if found is None:
            words.append(word)
        else:
            options[found[1].lower()] = found[2]
    title = " ".join(words)
    if not title:
        raise TopicInputError("title")
    if len(title) > MAX_TITLE:
        raise TopicInputError("long")
    numbers: dict[str, int] = {}
    for name, (low, high) in LIMITS.items():
        if name in options:
            raw = options[name]
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise TopicInputError(name)
            numbers[name] = int(raw)
    kind = options.get("kind", "talk").lower()
    if kind not in KINDS:
        raise TopicInputError("kind")
    color = options.get("color")
    if color is not None and color.lower() not in COLORS:
        raise TopicInputError("color")
    bonuses = DEFAULT_BONUSES
    if "bonus" in options:
        parts = options["bonus"].replace("，", ",").split(",")
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() and int(p) <= MAX_BONUS for p in parts):
            raise TopicInputError("bonus")
        bonuses = tuple(int(part) for part in parts)
    return TopicSpec(
        title, kind=kind, bonuses=bonuses,
        icon_color=COLORS[color.lower()] if color is not None else None, **numbers,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OpenTopic:
    """What the hot path needs to tell whether a message belongs to an open topic."""

    id: int
    kind: str
    thread_id: int | None
    anchor_message_id: int | None
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class TopicMessage:
    """A member's message that may belong to an open topic."""

    chat_id: int
    message_id: int
    user_id: int
    sent_at: datetime
    thread_id: int | None  # the forum topic it was posted in
    parent_message_id: int | None  # the message it replies to
    parent_user_id: int | None  # that message's author, when a person
    photo_file_id: str | None
    fingerprint: str
    visible: int  # characters a reader sees
    timezone: str


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    topic_id: int
    points: int  # paid now, a campaign's multiplier included; 0 when not rewarded


@dataclass(frozen=True, slots=True)
class Contributor:
    user_id: int
    name: str
    replies: int
    received: int
    bonus: int  # paid, a campaign's multiplier included


@dataclass(frozen=True, slots=True)
class TopPhoto:
    file_id: str
    user_id: int
    name: str
    reactions: int
    replies: int


@dataclass(frozen=True, slots=True)
class TopicFigures:
    topic: Topic
    replies: int
    repliers: int


@dataclass(frozen=True, slots=True)
class ClosedTopic:
    topic: Topic
    replies: int
    participants: int
    top: list[Contributor]
    photos: list[TopPhoto] = field(default_factory=list)


async def open_topics(session: AsyncSession, chat_id: int) -> tuple[OpenTopic, ...]:
    rows = await session.execute(
        select(Topic.id, Topic.kind, Topic.thread_id, Topic.anchor_message_id, Topic.closes_at)
        .where(Topic.chat_id == chat_id, Topic.status == "open")
        .order_by(Topic.id)
    )
    return tuple(
        OpenTopic(topic_id, kind, thread_id, anchor_id, closes_at)
        for topic_id, kind, thread_id, anchor_id, closes_at in rows
        if closes_at is not None  # an open topic always has one
    )


class TopicService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    # -- opening -------------------------------------------------------------------------

    async def by_command(self, chat_id: int, message_id: int) -> Topic | None:
        """The topic a `/topic new` message opened (it was delivered before)."""
        return await self.session.scalar(
            select(Topic).where(Topic.chat_id == chat_id, Topic.source_message_id == message_id)
        )

    async def create(
        self,
        chat_id: int,
        user_id: int,
        spec: TopicSpec,
        *,
        thread_id: int | None,
        anchor_message_id: int,
        source_message_id: int | None,
    ) -> Topic | None:
        """An open topic; None when its command opened one already."""
        now = self.clock.now()
        topic_id = await self.session.scalar(
            insert_for(self.session, Topic)
            .values(
                chat_id=chat_id, created_by=user_id, status="open", thread_id=thread_id,
                anchor_message_id=anchor_message_id, source_message_id=source_message_id,
                opens_at=now, closes_at=now + timedelta(hours=spec.hours), created_at=now,
                **spec_columns(spec),
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "source_message_id"])
            .returning(Topic.id)
        )  # fmt: skip
        return None if topic_id is None else await self.session.get(Topic, topic_id)

    async def enqueue(self, chat_id: int, user_id: int, spec: TopicSpec) -> Topic:
        if len(await self.queued(chat_id)) >= MAX_QUEUE:
            raise TopicInputError("full")
        topic = Topic(
            chat_id=chat_id, created_by=user_id, status="queued", created_at=self.clock.now(),
            **spec_columns(spec),
        )  # fmt: skip
        self.session.add(topic)
        await self.session.flush()
        return topic

    async def queued(self, chat_id: int) -> list[Topic]:
        return list(await self.session.scalars(in_status(chat_id, "queued")))

    async def next_queued(self, chat_id: int) -> Topic | None:
        return await self.session.scalar(in_status(chat_id, "queued").limit(1))

    async def drop_queued(self, chat_id: int, position: int) -> Topic | None:
        """Delete the queue's `position`th topic (from 1), as `/topic queue` numbers them."""
        queue = await self.queued(chat_id)
        if not 1 <= position <= len(queue):
            return None
        topic = queue[position - 1]
        await self.session.delete(topic)
        await self.session.flush()
        return topic

    async def open_queued(
        self, topic_id: int, *, thread_id: int | None, anchor_message_id: int
    ) -> Topic | None:
        """Open a queued topic whose thread or anchor was just posted; None if it is not
        queued any more."""
        now = self.clock.now()
        hours = await self.session.scalar(select(Topic.hours).where(Topic.id == topic_id))
        if hours is None:
            return None
        opened = await self.session.scalar(
            update(Topic)
            .where(Topic.id == topic_id, Topic.status == "queued")
            .values(status="open", thread_id=thread_id, anchor_message_id=anchor_message_id,
                    opens_at=now, closes_at=now + timedelta(hours=hours))
            .returning(Topic.id)
        )  # fmt: skip
        if opened is None:
            return None
        return await self.session.get(Topic, topic_id, populate_existing=True)

    # -- while open ----------------------------------------------------------------------

    async def of_chat(self, chat_id: int) -> list[Topic]:
        """The open topics."""
        return list(await self.session.scalars(in_status(chat_id, "open")))

    async def recent(self, chat_id: int, limit: int = 30) -> list[TopicFigures]:
        """The chat's topics, newest first (queued ones too), with their replies and repliers."""
        figures = (
            select(
                TopicReply.topic_id,
                func.count().label("replies"),
                func.count(func.distinct(TopicReply.user_id)).label("repliers"),
            )
            .where(TopicReply.chat_id == chat_id)
            .group_by(TopicReply.topic_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(Topic, figures.c.replies, figures.c.repliers)
            .outerjoin(figures, figures.c.topic_id == Topic.id)
            .where(Topic.chat_id == chat_id)
            .order_by(Topic.id.desc())
            .limit(limit)
        )
        return [
            TopicFigures(topic, replies or 0, repliers or 0) for topic, replies, repliers in rows
        ]

    async def rewarded_counts(self, topic_ids: Sequence[int], user_id: int) -> dict[int, int]:
        rows = await self.session.execute(
            select(TopicMember.topic_id, TopicMember.rewarded).where(
                TopicMember.topic_id.in_(topic_ids), TopicMember.user_id == user_id
            )
        )
        return dict(rows.tuples().all())

    async def topic_of(
        self, message: TopicMessage, candidates: Sequence[OpenTopic]
    ) -> OpenTopic | None:
        """The open topic the message belongs to: posted in its forum thread, or a reply to
        its anchor or to a message that belongs to it."""
        for topic in candidates:
            if topic.thread_id is not None and topic.thread_id == message.thread_id:
                return topic
        anchored = [topic for topic in candidates if topic.thread_id is None]
        parent = message.parent_message_id
        if parent is None or not anchored:
            return None
        for topic in anchored:
            if topic.anchor_message_id == parent:
                return topic
        topic_id = await self.session.scalar(
            select(TopicReply.topic_id).where(
                TopicReply.chat_id == message.chat_id, TopicReply.message_id == parent
            )
        )
        return next((topic for topic in anchored if topic.id == topic_id), None)

    async def record(self, message: TopicMessage, topic: OpenTopic) -> ReplyOutcome | None:
        """Record a message of `topic` and pay what it earns; None when it was recorded
        before, or the topic has closed."""
        if message.sent_at >= topic.closes_at:
            return None
        row = (
            await self.session.execute(
                select(Topic.status, Topic.reward, Topic.cap).where(Topic.id == topic.id)
            )
        ).one_or_none()
        if row is None or row.status != "open":
            return None
        inserted = await self.session.scalar(
            insert_for(self.session, TopicReply)
            .values(
                chat_id=message.chat_id, message_id=message.message_id, topic_id=topic.id,
                user_id=message.user_id, parent_message_id=message.parent_message_id,
                photo_file_id=message.photo_file_id, fingerprint=message.fingerprint, points=0,
                created_at=message.sent_at,
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
            .returning(TopicReply.message_id)
        )  # fmt: skip
        if inserted is None:
            return None  # delivered again
        count_today(
            self.session, message.chat_id, message.sent_at, message.timezone, topic_replies=1
        )
        received = message.parent_user_id
        touched = {message.user_id} | (
            {received} if received not in (None, message.user_id) else set()
        )
        for user_id in sorted(touched):  # one lock order, so two workers never deadlock
            await self._count(topic.id, user_id, message, made=user_id == message.user_id)
        # (a reply to one's own message is made, not received)
        if not await self._earns(message, topic, row.reward):
            return ReplyOutcome(topic.id, 0)
        counted = await self.session.scalar(
            update(TopicMember)
            .where(TopicMember.topic_id == topic.id, TopicMember.user_id == message.user_id)
            .where(TopicMember.rewarded < row.cap)
            .values(rewarded=TopicMember.rewarded + 1)
            .returning(TopicMember.rewarded)
        )
        if counted is None:
            return ReplyOutcome(topic.id, 0)  # at the cap
        await self.session.execute(
            update(TopicReply)
            .where(TopicReply.chat_id == message.chat_id)
            .where(TopicReply.message_id == message.message_id)
            .values(points=row.reward)
        )
        balance = await self.points.change(
            message.chat_id, message.user_id, row.reward, reason="topic",
            key=f"topic:{topic.id}:{message.message_id}", ref=f"topic:{topic.id}",
            timezone=message.timezone,
        )  # fmt: skip
        return ReplyOutcome(topic.id, balance.paid)  # a tier reached: congratulated by the outbox

    async def _count(self, topic_id: int, user_id: int, message: TopicMessage, made: bool) -> None:
        statement = insert_for(self.session, TopicMember).values(
            topic_id=topic_id, user_id=user_id, replies=int(made), received=int(not made),
            rewarded=0, first_reply_at=message.sent_at if made else None,
        )  # fmt: skip
        changes = (
            {"replies": TopicMember.replies + 1,
             "first_reply_at": func.coalesce(TopicMember.first_reply_at, message.sent_at)}
            if made
            else {"received": TopicMember.received + 1}
        )  # fmt: skip
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["topic_id", "user_id"], set_=changes)
        )

    async def _earns(self, message: TopicMessage, topic: OpenTopic, reward: int) -> bool:
        """Long enough (or a photo; only a photo in a show-off topic), and not the same
        words or photo the member was rewarded for in this topic before."""
        if reward <= 0:
            return False
        if topic.kind == "show":
            if message.photo_file_id is None:
                return False
        elif message.photo_file_id is None and message.visible < MIN_VISIBLE:
            return False
        repeat = await self.session.scalar(
            select(TopicReply.message_id)
            .where(TopicReply.topic_id == topic.id, TopicReply.user_id == message.user_id)
            .where(TopicReply.fingerprint == message.fingerprint, TopicReply.points > 0)
            .limit(1)
        )
        return repeat is None

    async def react(self, chat_id: int, message_id: int, user_id: int, reacted: bool) -> None:
        """A member set (or cleared) their reaction to a message; kept for topic replies."""
        if not reacted:
            await self.session.execute(
                delete(TopicReaction).where(
                    TopicReaction.chat_id == chat_id,
                    TopicReaction.message_id == message_id,
                    TopicReaction.user_id == user_id,
                )
            )
            return
        in_topic = await self.session.scalar(
            select(TopicReply.topic_id).where(
                TopicReply.chat_id == chat_id, TopicReply.message_id == message_id
            )
        )
        if in_topic is not None:
            await self.session.execute(
                insert_for(self.session, TopicReaction)
                .values(chat_id=chat_id, message_id=message_id, user_id=user_id)
                .on_conflict_do_nothing(index_elements=["chat_id", "message_id", "user_id"])
            )

    # -- closing -------------------------------------------------------------------------

    async def open_ids(self, chat_id: int | None = None) -> list[tuple[int, datetime]]:
        """Open topics (of a chat, or of all) and when each closes."""
        query = select(Topic.id, Topic.closes_at).where(Topic.status == "open")
        if chat_id is not None:
            query = query.where(Topic.chat_id == chat_id)
        rows = await self.session.execute(query.order_by(Topic.id))
        return [(topic_id, closes_at) for topic_id, closes_at in rows if closes_at is not None]

    async def chat_of(self, topic_id: int) -> int | None:
        return await self.session.scalar(select(Topic.chat_id).where(Topic.id == topic_id))

    async def close(self, topic_id: int, timezone: str) -> ClosedTopic | None:
        """Close an open topic and pay its top three their bonuses; None when it is not open."""
        claimed = await self.session.scalar(
            update(Topic)
            .where(Topic.id == topic_id, Topic.status == "open")
            .values(status="closed", closed_at=self.clock.now())
            .returning(Topic.id)
        )
        if claimed is None:
            return None
        topic = await self.session.get(Topic, topic_id, populate_existing=True)
        assert topic is not None
        replies, participants = (
            await self.session.execute(
                select(func.count(), func.count(func.distinct(TopicReply.user_id))).where(
                    TopicReply.topic_id == topic_id
                )
            )
        ).one()
        ranked = list(
            await self.session.scalars(
                select(TopicMember)
                .where(TopicMember.topic_id == topic_id, TopicMember.replies > 0)
                .order_by(
                    (TopicMember.replies + TopicMember.received).desc(),
                    TopicMember.received.desc(),
                    TopicMember.first_reply_at,
                    TopicMember.user_id,
                )
                .limit(TOP)
            )
        )
        awards = [
            Award(topic.chat_id, member.user_id, bonus, "topic",
                  f"topic:{topic_id}:bonus:{member.user_id}", ref=f"topic:{topic_id}")
            for member, bonus in zip(ranked, topic.bonuses, strict=False)
            if bonus > 0
        ]  # fmt: skip
        await ensure_members(self.session, ((a.chat_id, a.user_id) for a in awards))
        paid = await self.points.award_many(awards, {topic.chat_id: timezone}, members_exist=True)
        photos = await self._top_photos(topic) if topic.kind == "show" else []
        names = await display_names(
            self.session,
            topic.chat_id,
            [member.user_id for member in ranked] + [photo[1] for photo in photos],
        )
        top = [
            Contributor(
                member.user_id, names.get(member.user_id, str(member.user_id)), member.replies,
                member.received, paid.paid.get(f"topic:{topic_id}:bonus:{member.user_id}", 0),
            )
            for member in ranked
        ]  # fmt: skip
        shown = [
            TopPhoto(file_id, user_id, names.get(user_id, str(user_id)), reactions, answers)
            for file_id, user_id, reactions, answers in photos
        ]
        return ClosedTopic(topic, int(replies), int(participants), top, shown)

    async def _top_photos(self, topic: Topic) -> list[tuple[str, int, int, int]]:
        """(file id, author, reactions, replies) of the three photos most reacted to or
        replied to; photos nobody reacted or replied to are not among them."""
        reactions = (
            select(func.count())
            .where(TopicReaction.chat_id == TopicReply.chat_id)
            .where(TopicReaction.message_id == TopicReply.message_id)
            .scalar_subquery()
        )
        answer = TopicReply.__table__.alias("answer")
        answers = (
            select(func.count())
            .where(answer.c.topic_id == topic.id)
            .where(answer.c.parent_message_id == TopicReply.message_id)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(TopicReply.photo_file_id, TopicReply.user_id, reactions, answers)
            .where(TopicReply.topic_id == topic.id, TopicReply.photo_file_id.is_not(None))
            .where(reactions + answers > 0)
            .order_by((reactions + answers).desc(), TopicReply.message_id)
            .limit(3)
        )
        return [(str(file_id), user_id, int(r), int(a)) for file_id, user_id, r, a in rows]


def in_status(chat_id: int, status: str) -> Select[Topic]:
    """The chat's topics in `status`, oldest first (the queue's order)."""
    return select(Topic).where(Topic.chat_id == chat_id, Topic.status == status).order_by(Topic.id)


def spec_of(topic: Topic) -> TopicSpec:
    """What a stored (queued) topic was asked for: the inverse of `spec_columns`."""
    return TopicSpec(
        topic.title, topic.hours, topic.reward, topic.cap, topic.kind, topic.icon_color,
        tuple(topic.bonuses),
    )  # fmt: skip


def spec_columns(spec: TopicSpec) -> dict[str, object]:
    return {
        "title": spec.title, "kind": spec.kind, "hours": spec.hours, "reward": spec.reward,
        "cap": spec.cap, "bonuses": list(spec.bonuses), "icon_color": spec.icon_color,
    }  # fmt: skip
