from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Topic(Base):
    """A topic thread (话题): queued by an admin, opened (a forum topic, or an anchor message
    that replies join), rewarding replies until `closes_at`, then closed with a summary.

    `status` moves queued → open → closed, each step by a conditional UPDATE, so two workers
    or a restart never open or close one twice. `source_message_id` is the `/topic new` that
    opened it: a redelivered command finds it and opens nothing.
    """

    __tablename__ = "topics"
    __table_args__ = (
        Index("ix_topics_chat_status", "chat_id", "status"),
        UniqueConstraint("chat_id", "source_message_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # talk, or show (晒单: photo replies only)
    status: Mapped[str] = mapped_column(String(8))  # queued, open, closed
    hours: Mapped[int] = mapped_column(Integer)
    reward: Mapped[int] = mapped_column(Integer)  # points per rewarded reply
    cap: Mapped[int] = mapped_column(Integer)  # rewarded replies per member
    bonuses: Mapped[list[int]] = mapped_column(JSON, default=list)  # for the top 3, in order
    icon_color: Mapped[int | None] = mapped_column(Integer, default=None)  # forum topics only
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # forum topics
    anchor_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TopicReply(Base):
    """A member's message in an open topic, rewarded or not; keyed by the message, so a
    redelivered one is recorded (and paid) once. In an ordinary group, a reply to one of
    these belongs to the topic too."""

    __tablename__ = "topic_replies"
    __table_args__ = (
        Index("ix_topic_replies_topic", "topic_id", "user_id"),
        Index("ix_topic_replies_parent", "topic_id", "parent_message_id"),
    )

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    topic_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("topics.id"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    parent_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    photo_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    fingerprint: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)  # the reward, before a campaign
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TopicMember(Base):
    """A member's figures in one topic: replies made, replies received from others, and
    replies rewarded (at most the topic's cap, counted by a conditional UPDATE)."""

    __tablename__ = "topic_members"

    topic_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("topics.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    rewarded: Mapped[int] = mapped_column(Integer, default=0)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TopicReaction(Base):
    """A member's reaction to a topic reply (any emoji counts once); set and cleared as
    `message_reaction` updates say, so a redelivered update changes nothing."""

    __tablename__ = "topic_reactions"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
