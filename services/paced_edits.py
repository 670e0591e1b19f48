"""Paced edits of a group post that shows live counts (a draw's entrants, a 接龙's list, an
event's seats): one outbox row per post and COUNT_EDIT_EVERY seconds, due at the end of the
window so it shows the window's last state. A later change in the same window writes no row
(the outbox key is taken), so 40 presses in a second make one edit, within Telegram's limit
of about 20 messages a minute in a group."""

from __future__ import annotations

from datetime import datetime

from services.outbox import OutboxPayload, OutboxService

COUNT_EDIT_EVERY = 5  # seconds: a post shows its counts at most this stale


def edit_window(now: datetime) -> tuple[int, datetime]:
    """The window `now` is in, and when its edit is due (the window's end)."""
    window = int(now.timestamp()) // COUNT_EDIT_EVERY
    return window, datetime.fromtimestamp((window + 1) * COUNT_EDIT_EVERY, now.tzinfo)


async def paced_edit(
    outbox: OutboxService, chat_id: int, payload: OutboxPayload, key: str, now: datetime
) -> bool:
    """The post's edit for this window (`key` names the post: `event_card:7`), written once;
    False when a change earlier in the window wrote it already."""
    window, edit_at = edit_window(now)
    return await outbox.add(chat_id, payload, f"{key}:{window}", edit_at)
