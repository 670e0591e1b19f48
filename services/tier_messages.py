"""What the group is told of its members' new tiers (rendered by `workflows/tier_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload
from services.tiers import Tier


@dataclass(frozen=True, slots=True, kw_only=True)
class TierUp(OutboxPayload):
    """A member reached a tier: congratulated with the others of that minute, in one message."""

    kind = "tier_up"
    gathered = True
    grace = timedelta(hours=6)
    user_id: int
    name: str  # as the member was called when promoted
    tier: Tier
