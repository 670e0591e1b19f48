"""A member's copy of a push (rendered by `workflows/push_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class PushCopy(OutboxPayload):
    """A targeted push, or a post's early run, in a member's private chat."""

    kind = "push"
    grace = timedelta(hours=12)  # a push is about today
    push_id: int
