"""The one answer a member gets for an admin command, and for a button nobody knows."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from infrastructure.commands import admin_command_names
from infrastructure.sender_only import for_sender


async def admins_only(message: Message) -> None:
    """An admin command from someone who is not an admin here."""
    await message.reply(for_sender(_("Sorry, only the group's admins can use this command.")))


def not_seen_here(who: str) -> str:
    """An admin named a member the bot has not seen in this group."""
    return _("I don't know {who} in this group yet: they need to have written here.").format(
        who=escape(who)
    )


async def unknown_button(query: CallbackQuery) -> None:
    """A press no feature took: forged data, or a button from an older version of the bot."""
    await query.answer(_("This button no longer works."))


def create_button_router() -> Router:
    """Last of all routers: every feature's buttons are tried first."""
    router = Router(name="unknown-buttons")
    router.callback_query.register(unknown_button)
    return router


def create_router() -> Router:
    router = Router(name="refusal")
    router.message.register(admins_only, Command(*admin_command_names()))
    return router
