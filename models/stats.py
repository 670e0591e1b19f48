from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

# The counters of a day, in the order /stats shows them.
DAY_COUNTERS = (
    "messages",
    "active_members",
    "joins",
    "leaves",
    "checkins",
    "draw_entries",
    "topic_replies",
    "referral_joins",
    "points_issued",
    "points_spent",
)


class DailyStats(Base):
    """A chat's figures for one local day, added to as the events happen (never recounted), so
    a report reads a row per day whatever the group's size."""

    __tablename__ = "daily_stats"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger, default=0)
    active_members: Mapped[int] = mapped_column(Integer, default=0)  # members who wrote
    joins: Mapped[int] = mapped_column(Integer, default=0)
    leaves: Mapped[int] = mapped_column(Integer, default=0)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    draw_entries: Mapped[int] = mapped_column(Integer, default=0)
    topic_replies: Mapped[int] = mapped_column(Integer, default=0)
    referral_joins: Mapped[int] = mapped_column(Integer, default=0)
    points_issued: Mapped[int] = mapped_column(BigInteger, default=0)
    points_spent: Mapped[int] = mapped_column(BigInteger, default=0)


class MemberSegment(Base):
    """A member's place in a segment (用户分层) as of the chat's last recount; `score` orders
    the segment's list."""

    __tablename__ = "member_segments"
    __table_args__ = (Index("ix_member_segments_rank", "chat_id", "segment", "score"),)

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    segment: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    score: Mapped[int] = mapped_column(BigInteger, default=0)


class SegmentRun(Base):
    """When a chat's segments were last recounted (for its local day), with their sizes."""

    __tablename__ = "segment_runs"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    day: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
