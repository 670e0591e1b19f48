"""A moderation action in the group's log channel (rendered by
`workflows/moderation_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class ModLog(OutboxPayload):
    kind = "mod_log"
    grace = timedelta(days=7)
    action_id: int
