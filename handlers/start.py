"""/start and /help: what the bot is, and the commands the sender may use."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.admins import AdminCache
from bot.commands import commands_for, usage_of


async def start(message: Message, bot: Bot) -> None:
    """/start: a private hello with an add-to-group button, or a short hello in a group."""
    if message.chat.type != "private":
        await message.reply(_("👋 Hello! I'm here. Send /help to see what I can do."))
        return
    me = await bot.me()
    name = escape(message.from_user.first_name if message.from_user else "")
    text = _(
        "👋 Hi {name}! I run fan groups: daily sign-in, points and VIP tiers, lucky draws, "
        "topics and scheduled posts.\n\n"
        "Add me to your group and make me an admin to get started. /help lists my commands."
    ).format(name=name)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("➕ Add me to a group"),
                    url=f"https://t.me/{me.username}?startgroup=true",
                )
            ]
        ]
    )
    await message.answer(text, reply_markup=keyboard)


async def help_(message: Message, bot: Bot, admin_cache: AdminCache) -> None:
    """/help: member commands for everyone, admin commands too for admins."""
    is_admin = message.chat.type != "private" and await admin_cache.is_admin(
        bot, message.chat, message.from_user, message
    )
    lines = [_("<b>Commands</b>")]
    lines += [f"/{spec.name} — {spec.description}" for spec in commands_for(admin=False)]
    if is_admin:
        lines += ["", _("<b>Admin commands</b>")]
        lines += [
            f"/{spec.name} — {spec.description}\n    {usage_of(spec.name)}"
            for spec in commands_for(admin=True)
            if spec.admin
        ]
    elif message.chat.type == "private":
        lines += ["", _("Admins see their commands when they send /help in their group.")]
    await message.reply("\n".join(lines))


def create_router() -> Router:
    router = Router(name="start")
    # A deep link (`/start rules<chat>`) is the welcome's Rules button: `welcome` takes it.
    router.message.register(start, CommandStart(deep_link=False))
    router.message.register(help_, Command("help"))
    return router
