"""What the bot says of locks: `/lock`, `/unlock`, `/locks`, and the notice when a guard's lock
deletes a message."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from aiogram.utils.i18n import gettext as _

from services.locks import GUARDED
from views.moderation import mention
from views.wording import listed


def lock_label(name: str) -> str:
    labels = {
        "stickers": _("stickers and GIFs"),
        "media": _("photos, videos, files and voice"),
        "polls": _("polls"),
        "previews": _("link previews"),
        "links": _("links"),
        "forwards": _("forwards"),
    }
    return labels[name]


def _labels(names: Iterable[str]) -> str:
    return listed([lock_label(name) for name in names])


def locked_text(names: list[str], applied: bool) -> str:
    text = _("🔒 Locked: {locks}.").format(locks=_labels(names))
    if not applied:
        text += "\n" + not_applied_text()
    return text


def unlocked_text(names: list[str], applied: bool) -> str:
    text = _("🔓 Unlocked: {locks}.").format(locks=_labels(names))
    if not applied:
        text += "\n" + not_applied_text()
    return text


def not_applied_text() -> str:
    return _("⚠️ Telegram's permissions are unchanged: I need the “Ban users” right.")


def locks_text(locked: list[str]) -> str:
    """/locks: what is locked, and how each lock works."""
    if not locked:
        example = "<code>/lock stickers links</code>"
        return _("🔓 Nothing is locked: try {example}.").format(example=example)
    by_telegram = [name for name in locked if name not in GUARDED]
    by_bot = [name for name in locked if name in GUARDED]
    lines = [_("🔒 <b>Locked here</b>")]
    if by_telegram:
        lines.append(_("• {locks}: members can't send them (Telegram's permissions)").format(
            locks=_labels(by_telegram)))  # fmt: skip
    if by_bot:
        lines.append(_("• {locks}: I delete them").format(locks=_labels(by_bot)))
    lines.append(_("Admins are exempt. /unlock lifts a lock."))
    return "\n".join(lines)


def unknown_lock_text(word: str) -> str:
    return _("There is no lock called {word}.").format(word=escape(word))


def locked_notice(user_id: int, name: str, lock: str) -> str:
    """A guard deleted a member's message that broke a lock."""
    if lock == "forwards":
        return _("🧹 {name}, forwards are locked here.").format(name=mention(user_id, name))
    return _("🧹 {name}, links are locked here.").format(name=mention(user_id, name))
