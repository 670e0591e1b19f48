"""A closed topic's summary (rendered by `workflows/topic_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicSummary(OutboxPayload):
    """Written when the topic closes, so its figures are of that moment (the texts rendered
    then, in the group's language): posted in the topic's forum thread, closed after, or under
    its anchor message, with its best photos after it."""

    kind = "topic_summary"
    grace = timedelta(days=1)
    text: str
    photos: tuple[str, ...] = ()  # Telegram file ids
    caption: str = ""
    thread_id: int | None = None
    anchor_id: int | None = None
