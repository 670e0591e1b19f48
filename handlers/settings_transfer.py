"""/settings export: the group's configuration as a file, posted in the group (settings only:
no member data, no codes, no brand-question answers); /settings import with that file (as its
caption, or in reply to it) applies it here, all of it or nothing."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject, Filter
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.transactions import after_commit
from services.chats import ChatProfile
from services.settings_transfer import MAX_FILE_BYTES, SettingsFileError, SettingsTransfer
from services.tiers import TierService
from views.settings_transfer import export_caption, imported_text, settings_file_problem


class NamesTransfer(Filter):
    """`/settings export` or `/settings import`, alone."""

    async def __call__(self, message: Message, command: CommandObject) -> bool | dict[str, Any]:
        words = (command.args or "").lower().split()
        return {"transfer": words[0]} if words in (["export"], ["import"]) else False


async def transfer_settings(
    message: Message,
    transfer: str,
    bot: Bot,
    session: AsyncSession,
    tiers: TierService,
    chat_profile: ChatProfile,
) -> bool:
    """True once an import is saved (the settings router then forgets the cached profile)."""
    settings = SettingsTransfer(session)
    if transfer == "export":
        data = await settings.export(chat_profile.id, chat_profile.program_id)
        name = f"fanbot-settings-{abs(chat_profile.id)}.json"
        await message.reply_document(BufferedInputFile(data, name), caption=export_caption())
        return False
    holder = message if message.document else message.reply_to_message
    document = holder.document if holder is not None else None
    if document is None:
        await message.reply(
            _("Send the settings file with /settings import as its caption, or reply to it.")
        )
        return False
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await message.reply(settings_file_problem(SettingsFileError("too big")))
        return False
    try:
        downloaded = await bot.download(document.file_id)
    except TelegramAPIError:
        await message.reply(_("I couldn't download that file; send it again."))
        return False
    assert downloaded is not None
    try:
        applied = await settings.apply(chat_profile.id, chat_profile.program_id, downloaded.read())
    except SettingsFileError as error:
        await message.reply(settings_file_problem(error))
        return False
    after_commit(session, lambda: tiers.forget(chat_profile.program_id))  # the cached ladder
    await message.reply(imported_text(applied))
    return True
