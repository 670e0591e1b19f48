"""Moving in from another tool: an admin's `/import members` with a member list (as the file's
caption or in reply to it) answers with a dry run and an Import button; `/import members go`
applies at once."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Document, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from services.chats import ChatProfile
from services.member_files import MemberFileError
from services.order_files import MAX_FILE_BYTES
from views.member_import import ImportButton, import_keyboard, member_file_problem, plan_text
from workflows.member_import import MemberImport


async def import_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    member_import: MemberImport,
    chat_profile: ChatProfile,
) -> None:
    """/import members [dry|go], as the caption of the list or in reply to it."""
    words = (command.args or "").lower().split()
    if (
        not words
        or words[0] != "members"
        or len(words) > 2
        or words[1:] not in ([], ["dry"], ["go"])
    ):
        await message.reply(usage_reply("import"))
        return
    holder = message if message.document else message.reply_to_message
    if holder is None or holder.document is None:
        await message.reply(
            _("Send the member list (CSV) with /import members as its caption, or reply to it.")
        )
        return
    data = await downloaded(holder.document, bot, message)
    if data is None:
        return
    try:
        if words[1:] == ["go"]:
            plan = await member_import.apply(chat_profile.id, chat_profile.timezone, data)
            await holder.reply(plan_text(plan, applied=True))
        else:
            plan = await member_import.plan(chat_profile.id, data)
            keyboard = import_keyboard() if plan.changes else None
            await holder.reply(plan_text(plan, applied=False), reply_markup=keyboard)
    except MemberFileError as error:
        await message.reply(member_file_problem(error))


async def downloaded(document: Document, bot: Bot, message: Message) -> bytes | None:
    """The file's bytes, or None once the admin was told why not."""
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await message.reply(member_file_problem(MemberFileError("too big")))
        return None
    try:
        data = await bot.download(document.file_id)
    except TelegramAPIError:
        await message.reply(_("I couldn't download that file; send it again."))
        return None
    assert data is not None
    return data.read()


async def import_pressed(
    query: CallbackQuery,
    callback_data: ImportButton,
    bot: Bot,
    member_import: MemberImport,
    chat_profile: ChatProfile,
) -> None:
    """Import or Cancel under a dry run, from an admin: the file is the message it answers."""
    dry_run = query.message if isinstance(query.message, Message) else None
    holder = dry_run.reply_to_message if dry_run is not None else None
    if dry_run is None or holder is None or holder.document is None:
        await query.answer(_("This button no longer works."))
        return
    if not callback_data.go:
        await dry_run.edit_text(_("Import cancelled; nothing changed."))
        await query.answer()
        return
    data = await downloaded(holder.document, bot, dry_run)
    if data is None:
        await query.answer()
        return
    try:
        plan = await member_import.apply(chat_profile.id, chat_profile.timezone, data)
    except MemberFileError as error:
        await dry_run.edit_text(member_file_problem(error))
    else:
        await dry_run.edit_text(plan_text(plan, applied=True))
    await query.answer()


async def not_an_admin(query: CallbackQuery) -> None:
    await query.answer(_("Only the group's admins can import members."))


COMMANDS = (
    CommandSpec(
        "import",
        __("Move members in from another tool: a CSV of user ids and points"),
        usage=__("/import members [dry|go] (as the CSV's caption, or in reply to it)"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="member-import")
    router.message.register(import_command, Command("import"), IsAdmin(), flags=ONCE)
    router.callback_query.register(import_pressed, ImportButton.filter(), IsAdmin())
    router.callback_query.register(not_an_admin, ImportButton.filter())
    return router
