"""A topic's replies while it is open: which open topic a message belongs to, and what it
earns.

A reply is recorded once per message (`topic_replies`), so a redelivered one changes nothing;
what a member has been rewarded is counted by a conditional UPDATE on their `topic_members`
row, so the cap holds across workers; each reward is a ledger row with its own key
(`topic:{topic}:{message}`), apart from message points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Topic, TopicMember, TopicReaction, TopicReply
from models.queries import insert_for
from services.clock import Clock
from services.daystats import count_today
from services.points import PointsService

MIN_VISIBLE = 5  # characters a text reply needs to earn


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


class TopicReplyService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

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
