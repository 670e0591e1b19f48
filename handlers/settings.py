"""/settings: an admin reads the group's settings or changes one. The time zone and the
language are the group's own, changed here; each feature declares its section beside its
handlers, and `SECTIONS` lists them in the order `/settings` shows them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from handlers import cadence, checkin, moderation_settings, orders, points, referrals, topics
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.settings_sections import SettingsSection, section_named
from infrastructure.transactions import forget_after_commit
from services.chats import ChatProfile, ChatService, UnknownLanguage, UnknownTimezone
from views.settings import language_name, render_settings

SECTIONS = (
    points.SETTINGS_SECTION,
    checkin.SETTINGS_SECTION,
    referrals.SETTINGS_SECTION,
    cadence.SETTINGS_SECTION,
    topics.SETTINGS_SECTION,
    orders.SETTINGS_SECTION,
    moderation_settings.SETTINGS_SECTION,
)

COMMANDS = (
    CommandSpec(
        "settings",
        __("Show or change this group's settings"),
        usage=" · ".join(
            [
                "/settings [{}]".format(
                    "|".join(["timezone", "language", *(section.listed for section in SECTIONS)])
                ),
                "/settings timezone <Area/City>",
                "/settings language <zh|en|auto>",
                *(form for section in SECTIONS for form in section.usage),
            ]
        ),
        admin=True,
    ),
)


async def settings(
    message: Message,
    command: CommandObject,
    chats: ChatService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> bool:
    """/settings, /settings timezone <tz>, /settings language <zh|en|auto>."""
    args = (command.args or "").split()
    if not args:
        await message.reply(render_settings(chat_profile, SECTIONS))
        return False
    if len(args) != 2 or args[0].lower() not in ("timezone", "language"):
        await message.reply(usage_reply("settings", args[0]))
        return False
    name, value = args[0].lower(), args[1]
    try:
        if name == "timezone":
            await chats.set_timezone(message.chat.id, value)
            reply = _("Time zone set to {timezone}.").format(timezone=escape(value))
        else:
            language = None if value.lower() == "auto" else value.lower()
            await chats.set_language(message.chat.id, language)
            with i18n.use_locale(language or i18n.current_locale):
                reply = _("Language set to {language}.").format(language=language_name(language))
    except UnknownTimezone:
        reason = _('Unknown time zone "{name}"; e.g. Asia/Shanghai or Europe/London.').format(
            name=escape(value[:64])
        )
        await message.reply(problem_reply(reason, "settings", "timezone"))
        return False
    except UnknownLanguage:
        reason = _("I don't speak \"{name}\": zh, en, or auto (each member's own).").format(
            name=escape(value[:16])
        )
        await message.reply(problem_reply(reason, "settings", "language"))
        return False
    await message.reply(reply)
    return True


class NamesSection(Filter):
    """`/settings <words …>` names this section; its handler gets the words as `setting`."""

    def __init__(self, section: SettingsSection) -> None:
        self.section = section

    async def __call__(self, message: Message, command: CommandObject) -> bool | dict[str, Any]:
        setting = (command.args or "").split()
        if section_named(SECTIONS, setting) is not self.section:
            return False
        return {"setting": setting}


async def forget_profile_when_saved(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """A saved change makes the group's cached profile stale: drop it once the change commits."""
    saved = await handler(event, data)
    if saved is True:
        forget_after_commit(data["session"], data["chat_cache"], data["chat_profile"].id)
    return saved


def create_router() -> Router:
    router = Router(name="settings")
    router.message.middleware(forget_profile_when_saved)
    for section in SECTIONS:
        # The section's words before the admin check: only the handler they name asks it.
        router.message.register(
            section.change, Command("settings"), NamesSection(section), IsAdmin(), flags=ONCE
        )
    router.message.register(settings, Command("settings"), IsAdmin(), flags=ONCE)
    return router
