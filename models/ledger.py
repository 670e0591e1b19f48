from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class LedgerEntry(Base):
    """One change of a member's points; append-only, never updated or deleted."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        Index("ix_points_ledger_member", "chat_id", "user_id", "id"),
        Index("ix_points_ledger_chat_created", "chat_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    delta: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str | None] = mapped_column(String(128), default=None)
    # A redelivered update or a retried job carries the same key, so it can never pay twice.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    actor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The campaign whose multiplier is in `delta`, if one was running.
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # What a `merge` row moves of lifetime points (a program joining another moves a member's
    # balance and their lifetime, which differ); None on every other row.
    lifetime_delta: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
