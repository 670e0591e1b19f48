from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ChatBoostRow(Base):
    """A boost of a group, as `chat_boost` / `removed_chat_boost` updates told it; one row per
    (group, boost id), so an update delivered again or a boost extended (the same id with a
    later expiry) pays nothing more, and a removal takes back what the row says was paid."""

    __tablename__ = "chat_boosts"
    __table_args__ = (Index("ix_chat_boosts_added", "chat_id", "added_at"),)

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    boost_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # None: a giveaway's boost with no winner (nobody to pay)
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    source: Mapped[str] = mapped_column(String(16))  # premium, gift_code, giveaway
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)  # ledger key `boost:<chat>:<id>`
