from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Jielong(Base):
    """A solitaire order list (接龙) posted in a group: members put their name down for a
    quantity (of an option, such as a size) until it ends. The group's: its post and its list
    live in the group that ran it."""

    __tablename__ = "jielongs"
    __table_args__ = (Index("ix_jielongs_due", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    title: Mapped[str] = mapped_column(String(200))
    options: Mapped[str] = mapped_column(String(400), default="")  # "S|M|L", or "" for none
    price_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)  # each, if priced
    limit: Mapped[int | None] = mapped_column(Integer, default=None)  # the most in all
    taken: Mapped[int] = mapped_column(Integer, default=0)  # the quantity put down so far
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | ended
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def choices(self) -> list[str]:
        return self.options.split("|") if self.options else []


class JielongEntry(Base):
    """A member's line on a list: how many of one option (`""` when the list has none)."""

    __tablename__ = "jielong_entries"

    jielong_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    option: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
