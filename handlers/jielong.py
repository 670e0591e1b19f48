"""Solitaire order lists (接龙): admins open, end and export them; members put their name down
with the post's buttons."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.sender_only import answer_press, for_sender
from models import Jielong
from services.chats import ChatProfile, ChatService
from services.jielong import JielongClosed, JielongNotFound, JielongService
from services.jielong_specs import JielongInputError, parse_jielong
from views.exports import private_chat_keyboard
from views.jielong import JielongButton, csv_caption, jielong_problem, list_csv, press_toast

ACTIONS = ("end", "csv")


async def open_jielong(
    message: Message, command: CommandObject, jielong: JielongService, chat_profile: ChatProfile
) -> None:
    """/jielong <title> [ends=…] [limit=N] [price=…] [options=S|M|L]"""
    if not chat_profile.is_group:
        await message.reply(_("接龙 runs inside a group."))
        return
    try:
        spec = parse_jielong(command.args or "", jielong.clock.now(), chat_profile.timezone)
    except JielongInputError as error:
        await message.reply(problem_reply(jielong_problem(str(error)), "jielong"))
        return
    admin = message.from_user.id if message.from_user else 0
    await jielong.create(chat_profile.id, admin, spec)  # its post is the answer, by the outbox


async def manage_jielong(
    message: Message,
    command: CommandObject,
    jielong: JielongService,
    chats: ChatService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/jielong end <id> (closes it; the list comes privately) · /jielong csv <id>"""
    words = (command.args or "").split()
    if len(words) != 2 or not words[1].isdigit():
        await message.reply(for_sender(usage_reply("jielong")))
        return
    jielong_id = int(words[1])
    try:
        if words[0].lower() == "end":
            found = await jielong.end(chat_profile.id, jielong_id)
        else:
            found = await jielong.get(chat_profile.id, jielong_id)
    except JielongNotFound:
        text = _("There is no 接龙 #{id} in this group.").format(id=jielong_id)
        await message.reply(for_sender(text))
        return
    except JielongClosed:
        text = _("接龙 #{id} has already ended.").format(id=jielong_id)
        await message.reply(for_sender(text))
        return
    await send_list(message, jielong, chats, found, bot)


async def send_list(
    message: Message, jielong: JielongService, chats: ChatService, found: Jielong, bot: Bot
) -> None:
    """The list as a CSV in the admin's private chat (names and amounts stay out of the
    group); an admin without one is told how to open it."""
    sender = message.from_user
    actor = sender.id if sender is not None and message.sender_chat is None else None
    if actor is not None and await chats.started_privately(actor):
        rows = await jielong.rows(found)
        document = BufferedInputFile(list_csv(found, rows), filename=f"jielong-{found.id}.csv")
        caption = csv_caption(found, await jielong.people(found.id))
        try:
            await bot.send_document(actor, document, caption=caption)
            await message.reply(for_sender(_("📄 The list is in our private chat.")))
            return
        except TelegramAPIError:  # blocked since
            pass
    me = await bot.me()
    text = _("Open a private chat with me, then send /jielong csv {id} again.").format(id=found.id)
    await message.reply(for_sender(text), reply_markup=private_chat_keyboard(me.username or ""))


async def press(
    query: CallbackQuery,
    callback_data: JielongButton,
    jielong: JielongService,
    chat_profile: ChatProfile | None,
    bot: Bot,
) -> None:
    """+1, −1 or cancel on a 接龙's post; the toast says what the presser has down."""
    if chat_profile is None:
        await query.answer(_("This button no longer works."))
        return
    delta = max(-1, min(1, callback_data.delta))  # forged data moves one at most
    result = await jielong.press(
        chat_profile.id, callback_data.id, query.from_user.id, delta, callback_data.choice
    )
    await answer_press(query, bot, chat_profile, press_toast(result))


async def is_management(message: Message, command: CommandObject) -> bool:
    words = (command.args or "").split()
    return bool(words) and words[0].lower() in ACTIONS


COMMANDS = (
    CommandSpec(
        "jielong",
        __("接龙: a list members join with a quantity"),
        usage=__(
            "/jielong <title> [ends=2h] [limit=N] [price=<yuan>] [options=S|M|L] · "
            "/jielong end <id> · /jielong csv <id>"
        ),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="jielong")
    router.message.register(
        manage_jielong, Command("jielong"), is_management, IsAdmin(), flags=ONCE
    )
    router.message.register(open_jielong, Command("jielong"), IsAdmin(), flags=ONCE)
    router.callback_query.register(press, JielongButton.filter())
    return router
