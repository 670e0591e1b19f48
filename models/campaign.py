from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Campaign(Base):
    """A holiday event (店庆, 双十一): for its local days every points award is multiplied.

    `starts_at`/`ends_at` are the window in UTC, fixed from the chat's zone when it was made;
    `greeted_at` and `thanked_at` are set by whoever posts the greeting and the thanks (once).
    """

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_chat_ends", "chat_id", "ends_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    multiplier_pct: Mapped[int] = mapped_column(Integer)  # 200 for x2
    greeting: Mapped[str | None] = mapped_column(Text, default=None)
    # A reward its greeting hands out, one per member, while the campaign runs ("领券")
    coupon_reward_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    greeted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CadenceRun(Base):
    """One firing of a chat's daily cadence (morning post, reminder, digest): claimed before
    it is sent, like `post_runs`."""

    __tablename__ = "cadence_runs"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    part: Mapped[str] = mapped_column(String(16), primary_key=True)
    fire_time: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
