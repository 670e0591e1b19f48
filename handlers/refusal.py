"""The one answer a member gets for an admin command."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.commands import admin_command_names


async def admins_only(message: Message) -> None:
    """An admin command from someone who is not an admin here."""
    await message.reply(_("Sorry, only the group's admins can use this command."))


def create_router() -> Router:
    router = Router(name="refusal")
    router.message.register(admins_only, Command(*admin_command_names()))
    return router
