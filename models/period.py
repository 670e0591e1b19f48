from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class PeriodTotal(Base):
    """Points a member earned in one day, week or month of the chat's calendar, kept as they
    are earned, so /top reads the first rows of an index instead of summing the ledger."""

    __tablename__ = "points_periods"
    __table_args__ = (Index("ix_points_periods_rank", "chat_id", "period", "earned", "user_id"),)

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    period: Mapped[str] = mapped_column(String(16), primary_key=True)  # d:2026-11-23 w:2026-W48
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    earned: Mapped[int] = mapped_column(BigInteger, default=0)
    # When `earned` last grew: of two members on the same figure, the one who got there first
    # ranks higher. NULL for totals from before it was kept (they rank as earliest).
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
