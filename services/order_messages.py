"""What is said of shop orders through the outbox (rendered by `workflows/order_messages.py`):
privately to a member, what an order earns and what a refund took; to the admins, a nickname
proved by a second member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPoints(OutboxPayload):
    """What a credited order earns and when it counts, read from the order when it is sent."""

    kind = "order_points"
    grace = timedelta(days=2)
    order_id: int
    language: str | None = None  # the member's, when known; else the bot's default


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRefunded(OutboxPayload):
    """Once per refund: the purchase points it cancelled, or took back after the member heard
    of them (`paid`)."""

    kind = "order_refunded"
    grace = timedelta(days=7)
    order_id: int
    refunded_fen: int
    points: int
    paid: bool
    language: str | None = None  # that of the note that told of the points


@dataclass(frozen=True, slots=True, kw_only=True)
class BindClaimed(OutboxPayload):
    """A member proved a shop nickname another holds: to each admin's private chat, or to the
    group's log channel (the row is then the group's)."""

    kind = "bind_claimed"
    grace = timedelta(days=7)
    group: int | None = None  # None: written before the admins were told, never shown
    holder: int
    claimant: int
    buyer: str = ""  # the nickname
    holder_proof: str | None = None
