"""A purge (`/purge` as a reply): the messages from the replied one up to the command, deleted
through the outbox's deletion path, 100 a call and a call a second, so a long purge keeps
within Telegram's limits and survives a restart half-way. Telegram lets a bot delete a group's
messages for 48 hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.clock import Clock
from services.outbox import Deletion, OutboxRow, OutboxService

PURGE_MAX = 1000  # messages one purge reaches back
DELETABLE_FOR = timedelta(hours=48)
PER_CALL = 100  # deleteMessages takes 1 to 100 ids
CALL_EVERY = timedelta(seconds=1)


class PurgeTooLong(ValueError):
    """More than PURGE_MAX messages, or reaching past what Telegram lets a bot delete."""


async def queue_purge(
    session: AsyncSession, clock: Clock, chat_id: int, first: int, last: int, first_at: datetime
) -> int:
    """Queue the deletion of messages `first`..`last` (the command); how many ids that is.
    Keyed by the command, so a redelivered /purge queues nothing twice."""
    ids = list(range(first, last + 1))
    if len(ids) > PURGE_MAX:
        raise PurgeTooLong("many")
    now = clock.now()
    if now - first_at > DELETABLE_FOR:
        raise PurgeTooLong("old")
    rows = [
        OutboxRow(
            chat_id,
            Deletion(message_ids=tuple(ids[start : start + PER_CALL]), at_once=True),
            f"purge:{chat_id}:{last}:{n}",
            due_at=now + n * CALL_EVERY,
        )
        for n, start in enumerate(range(0, len(ids), PER_CALL))
    ]
    await OutboxService(session, clock).add_many(rows)
    return len(ids)
