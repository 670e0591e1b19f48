"""Locks (`/lock stickers media …`, `/locks`, `/unlock …`): what members may not post. A lock
Telegram has a chat permission for is that permission, turned off (`workflows/locks.py` sets
it); links and forwards, which Telegram cannot forbid, are deleted by the guards
(`workflows/spam_guard.py`). Admins are exempt from both (Telegram exempts them from
permissions). The locks are the chat's `locks` section; pure here, no Telegram."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import locked_chat

# Each lock and the chat permissions it turns off (in the order /locks lists them); the guards'
# locks have none. Telegram has one permission for stickers, GIFs, games and inline bots.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "stickers": ("can_send_other_messages",),
    "media": (
        "can_send_photos", "can_send_videos", "can_send_audios", "can_send_documents",
        "can_send_video_notes", "can_send_voice_notes",
    ),
    "polls": ("can_send_polls",),
    "previews": ("can_add_web_page_previews",),
    "links": (),
    "forwards": (),
}  # fmt: skip
GUARDED = ("links", "forwards")
# What an admin may type for each lock, in English or Chinese.
NAMES: dict[str, str] = {
    **{name: name for name in PERMISSIONS},
    "sticker": "stickers", "gifs": "stickers", "gif": "stickers", "games": "stickers",
    "inline": "stickers", "贴纸": "stickers", "表情": "stickers", "动图": "stickers",
    "photos": "media", "videos": "media", "files": "media", "voice": "media", "媒体": "media",
    "图片": "media", "视频": "media", "文件": "media", "语音": "media",
    "poll": "polls", "投票": "polls",
    "preview": "previews", "预览": "previews",
    "link": "links", "url": "links", "urls": "links", "链接": "links",
    "forward": "forwards", "转发": "forwards",
}  # fmt: skip


class UnknownLock(ValueError):
    """A lock name fanbot does not know (the word as typed)."""


def lock_names(words: Iterable[str]) -> list[str]:
    """The locks the words name (`stickers gifs`, `贴纸，链接`), each once, in /locks' order."""
    found: set[str] = set()
    for word in words:
        for part in word.replace("，", ",").replace("、", ",").split(","):
            if not part:
                continue
            name = NAMES.get(part.lower())
            if name is None:
                raise UnknownLock(part)
            found.add(name)
    return [name for name in PERMISSIONS if name in found]


@dataclass(frozen=True, slots=True)
class LockRules:
    """The group's locks (the `locks` section of its settings)."""

    locked: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> LockRules:
        stored = (settings.get("locks") or {}).get("locked") or ()
        return cls(frozenset(name for name in stored if name in PERMISSIONS))

    def has(self, name: str) -> bool:
        return name in self.locked

    @property
    def listed(self) -> list[str]:
        return [name for name in PERMISSIONS if name in self.locked]


@dataclass(frozen=True, slots=True)
class LockChange:
    before: frozenset[str]
    after: frozenset[str]
    night_closed: bool  # the night holds the group closed: the morning gives the change back

    @property
    def changed(self) -> frozenset[str]:
        return self.before ^ self.after


def permissions_with(
    current: Mapping[str, bool], before: frozenset[str], after: frozenset[str]
) -> dict[str, bool]:
    """The chat's permissions after the locks moved from `before` to `after`: a new lock's
    permissions off, a lifted lock's on again unless a lock still held covers them; every other
    permission as it is (an admin may have set it in Telegram)."""
    held = {permission for name in after for permission in PERMISSIONS[name]}
    result = dict(current)
    for name in after - before:
        result.update(dict.fromkeys(PERMISSIONS[name], False))
    for name in before - after:
        result.update({p: p not in held for p in PERMISSIONS[name]})
    return result


def with_locks(permissions: Mapping[str, bool], locked: Iterable[str]) -> dict[str, bool]:
    """`permissions` with every lock in `locked` applied (what a morning gives back)."""
    result = dict(permissions)
    for name in locked:
        result.update(dict.fromkeys(PERMISSIONS[name], False))
    return result


async def change_locks(
    session: AsyncSession, chat_id: int, names: Iterable[str], *, lock: bool
) -> LockChange:
    """Lock (or unlock) `names`, under the chat row's lock. While the night holds the group
    closed, its permissions are the night's: the change goes into the evening permissions the
    morning gives back (`workflows/night_mode.py`), so neither undoes the other."""
    chat = await locked_chat(session, chat_id)
    before = LockRules.from_settings(chat.settings).locked
    after = before | set(names) if lock else before - set(names)
    settings = {**chat.settings, "locks": {"locked": [n for n in PERMISSIONS if n in after]}}
    closed = bool(chat.settings.get("night_closed"))
    evening = chat.settings.get("night_permissions")
    if closed and evening:
        settings["night_permissions"] = permissions_with(evening, before, frozenset(after))
    chat.settings = settings
    await session.flush()
    return LockChange(before, frozenset(after), closed)
