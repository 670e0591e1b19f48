from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Draw(Base):
    """A lucky draw: its prize and requirements, the committed seed, and once ended, the winners.

    `seed` stays secret until the draw ends; `commitment` (its SHA-256) is posted at the start.
    """

    __tablename__ = "draws"
    __table_args__ = (
        Index("ix_draws_status_ends_at", "status", "ends_at"),
        Index("ix_draws_chat", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    prize: Mapped[str] = mapped_column(String(200))
    winners: Mapped[int] = mapped_column(Integer)  # how many win
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    min_tier: Mapped[str | None] = mapped_column(String(64), default=None)  # its name, shown
    min_lifetime: Mapped[int] = mapped_column(Integer, default=0)  # that tier's threshold
    min_points: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[int] = mapped_column(Integer, default=0)
    min_member_days: Mapped[int] = mapped_column(Integer, default=0)
    min_messages: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str | None] = mapped_column(String(20), default=None)  # entrants must carry it
    seed: Mapped[str] = mapped_column(String(64))  # hex of 32 random bytes
    commitment: Mapped[str] = mapped_column(String(64))  # hex SHA-256 of the seed's bytes
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, ended, cancelled
    entrants: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the draw's post
    winner_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # in the order drawn
    next_counter: Mapped[int] = mapped_column(Integer, default=0)  # where a reroll goes on
    claimed_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # winners who claimed
    rerolls: Mapped[list[list[int]]] = mapped_column(JSON, default=list)  # who each one replaced
    result_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reward_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # a coupon prize
    # An online session's keyword draw: entrants hold a seat at this event and enter by
    # sending its keyword in the group during it (no Join button).
    event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DrawEntry(Base):
    __tablename__ = "draw_entries"

    draw_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("draws.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    paid: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
