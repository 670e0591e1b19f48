"""What a member hears privately about commands that belong to a group: the group picker, and
why the others (and every sign-in) happen in the group."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from views.keyboards import Button

Asked = Literal["me", "balance", "history"]  # what the picker's buttons answer


class GroupChoice(Button, prefix="mine"):
    """A group picked for a private /me, /points or /points history (re-checked on a press:
    the presser must still be a member of it)."""

    asked: Asked
    chat: int


def in_the_group(name: str) -> str:
    return _("/{name} works in a group: send it there.").format(name=escape(name))


def sign_in_in_the_group() -> str:
    """A sign-in is a public act (today's rank, the streak board): it happens in the group."""
    return _(
        "Sign-ins happen in the group, where everyone sees who came first: say 签到 there. "
        "Nothing is earned in our private chat."
    )


def no_group_yet() -> str:
    return _("I haven't seen you in a group yet: write in your group first, then ask me again.")


def pick_a_group(count: int) -> str:
    return ngettext(
        "You're in {count} group: which one?", "You're in {count} groups: which one?", count
    ).format(count=count)


def group_keyboard(asked: Asked, groups: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=title, callback_data=GroupChoice(asked=asked, chat=chat).pack())]
        for chat, title in groups
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def for_group(title: str, text: str) -> str:
    """An answer given privately, headed by the group it speaks of."""
    return f"📍 <b>{escape(title)}</b>\n{text}"


def not_in_that_group() -> str:
    return _("You're not in that group any more.")
