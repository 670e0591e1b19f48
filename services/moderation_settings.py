"""Writing the moderation rules (read by `services/guards.py`'s `ModerationRules`): the
`moderation` settings section (`/settings verify|flood|…`, `/filter`), and the night closing's
state, kept beside it in the chat's settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import locked_chat, update_section
from services.guards import ACTIONS, MAX_FILTERS, BadRule, WordFilter, fold


async def set_moderation(session: AsyncSession, chat_id: int, values: dict[str, Any]) -> None:
    """Values `guards.parse_rule` read, into the `moderation` section at once."""
    await update_section(session, chat_id, "moderation", values)


async def add_filter(session: AsyncSession, chat_id: int, word: str, action: str) -> WordFilter:
    """A word or phrase for the filter; BadRule("short" | "long" | "action" | "full" |
    "twice")."""
    word = " ".join(word.split())
    if action not in ACTIONS:
        raise BadRule("action")
    if len(fold(word)) < 2:
        raise BadRule("short")
    if len(word) > 60:
        raise BadRule("long")
    chat = await locked_chat(session, chat_id)
    stored = chat.settings.get("moderation") or {}
    filters = list(stored.get("filters") or [])
    if len(filters) >= MAX_FILTERS:
        raise BadRule("full")
    if any(fold(str(f["word"])) == fold(word) for f in filters):
        raise BadRule("twice")
    filter_id = int(stored.get("next_filter", 1))
    filters.append({"id": filter_id, "word": word, "action": action})
    moderation = {**stored, "filters": filters, "next_filter": filter_id + 1}
    chat.settings = {**chat.settings, "moderation": moderation}
    await session.flush()
    return WordFilter(filter_id, word, action, fold(word))


async def delete_filter(session: AsyncSession, chat_id: int, key: str) -> WordFilter | None:
    """By its number or its word; None when there is no such filter."""
    chat = await locked_chat(session, chat_id)
    stored = chat.settings.get("moderation") or {}
    filters = list(stored.get("filters") or [])
    gone = next(
        (f for f in filters if str(f["id"]) == key or fold(str(f["word"])) == fold(key)), None
    )
    if gone is None:
        return None
    kept = [f for f in filters if f is not gone]
    chat.settings = {**chat.settings, "moderation": {**stored, "filters": kept}}
    await session.flush()
    return WordFilter(int(gone["id"]), str(gone["word"]), str(gone["action"]), "")


async def set_night_closed(
    session: AsyncSession, chat_id: int, closed: bool, evening: dict[str, bool] | None = None
) -> dict[str, bool] | None:
    """Note the group closed for the night with its evening permissions (kept for the
    morning), or open again: what the morning gives back ({} unknown). None when it was
    so already (another worker switched it)."""
    chat = await locked_chat(session, chat_id)
    if bool(chat.settings.get("night_closed")) == closed:
        return None
    kept = dict(chat.settings.get("night_permissions") or {})
    chat.settings = {
        **chat.settings, "night_closed": closed,
        "night_permissions": (evening or {}) if closed else {},
    }  # fmt: skip
    await session.flush()
    return {} if closed else kept
