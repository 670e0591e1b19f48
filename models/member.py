from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class Member(Base):
    """A user's standing in one chat; `points == SUM(points_ledger.delta)` always."""

    __tablename__ = "members"
    # /top all and the rank in /me count down this index instead of sorting the chat; the
    # console's members list pages down the other two.
    __table_args__ = (
        Index("ix_members_chat_lifetime", "chat_id", "lifetime_points", "user_id"),
        Index("ix_members_chat_points", "chat_id", "points", "user_id"),
        Index("ix_members_chat_seen", "chat_id", "last_seen_at", "user_id"),
    )

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_points: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    tier: Mapped[str | None] = mapped_column(String(64), default=None)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    best_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_checkin_day: Mapped[date | None] = mapped_column(Date, default=None)
    invited_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Message points state: the newest message counted, the messages counted ("floor id id…",
    # services.messages.Seen: a redelivered one is among them, an older one handled late is
    # not), a fingerprint of the newest (a repeat earns nothing), the last award (cooldown) and
    # today's total from messages (daily cap, on the chat's local day).
    last_message_id: Mapped[int] = mapped_column(BigInteger, default=0)
    recent_message_ids: Mapped[str | None] = mapped_column(String(400), default=None)
    last_message_digest: Mapped[str | None] = mapped_column(String(32), default=None)
    message_points_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message_points_day: Mapped[date | None] = mapped_column(Date, default=None)
    message_points_today: Mapped[int] = mapped_column(Integer, default=0)
    # Analytics: the last local day the member wrote, and the days before it they wrote too
    # (bit i: `last_active_day` minus i days); replies others made to their messages; when
    # they left (None while in the group, as far as the bot saw).
    last_active_day: Mapped[date | None] = mapped_column(Date, default=None)
    active_days: Mapped[int] = mapped_column(Integer, default=0)
    replies_received: Mapped[int] = mapped_column(Integer, default=0)
    last_join_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Orders: points a refund took back that the balance could not pay (paid from the next
    # earnings), what the member paid in the shop (fen, refunds taken off), their orders.
    points_owed: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    orders_paid: Mapped[int] = mapped_column(Integer, default=0)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Targeted pushes: unsubscribed (退订), and the chat's local day of the last one received
    pushes_off: Mapped[bool] = mapped_column(Boolean, default=False)
    last_push_day: Mapped[date | None] = mapped_column(Date, default=None)
    # Moderation: muted or banned until then (earns nothing meanwhile); None: free
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
