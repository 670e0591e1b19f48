"""The daily posts (rendered by `workflows/cadence_messages.py`). Each expires with the slot's
grace (`CadenceService.queue` sets `expires_at`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class CadencePost(OutboxPayload):
    """The morning post, the reminder or the digest of `fire_time`'s slot, with the figures as
    they are when it goes out."""

    kind = "cadence"
    part: str  # morning, reminder, digest
    fire_time: datetime
    topic_id: int | None = None  # the queued topic a morning post opens

    def to_json(self) -> dict[str, Any]:
        stored = OutboxPayload.to_json(self)
        if self.part != "morning":
            del stored["topic_id"]  # only a morning's row has the key
        return stored
