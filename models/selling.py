from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Distributor(Base):
    """A member who sells for the brand (分销员): the program's. Their commission stands in three
    sums kept with the row and audited against `commission_entries`: pending (in the return
    window), payable (confirmed, not yet paid out; below zero when a clawback took more than was
    left) and paid. Money in fen."""

    __tablename__ = "distributors"

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    rate_bp: Mapped[int] = mapped_column(Integer)  # commission in basis points: 800 is 8%
    channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # their link
    pending_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payable_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DistributorCode(Base):
    """A coupon code of a distributor's own pool: an order naming it is theirs. Unique in the
    program, so a code is never two distributors'."""

    __tablename__ = "distributor_codes"
    __table_args__ = (Index("ix_distributor_codes_member", "program_id", "user_id"),)

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Commission(Base):
    """An order's commission: one row per order (its `orders.id`), so an order is never two
    distributors'. It lives as the order's purchase points do: `pending` until `confirm_at`
    (the return window), then `confirmed`; `void` when refunded in full in the window.
    `amount_fen` is the commission of the whole order; `counted_fen` what of it stands now
    (less what refunds took)."""

    __tablename__ = "commissions"
    __table_args__ = (
        Index("ix_commissions_due", "state", "confirm_at"),
        Index("ix_commissions_distributor", "program_id", "user_id"),
    )

    order_row: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)  # the distributor
    via: Mapped[str] = mapped_column(String(8))  # coupon or link
    rate_bp: Mapped[int] = mapped_column(Integer)
    order_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    counted_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    confirm_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommissionEntry(Base):
    """The commission ledger: append-only, each row moving fen between a distributor's pending,
    payable and paid sums (accrue, cancel, confirm, clawback, payout), keyed so that nothing
    moves twice."""

    __tablename__ = "commission_entries"
    __table_args__ = (Index("ix_commission_entries_distributor", "program_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(16))
    pending_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    payable_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    order_row: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reference: Mapped[str | None] = mapped_column(String(64), default=None)  # a payout's
    actor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
