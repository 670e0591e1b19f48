"""What a 接龙 shows in its group (rendered by `workflows/jielong_messages.py`): its post, paced
edits bringing the list up to date, and the summary when it ends. Each is rendered from the
list as it is when sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class JielongPost(OutboxPayload):
    kind = "jielong_post"
    grace = timedelta(days=1)
    jielong_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JielongEdit(OutboxPayload):
    kind = "jielong_edit"
    jielong_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JielongSummary(OutboxPayload):
    kind = "jielong_summary"
    grace = timedelta(days=1)
    jielong_id: int
