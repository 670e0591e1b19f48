from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class MessageAuthor(Base):
    """Who wrote a counted message, kept a few days in groups whose reactions earn: a
    `message_reaction` update names the reactor, never the author."""

    __tablename__ = "message_authors"
    __table_args__ = (Index("ix_message_authors_sent", "sent_at"),)

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReactionDay(Base):
    """Reactions that paid a member on one local day, held under the group's daily cap by a
    conditional upsert."""

    __tablename__ = "reaction_days"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    paid: Mapped[int] = mapped_column(Integer, default=0)
