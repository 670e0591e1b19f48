"""The admins' notice of rights the bot lacks (rendered by `workflows/rights_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class RightsNotice(OutboxPayload):
    """Rights the bot lacks in the group, each told once."""

    kind = "rights_notice"
    rights: tuple[str, ...]
