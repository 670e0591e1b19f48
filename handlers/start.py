"""/start and /help: what the bot is, and the commands the sender may use."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import InlineKeyboardMarkup, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.admins import AdminCache
from infrastructure.commands import CommandSpec, forms_of, shown_form, spec_of
from infrastructure.config import Settings
from infrastructure.sender_only import for_sender
from services.chats import ChatService
from services.member_card import MemberCardService
from services.orders import OrderService
from views.help import help_texts
from views.miniapp import mini_app_keyboard
from views.start import (
    add_to_group_keyboard,
    member_text,
    operator_text,
    stranger_text,
    unknown_link,
)
from workflows.rights import has_watched_rights

GROUPS_SHOWN = 10  # a private /start lists at most these (and asks Telegram of their admins)


async def start(
    message: Message,
    command: CommandObject,
    bot: Bot,
    admin_cache: AdminCache,
    orders: OrderService,
    chats: ChatService,
    member_cards: MemberCardService,
    settings: Settings,
    i18n: I18n,
) -> None:
    """/start, with or without a payload: in a group a short hello; privately, by who sends it,
    the set-up (an admin of a group the bot is in), their groups (a member), or what fanbot is
    (anyone else). Deep links fanbot knows are taken by their own routers first; any other
    payload (an old or mistyped link) still gets the answer, saying the link was not known."""
    user = message.from_user
    if message.chat.type != "private" or user is None:
        await message.reply(_("👋 Hello! I'm here. Send /help to see what I can do."))
        return
    me = await bot.me()
    name = user.first_name
    heading = unknown_link() + "\n\n" if command.args else ""
    groups = (await orders.groups_of(user.id))[:GROUPS_SHOWN]
    keyboard: InlineKeyboardMarkup | None
    run = [
        (chat_id, title)
        for chat_id, title in groups
        if await administers(bot, admin_cache, user, chat_id)
    ]
    if run:
        missing = [await has_watched_rights(bot, chat_id) is False for chat_id, _title in run]
        text = operator_text(name, [title for _chat_id, title in run], any(missing))
        keyboard = add_to_group_keyboard(me.username or "")
    elif groups:
        profiles = [
            profile for chat_id, _title in groups if (profile := await chats.profile(chat_id))
        ]
        standings = await member_cards.standings(profiles, user.id)
        text = member_text(name, standings, i18n.current_locale)
        url = settings.mini_app_url
        keyboard = mini_app_keyboard(url) if url else None
    else:
        text, keyboard = stranger_text(name), add_to_group_keyboard(me.username or "")
    await message.answer(heading + text, reply_markup=keyboard)


async def administers(bot: Bot, admin_cache: AdminCache, user: User, chat_id: int) -> bool:
    """Whether the user is an admin of the group now (the admin filter's cached list)."""
    try:
        return user.id in admin_cache.owner_ids or user.id in await admin_cache.admins_of(
            bot, chat_id
        )
    except TelegramAPIError:  # removed from the group meanwhile: not one they run with me
        return False


async def help_(
    message: Message, command: CommandObject, bot: Bot, admin_cache: AdminCache
) -> None:
    """/help: member commands for everyone, admin commands too for admins; /help <command>:
    that command's description and every form of its usage."""
    if command.args:
        await message.reply(for_sender(help_for(command.args.strip().lstrip("/"))))
        return
    if message.chat.type == "private":
        reader = "private"
    elif await admin_cache.is_admin(bot, message.chat, message.from_user, message):
        reader = "admin"
    else:
        reader = "member"
    for text in help_texts(reader):
        await message.reply(for_sender(text))


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
        ephemeral=True,
    ),
)


def create_router() -> Router:
    router = Router(name="start")
    # Known deep links (`/start rules<chat>`, the welcome's Rules button) sit in routers
    # included before this one; every other /start, payload or not, lands here.
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    return router
