"""What the events feature asks the outbox to say (rendered by `workflows/event_messages.py`).
Each goes to the member's private chat (the row's chat), except the thank-you post and the
card's paced edits (`card_changed`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models import Event
from services.clock import Clock
from services.outbox import OutboxPayload, OutboxService
from services.paced_edits import paced_edit


@dataclass(frozen=True, slots=True, kw_only=True)
class EventReminder(OutboxPayload):
    """The day before (`hour` False) or the hour before; said only while the member still
    holds a seat and the event still starts at `starts_at` (a moved event reminds anew)."""

    kind = "event_reminder"  # stored in outbox.kind; never renamed once rows exist
    grace = timedelta(minutes=50)
    event_id: int
    hour: bool
    starts_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EventOffer(OutboxPayload):
    """A seat freed for a member on the waiting list, theirs to confirm by `until`."""

    kind = "event_offer"
    grace = timedelta(hours=6)
    event_id: int
    until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EventChange(OutboxPayload):
    """The event moved (time or place), or was cancelled (`cancelled`, with the points given
    back), told to everyone signed up."""

    kind = "event_change"
    grace = timedelta(days=1)
    event_id: int
    cancelled: bool = False
    refunded: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class EventThanks(OutboxPayload):
    """The thank-you post in the event's group once it ended (with the photo thread, when the
    group has topics)."""

    kind = "event_thanks"
    grace = timedelta(days=1)
    event_id: int
    topic_id: int | None = None  # the photo thread (晒照) queued with it, opened when it is sent


@dataclass(frozen=True, slots=True, kw_only=True)
class EventCardEdit(OutboxPayload):
    """The card in the group edited to show the event as it is when sent (seats left, waiting,
    time, place, cancelled or ended)."""

    kind = "event_card"
    grace = timedelta(days=1)
    event_id: int


async def card_changed(
    outbox: OutboxService, clock: Clock, event: Event, *, once: str | None = None
) -> None:
    """The card is to show a change: one edit per card and paced window (`services/paced_edits.py`);
    a card not posted (no message id) has nothing to edit. A change that happens `once` (named:
    moved, cancelled, ended) gets an edit of its own, due now: in a window whose edit was sent
    already it would never show, and no later press comes to repair it."""
    if event.message_id is None:
        return
    now, payload = clock.now(), EventCardEdit(event_id=event.id)
    if once:
        key = f"event_card:{event.id}:{once}:{now.timestamp()}"
        await outbox.add(event.chat_id, payload, key, now)
        return
    await paced_edit(outbox, event.chat_id, payload, f"event_card:{event.id}", now)
