"""/start and /help: what the bot is, and the commands the sender may use."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.admins import AdminCache
from infrastructure.commands import CommandSpec, forms_of, shown_form, spec_of
from views.help import help_text


async def start(message: Message, command: CommandObject, bot: Bot) -> None:
    """/start, with or without a payload: a private hello with an add-to-group button, or a
    short hello in a group. Deep links fanbot knows are taken by their own routers first; any
    other payload (an old or mistyped link) still gets the hello, saying the link was not known."""
    if message.chat.type != "private":
        await message.reply(_("👋 Hello! I'm here. Send /help to see what I can do."))
        return
    me = await bot.me()
    name = escape(message.from_user.first_name if message.from_user else "")
    text = "" if not command.args else _("That link is old or not one I know.") + "\n\n"
    text += _(
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


async def help_(
    message: Message, command: CommandObject, bot: Bot, admin_cache: AdminCache
) -> None:
    """/help: member commands for everyone, admin commands too for admins; /help <command>:
    that command's description and every form of its usage."""
    if command.args:
        await message.reply(help_for(command.args.strip().lstrip("/")))
        return
    if message.chat.type == "private":
        reader = "private"
    elif await admin_cache.is_admin(bot, message.chat, message.from_user, message):
        reader = "admin"
    else:
        reader = "member"
    await message.reply(help_text(reader))


def help_for(name: str) -> str:
    spec = spec_of(name)
    if spec is None:
        return _("There is no /{name} command. /help lists them.").format(name=escape(name[:32]))
    forms = "\n".join(shown_form(form) for form in forms_of(spec.name))
    return f"/{spec.name} — {escape(str(spec.description))}\n{forms}"


COMMANDS = (
    CommandSpec("start", __("Start the bot and see what it does")),
    CommandSpec(
        "help",
        __("List the commands you can use, or explain one: /help draw"),
        usage=__("/help [command]"),
    ),
)


def create_router() -> Router:
    router = Router(name="start")
    # Known deep links (`/start rules<chat>`, the welcome's Rules button) sit in routers
    # included before this one; every other /start, payload or not, lands here.
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    return router
