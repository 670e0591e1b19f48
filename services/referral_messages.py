"""The group's thanks for a confirmed referral (rendered by `workflows/referral_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralThanks(OutboxPayload):
    """An inviter thanked, with the others confirmed in that moment, in one message."""

    kind = "referral_thanks"
    gathered = True
    grace = timedelta(hours=6)
    inviter_id: int
    invitee_id: int
    points: int | None = None  # what it paid the inviter; None: the group pays nothing
