from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId


class TierRow(Base):
    """One step of a chat's VIP ladder; a chat without rows uses the default ladder."""

    __tablename__ = "tiers"
    __table_args__ = (
        UniqueConstraint("chat_id", "key"),
        UniqueConstraint("chat_id", "threshold"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    # "bronze" for a default tier (named in the reader's language), else the admin's name folded.
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(64), default=None)  # None: the default's
    threshold: Mapped[int] = mapped_column(BigInteger)
    perks: Mapped[str | None] = mapped_column(String(255), default=None)  # None: the default's
