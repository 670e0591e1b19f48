"""What a VIP room tells a member privately (rendered by `workflows/vip_messages.py`): they
qualify and may ask to join, they no longer qualify and may stay until a day, they were
removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class VipInvite(OutboxPayload):
    """The member qualifies for the room (`room_id`) and is not in it: its link, once."""

    kind = "vip_invite"  # stored in outbox.kind; never renamed once rows exist
    grace = timedelta(days=1)
    room_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VipWarning(OutboxPayload):
    """The member no longer qualifies for the room: they may stay until `grace_until`."""

    kind = "vip_warning"
    grace = timedelta(days=1)
    room_id: int
    grace_until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class VipRemoved(OutboxPayload):
    """The member's grace ran out and they were removed (they may ask to join again)."""

    kind = "vip_removed"
    grace = timedelta(days=1)
    room_id: int
