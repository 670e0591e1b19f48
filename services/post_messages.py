"""A scheduled post's run (rendered by `workflows/post_messages.py`). It expires with the post's
grace (`PostService.queue` sets `expires_at`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledPostRun(OutboxPayload):
    """The post as it is when it goes out, for its run at `fire_time`."""

    kind = "scheduled_post"
    post_id: int
    fire_time: datetime
