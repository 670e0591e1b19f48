"""Topic threads (话题): queued, opened, listed, closed with a summary and bonuses (what a
reply earns while one is open is `services/topic_replies.py`'s).

Each bonus is a ledger row with its own key (`topic:{topic}:bonus:{user}`), apart from message
points. Opening and closing move `topics.status` by a conditional UPDATE: whoever changes the
row does the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Topic, TopicMember, TopicReaction, TopicReply
from models.queries import insert_for
from services.clock import Clock
from services.members import display_names, ensure_members
from services.points import Award, PointsService
from services.topic_specs import TopicInputError, TopicSpec, spec_columns

TOP = 3  # contributors named in the summary
MAX_QUEUE = 50


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
