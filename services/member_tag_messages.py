"""Bringing a member's tag in line with their standing (rendered by `workflows/member_tags.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberTagSync(OutboxPayload):
    """A member's tag may need to change: the sender sets what it should be then (their tier
    at that moment, or none), so rows that come late or twice change nothing twice."""

    kind = "member_tag"
    # A late tag is still the right tag: the sender reads the member's standing when it goes.
    grace = timedelta(days=7)
    user_id: int
