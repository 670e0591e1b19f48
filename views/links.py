"""t.me links to a group's messages, as Telegram's clients open them."""

from __future__ import annotations

SUPERGROUP_BASE = 1_000_000_000_000


def message_link(chat_id: int, message_id: int, username: str | None = None) -> str | None:
    """A link to a message (or a forum topic, by its thread id): by the group's @username
    where it has one, else `t.me/c/…` for a supergroup's members; basic groups have none."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    if chat_id <= -SUPERGROUP_BASE:  # a supergroup: -100 followed by its own id
        return f"https://t.me/c/{-chat_id - SUPERGROUP_BASE}/{message_id}"
    return None
