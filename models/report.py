from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Report(Base):
    """A member's message reported to the admins (`/report`, or a reply naming @admin): one row
    per message, however many report it; `state` open until an admin's button settles it
    (handled, deleted, muted, banned)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    message_id: Mapped[int] = mapped_column(BigInteger)
    target_id: Mapped[int] = mapped_column(BigInteger)  # who wrote the reported message
    target_name: Mapped[str] = mapped_column(String(255), default="")
    excerpt: Mapped[str] = mapped_column(String(255), default="")
    reported_by: Mapped[int] = mapped_column(BigInteger)  # the first to report it
    reporters: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(8), default="open")
    handled_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ReportVote(Base):
    """One member's report of one message: counted once however often they send it, and what
    the hourly limit on a member's reports counts."""

    __tablename__ = "report_votes"
    __table_args__ = (Index("ix_report_votes_reporter", "chat_id", "reporter_id", "created_at"),)

    report_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("reports.id"), primary_key=True, autoincrement=False
    )
    reporter_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
