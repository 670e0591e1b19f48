"""An admin's private copy of a report (rendered by `workflows/report_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportNotice(OutboxPayload):
    """A reported message, told to one admin in their private chat (the row's chat)."""

    kind = "report"
    grace = timedelta(hours=6)  # a report a day old is one the admins have seen in the group
    report_id: int
