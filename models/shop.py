from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Reward(Base):
    """Something a group's members buy with points: a coupon (a code from its pool), a gift (a
    physical item, sent by the admins) or a perk (instructions, granted by hand).

    `stock` counts what is left (None: as many as there are codes, or no limit for gifts and
    perks); it only goes down in the transaction that redeems, and never below zero.
    """

    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # coupon, gift, perk
    price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer, default=None)
    initial_stock: Mapped[int | None] = mapped_column(Integer, default=None)
    limit_count: Mapped[int | None] = mapped_column(Integer, default=None)  # per member
    limit_per: Mapped[str] = mapped_column(String(8), default="ever")  # day, week, month, ever
    min_tier: Mapped[str | None] = mapped_column(String(64), default=None)  # a tier key
    badge: Mapped[str | None] = mapped_column(String(20), default=None)  # the program's badge
    valid_days: Mapped[int | None] = mapped_column(Integer, default=None)  # a coupon's life
    image_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    details: Mapped[str | None] = mapped_column(Text, default=None)  # a perk's instructions
    status: Mapped[str] = mapped_column(String(16), default="active")  # paused, deleted
    redeemed: Mapped[int] = mapped_column(Integer, default=0)
    points_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RewardCode(Base):
    """One code of a coupon reward's pool: free until a redemption takes it. A code is unique
    within its group, so one code is never handed out by two rewards. Codes are secrets: they
    go to their member privately and to no log."""

    __tablename__ = "reward_codes"
    __table_args__ = (
        UniqueConstraint("chat_id", "code"),
        Index("ix_reward_codes_free", "reward_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    reward_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("rewards.id"))
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="free")  # issued
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Redemption(Base):
    """A reward a member received: bought in the shop, or given by a draw, a campaign or a
    promotion (`source`). `key` makes the same press or grant write it once."""

    __tablename__ = "redemptions"
    __table_args__ = (
        Index("ix_redemptions_member", "chat_id", "user_id", "reward_id"),
        Index("ix_redemptions_chat", "chat_id", "id"),
        Index("ix_redemptions_reward_status", "reward_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    reward_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("rewards.id"))
    source: Mapped[str] = mapped_column(String(16), default="shop")  # draw, campaign, tier
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # its greeting's
    price: Mapped[int] = mapped_column(Integer)  # what was paid, after the tier's discount
    code_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("reward_codes.id"), default=None, unique=True
    )
    # issued; used (a coupon marked used); sent (a gift the admins sent)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    note: Mapped[str | None] = mapped_column(String(500), default=None)  # a gift's size, contact
    language: Mapped[str | None] = mapped_column(String(8), default=None)  # the member's, then
    # The private message that asked for the note: a reply to it is the note
    asked_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
