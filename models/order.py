from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Order(Base):
    """A sale of the group's shop, imported, posted to `/shop/orders` or recorded by an admin;
    one row per (group, order id), however often it arrives.

    Its purchase points are worked out when it is credited to a member (`points`, multipliers
    of that moment included) and wait in `points_state`: `waiting` (no member has bound the
    buyer yet), `pending` (in the return window, until `confirm_at`), `confirmed` (in the
    ledger), or `void` (refunded in the window, or nothing to pay). Amounts are in fen.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("chat_id", "order_id"),
        Index("ix_orders_buyer", "chat_id", "buyer_key"),
        Index("ix_orders_member", "chat_id", "user_id"),
        Index("ix_orders_paid", "chat_id", "paid_at"),
        Index("ix_orders_due", "points_state", "confirm_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    order_id: Mapped[str] = mapped_column(String(64))
    buyer: Mapped[str] = mapped_column(String(64))
    buyer_key: Mapped[str] = mapped_column(String(64))  # the nickname as bindings compare it
    title: Mapped[str | None] = mapped_column(String(255), default=None)  # 宝贝标题, when known
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # credited to
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="paid")  # refunded: all of it
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # import, http, admin
    coupon_code: Mapped[str | None] = mapped_column(String(64), default=None)  # a secret
    # Where the fanbot coupon named by the order came from: its redemption, that
    # redemption's source (shop, draw, campaign, tier) and its campaign.
    redemption_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    coupon_source: Mapped[str | None] = mapped_column(String(16), default=None)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    points: Mapped[int] = mapped_column(BigInteger, default=0)  # for the whole amount
    points_state: Mapped[str] = mapped_column(String(16), default="waiting")
    points_campaign_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    confirm_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BuyerBinding(Base):
    """A shop nickname (买家会员名) bound to one member of a group: their orders are theirs.

    `proof` says how it was bound: `order` (the member gave the number and amount of one of the
    nickname's orders, `proof_order`), `admin` (an admin bound it), or `unproven` (bound by a
    member's word alone, before proof was asked: kept, and named so when someone disputes it).
    """

    __tablename__ = "buyer_bindings"
    __table_args__ = (Index("ix_buyer_bindings_member", "chat_id", "user_id"),)

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    buyer_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    buyer: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigInteger)
    bound_by: Mapped[int] = mapped_column(BigInteger)  # the member, or the admin who bound it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proof: Mapped[str] = mapped_column(String(16))
    proof_order: Mapped[str | None] = mapped_column(String(64), default=None)


class BindTry(Base):
    """A member's tries at proving a shop nickname on `day` (the bot's local day): a few a day,
    counted in the database so that a restart or a second worker does not reset them. One row
    a member, started afresh on a new day."""

    __tablename__ = "bind_tries"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)
    tries: Mapped[int] = mapped_column(Integer)


class Push(Base):
    """A targeted private message (精准推送) to a segment or tier, confirmed by an admin, or a
    scheduled post's early run for a tier (`post_id`); each member's copy is an outbox row."""

    __tablename__ = "pushes"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"), index=True)
    audience: Mapped[str] = mapped_column(String(80))  # segment:<name> or tier:<key>
    # The content, as a scheduled post keeps it: text (or caption) with its entities, a photo,
    # and the link buttons of the message it copies ([[text, url], ...])
    text: Mapped[str | None] = mapped_column(Text, default=None)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    photo_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    buttons: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    post_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # A post's early run is written once per (post, fire time): early:<post>:<fire time>
    key: Mapped[str | None] = mapped_column(String(120), default=None, unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # sent, cancelled
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_on: Mapped[date | None] = mapped_column(Date, default=None)  # the chat's local day
