from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Raid(Base):
    """A raid: joins came faster than the group allows (`started_by` None), or an admin said
    `/raid on`. It ends at `ends_at` (pushed on while joins keep surging), or by `/raid off`;
    `ended_at` is set once, by whichever worker ends it."""

    __tablename__ = "raids"
    __table_args__ = (
        Index("ix_raids_open", "ended_at", "ends_at"),
        Index("ix_raids_chat", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[int | None] = mapped_column(BigInteger, default=None)  # None: the bot
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_by: Mapped[int | None] = mapped_column(BigInteger, default=None)


class RaidJoin(Base):
    """Someone who joined during a raid (once, however often Telegram tells of the join), and
    whether the bot could make them read-only."""

    __tablename__ = "raid_joins"

    raid_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("raids.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
