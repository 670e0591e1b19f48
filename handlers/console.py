"""/console: a one-time link to the web console, privately (signed, 10 minutes, once)."""

from __future__ import annotations

import time

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec
from infrastructure.config import Settings
from web.auth import Keys


async def console(message: Message, settings: Settings, bot: Bot) -> None:
    """The link is a secret: only in a private chat, and as a button (buttons get no link
    preview, whose fetch would spend its one use before the admin's)."""
    user = message.from_user
    if user is None:
        return
    if settings.web_url is None:
        await message.reply(
            _("The web console is not set up on this bot: its operator sets WEB_URL.")
        )
        return
    if message.chat.type != "private":
        me = await bot.me()
        button = InlineKeyboardButton(text=_("💬 Open our chat"), url=f"https://t.me/{me.username}")
        await message.reply(
            _("Console links are personal: send /console to me in a private chat."),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
        )
        return
    token, _nonce = Keys(settings.bot_token.get_secret_value()).login_link(user.id, time.time())
    button = InlineKeyboardButton(
        text=_("🖥 Open the console"), url=f"{settings.web_url}/console/link/{token}"
    )
    await message.answer(
        _("🔐 Your console link: it works once, for 10 minutes, and opens the groups you "
          "administer. Don't forward it."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )  # fmt: skip


COMMANDS = (
    CommandSpec(
        "console",
        __("A one-time link to the web console (in a private chat)"),
        usage="/console",
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="console")
    router.message.register(console, Command("console"))
    return router
