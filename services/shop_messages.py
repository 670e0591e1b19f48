"""What a member hears privately of their redemptions (rendered by `workflows/shop_messages.py`),
in the language the redemption keeps. Only the redemption's id is stored: a code is read when
it is sent, so no secret is copied into the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardDelivery(OutboxPayload):
    """What was redeemed: its code, or a gift's delivery (a reply to it is the gift's note)."""

    kind = "reward_delivery"
    grace = timedelta(days=30)  # what was paid for is delivered however late
    redemption_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponReminder(OutboxPayload):
    """3 days before a coupon expires, unless it was used since."""

    kind = "coupon_reminder"
    grace = timedelta(days=2)  # still before the coupon expires
    redemption_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftSent(OutboxPayload):
    """An admin sent the gift."""

    kind = "gift_sent"
    grace = timedelta(days=7)
    redemption_id: int
