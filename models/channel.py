from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Channel(Base):
    """A named invite link (渠道活码) an admin made for one place the group is shown: a parcel
    card, a Xiaohongshu note, a livestream. A revoked one keeps its row and its members; its
    name stays taken in the group, so a name's figures are always one link's."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("chat_id", "name_key"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))  # the group's link
    program_id: Mapped[int] = mapped_column(BigInteger)  # whose members its joiners become
    name: Mapped[str] = mapped_column(String(32))  # Telegram's limit for a link's name
    name_key: Mapped[str] = mapped_column(String(64))  # the name case-folded: unique per group
    link: Mapped[str] = mapped_column(String(255), unique=True)
    creates_join_request: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ChannelJoin(Base):
    """The channel that brought a member to a program: the first one only, ever (a member's
    referral link counts as a channel too, and is read from `referrals`). `left_at`: when they
    first left the group they joined, after that join."""

    __tablename__ = "channel_joins"
    __table_args__ = (Index("ix_channel_joins_channel", "channel_id"),)

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("channels.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)  # the group they joined
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
