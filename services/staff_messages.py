"""What a member given console access hears privately (rendered by
`workflows/staff_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffNotice(OutboxPayload):
    """Console access given (or its role changed), told in the member's private chat (the
    row's chat): which program, and read or full."""

    kind = "staff_access"  # stored in outbox.kind; never renamed once rows exist
    grace = timedelta(days=1)
    program_id: int
    role: str
