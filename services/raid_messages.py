"""What raid mode tells the admins (rendered by `workflows/raid_messages.py`): that a raid began,
and what it came to once it ended. A row goes to an admin's private chat, to the group's log
channel, or, when neither reaches anyone, to the group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class RaidAlert(OutboxPayload):
    kind = "raid_alert"
    grace = timedelta(hours=1)  # news of a raid later than that is no help
    raid_id: int
    to_log: bool = False  # the row's chat is the group: post in its log channel


@dataclass(frozen=True, slots=True, kw_only=True)
class RaidSummary(OutboxPayload):
    kind = "raid_summary"
    grace = timedelta(days=1)
    raid_id: int
    to_log: bool = False
