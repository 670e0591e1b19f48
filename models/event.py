from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Event(Base):
    """An event (线下活动, 同城 meetup, 直播): posted in a group (`chat_id`) for the members of
    its program (`program_id`, whose accounts pay the cost and earn for attending)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_chat_id", "chat_id", "id"),
        Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    program_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(200), default=None)
    online: Mapped[bool] = mapped_column(Boolean, default=False)  # no door, no tickets
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)  # seats; None: no limit
    cost: Mapped[int] = mapped_column(Integer, default=0)  # points a seat
    guests: Mapped[int] = mapped_column(Integer, default=0)  # seats a member may add
    min_tier: Mapped[str | None] = mapped_column(String(32), default=None)
    priority_tier: Mapped[str | None] = mapped_column(String(32), default=None)
    priority_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    keyword: Mapped[str | None] = mapped_column(String(64), default=None)  # online draw word
    photo_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, cancelled
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the card
    created_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # no-shows set


class EventSeat(Base):
    """A member's sign-up for an event: confirmed, waiting (in `position` order, the order of
    the presses), offered (a seat freed for them to confirm by `offered_until`), cancelled or
    lapsed. One row per member and event; signing up again after a cancel reuses it (`round`
    counts the sign-ups, so each pays and is refunded under keys of its own)."""

    __tablename__ = "event_seats"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        UniqueConstraint("code"),
        Index("ix_event_seats_event_status", "event_id", "status", "position"),
        Index("ix_event_seats_program_user", "program_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    seats: Mapped[int] = mapped_column(Integer, default=1)  # the member and their guests
    position: Mapped[int] = mapped_column(Integer)  # the press's place in the event's order
    round: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))
    paid: Mapped[int] = mapped_column(Integer, default=0)  # points taken for this round
    offered_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    code: Mapped[str] = mapped_column(String(16))  # the ticket's short code
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    checked_in_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    no_show: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded: Mapped[int] = mapped_column(Integer, default=0)  # 1: the day before, 2: the hour
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
