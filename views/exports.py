"""What /export says when its file cannot go where it must: privately, to the admin."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _


def export_needs_private() -> str:
    return _(
        "🔒 An export holds members' data, so I send it only in a private chat. Open one with "
        "me (the button), press Start, then send /export here again."
    )


def private_chat_keyboard(bot_username: str) -> InlineKeyboardMarkup:
    """A link that opens the bot's private chat, where Telegram shows its Start button."""
    button = InlineKeyboardButton(
        text=_("💬 Open a private chat"), url=f"https://t.me/{bot_username}"
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
