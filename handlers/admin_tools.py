"""The admins' message tools: /purge, /del, /pin, /unpin (as a reply). Each needs a right of
the admin who sends it and of the bot (Telegram's: delete or pin messages)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import CommandSpec, problem_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.replies import replied_message
from infrastructure.sender_only import for_sender
from services.clock import Clock
from services.purges import PURGE_MAX, PurgeTooLong, queue_purge
from views import admin_tools as view
from views.rights import DELETE, PIN
from workflows.quiet import QuietMode
from workflows.rights import RightsNotices, holds


async def permitted(message: Message, bot: Bot, notices: RightsNotices, right: str) -> bool:
    """Whether the sender (an anonymous admin may) and the bot both hold `right`; if not, the
    command is answered with why (and the admins told once of the bot's, as for every missing
    right)."""
    refused = await _refusal(message, bot, notices, right)
    if refused is not None:
        await message.reply(refused)
    return refused is None


async def _refusal(message: Message, bot: Bot, notices: RightsNotices, right: str) -> str | None:
    chat_id = message.chat.id
    sender = message.from_user if message.sender_chat is None else None  # None: anonymous
    try:
        if sender is not None and not holds(
            await bot.get_chat_member(chat_id, sender.id), (right,)
        ):
            return for_sender(view.admin_lacks_text(right))
        if not holds(await bot.get_chat_member(chat_id, bot.id), (right,)):
            await notices.check(bot, chat_id, right)
            return view.bot_lacks_text(right)
    except TelegramAPIError:
        return view.bot_lacks_text(right)
    return None


async def purge_command(
    message: Message,
    bot: Bot,
    notices: RightsNotices,
    session: AsyncSession,
    clock: Clock,
    quiet: QuietMode,
) -> None:
    """/purge, as a reply: deletes from that message up to the command"""
    replied = replied_message(message)
    if replied is None:
        await message.reply(problem_reply(view.reply_needed_text(), "purge"))
        return
    if not await permitted(message, bot, notices, DELETE):
        return
    try:
        count = await queue_purge(
            session, clock, message.chat.id, replied.message_id, message.message_id, replied.date
        )
    except PurgeTooLong as too:
        reason = view.purge_too_many_text(PURGE_MAX) if str(too) == "many" else None
        await message.reply(problem_reply(reason or view.purge_too_old_text(), "purge"))
        return
    said = await message.answer(view.purging_text(count))
    await quiet.clean_up(message.chat.id, said.message_id)  # the note goes a minute later


async def del_command(message: Message, bot: Bot, notices: RightsNotices) -> None:
    """/del, as a reply: deletes that message and the command"""
    replied = replied_message(message)
    if replied is None:
        await message.reply(problem_reply(view.reply_needed_text(), "del"))
        return
    if not await permitted(message, bot, notices, DELETE):
        return
    try:
        await bot.delete_messages(message.chat.id, [replied.message_id, message.message_id])
    except TelegramAPIError:
        await message.reply(for_sender(view.not_deleted_text()))


async def pin_command(
    message: Message, command: CommandObject, bot: Bot, notices: RightsNotices
) -> None:
    """/pin [loud], as a reply: pins it, quietly unless loud"""
    replied = replied_message(message)
    loud = (command.args or "").strip().lower() in ("loud", "notify", "通知")
    if replied is None or (command.args and not loud):
        await message.reply(problem_reply(view.reply_needed_text(), "pin"))
        return
    if not await permitted(message, bot, notices, PIN):
        return
    try:
        await bot.pin_chat_message(
            message.chat.id, replied.message_id, disable_notification=not loud
        )
    except TelegramBadRequest:  # deleted meanwhile
        await message.reply(for_sender(view.not_pinned_text()))
        return
    await message.reply(for_sender(view.pinned_text(loud)))


async def unpin_command(
    message: Message, command: CommandObject, bot: Bot, notices: RightsNotices
) -> None:
    """/unpin (as a reply: that one; else the most recent pinned) · /unpin all"""
    everything = (command.args or "").strip().lower() in ("all", "全部")
    if command.args and not everything:
        await message.reply(problem_reply(view.reply_needed_text(), "unpin"))
        return
    if not await permitted(message, bot, notices, PIN):
        return
    replied = replied_message(message)
    try:
        if everything:
            await bot.unpin_all_chat_messages(message.chat.id)
        else:
            await bot.unpin_chat_message(
                message.chat.id, message_id=replied.message_id if replied else None
            )
    except TelegramBadRequest:
        await message.reply(for_sender(view.nothing_to_unpin_text()))
        return
    await message.reply(for_sender(view.unpinned_text(everything)))


COMMANDS = (
    CommandSpec(
        "purge",
        __("Delete every message from the one you reply to up to this command"),
        usage=__("/purge (as a reply)"),
        admin=True,
    ),
    CommandSpec(
        "del", __("Delete the message you reply to"), usage=__("/del (as a reply)"), admin=True
    ),
    CommandSpec(
        "pin",
        __("Pin the message you reply to (quietly; loud notifies members)"),
        usage=__("/pin [loud] (as a reply)"),
        admin=True,
    ),
    CommandSpec(
        "unpin",
        __("Unpin the message you reply to, the latest, or all"),
        usage=__("/unpin · /unpin all"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="admin-tools")
    for name, handler in (
        ("purge", purge_command), ("del", del_command), ("pin", pin_command),
        ("unpin", unpin_command),
    ):  # fmt: skip
        router.message.register(handler, Command(name), IsAdmin(), flags=ONCE)
    return router
