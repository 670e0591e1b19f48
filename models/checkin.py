from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Checkin(Base):
    """One member's sign-in for one local day of the chat (or a make-up of a missed day)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("chat_id", "user_id", "day"),
        Index("ix_checkins_chat_day_rank", "chat_id", "day", "rank"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    rank: Mapped[int] = mapped_column(Integer)  # the K-th sign-in of the day; 0 for a make-up
    streak: Mapped[int] = mapped_column(Integer)
    reward: Mapped[int] = mapped_column(Integer)
    makeup: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckinDay(Base):
    """How many signed in on a chat's day: its row lock hands out ranks 1, 2, 3... once each."""

    __tablename__ = "checkin_days"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
