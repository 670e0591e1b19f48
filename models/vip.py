"""VIP rooms and paid membership (issue 38): a group of a program that lets in only who
qualifies, and monthly plans sold as Telegram Stars subscriptions, on a payments ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class VipRoom(Base):
    """A group made its program's VIP room (`/vip room <rule>`): who qualifies by `rule`
    (`gold|paid`, as `services/vip_rules.py` reads it) may come in through `link`, a link that
    asks to join."""

    __tablename__ = "vip_rooms"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    program_id: Mapped[int] = mapped_column(BigInteger, index=True)
    rule: Mapped[str] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(255), default=None)
    grace_days: Mapped[int] = mapped_column(Integer, default=3)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VipSeat(Base):
    """One member and one room: when they were invited (once), told they no longer qualify
    (and until when they may stay), and removed."""

    __tablename__ = "vip_seats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class VipPlan(Base):
    """A monthly plan of a program, sold as a Stars subscription through `link`; `tier`: the
    tier its members hold whatever their points; `points`: paid on the ledger each period."""

    __tablename__ = "vip_plans"
    __table_args__ = (UniqueConstraint("program_id", "name_key"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(32))  # an invoice's title: 1-32 characters
    name_key: Mapped[str] = mapped_column(String(64))
    stars: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    points: Mapped[int] = mapped_column(Integer, default=0)
    link: Mapped[str | None] = mapped_column(String(255), default=None)
    on_sale: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VipMembership(Base):
    """A member's paid membership of one plan: `status` active (until `expires_at`), lapsed
    or refunded; `charge_id` is the subscription's first charge, which names it to Telegram."""

    __tablename__ = "vip_memberships"
    __table_args__ = (
        UniqueConstraint("program_id", "user_id", "plan_id"),
        Index("ix_vip_memberships_status", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    plan_id: Mapped[int] = mapped_column(BigInteger)
    charge_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    canceled: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class VipPayment(Base):
    """The payments ledger: one row per Telegram charge, never two (a redelivered
    `successful_payment` finds its charge taken). A refund marks the row, never deletes it."""

    __tablename__ = "vip_payments"
    __table_args__ = (Index("ix_vip_payments_program", "program_id", "paid_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    plan_id: Mapped[int] = mapped_column(BigInteger)
    membership_id: Mapped[int] = mapped_column(BigInteger)
    stars: Mapped[int] = mapped_column(Integer)
    first: Mapped[bool] = mapped_column(Boolean)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the period it paid for ends
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refund_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    refunded_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
