"""What missions tell a member privately (rendered by `workflows/quest_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestDone(OutboxPayload):
    """A mission (or a whole set) completed, told in the member's private chat (the row's
    chat), never the group; the completions of one moment go out as one message."""

    kind = "quest_done"  # stored in outbox.kind; never renamed once rows exist
    gathered = True
    grace = timedelta(days=1)
    program_id: int
    quest: str  # a template, or "set:daily" / "set:weekly"
    points: int
    streak: int = 0
