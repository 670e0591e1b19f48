"""What the bot says of the admins' message tools: /purge, /del, /pin, /unpin."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from views.numbers import number
from views.rights import DELETE, PIN


def right_name(right: str) -> str:
    """A right as Telegram's admin settings name it."""
    return {DELETE: _("“Delete messages”"), PIN: _("“Pin messages”")}.get(right, right)


def admin_lacks_text(right: str) -> str:
    return _("You need the {right} right for that.").format(right=right_name(right))


def bot_lacks_text(right: str) -> str:
    return _("I need the {right} right for that: an owner can grant it in the group's admin "
             "settings.").format(right=right_name(right))  # fmt: skip


def purging_text(count: int) -> str:
    return ngettext("🧹 Deleting {n} message.", "🧹 Deleting {n} messages.", count).format(
        n=number(count)
    )


def purge_too_many_text(limit: int) -> str:
    return _("A purge reaches back {n} messages at most: reply to a later one.").format(
        n=number(limit)
    )


def purge_too_old_text() -> str:
    return _("Telegram lets bots delete only the last 48 hours' messages: reply to a later one.")


def reply_needed_text() -> str:
    return _("Reply to the message you mean.")


def pinned_text(loud: bool) -> str:
    return _("📌 Pinned, and members were notified.") if loud else _("📌 Pinned quietly.")


def unpinned_text(everything: bool) -> str:
    return _("Every pinned message is unpinned.") if everything else _("Unpinned.")


def nothing_to_unpin_text() -> str:
    return _("There is no pinned message to unpin.")


def not_deleted_text() -> str:
    return _("That message can't be deleted: it may be gone already, or older than 48 hours.")


def not_pinned_text() -> str:
    return _("That message can't be pinned: it may be gone.")
