"""/settings: an admin reads the group's settings or changes one. A bare `/settings` is an
overview, a line or two a section, with a button per section that opens its page (its
settings and how to change them). The time zone and the language are the group's own,
changed here; each feature declares its section beside its handlers, and `SECTIONS` lists them
in the order `/settings` shows them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.support import LazyProxy

from handlers import (
    boosts,
    cadence,
    checkin,
    distributors,
    events,
    games,
    member_tags,
    moderation_settings,
    orders,
    points,
    points_expiry,
    raids,
    reactions,
    referrals,
    settings_transfer,
    topics,
)
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.settings_sections import SettingsSection, section_named
from infrastructure.transactions import forget_after_commit
from services.chats import ChatProfile, ChatService, UnknownLanguage, UnknownTimezone
from views.settings import (
    SettingsButton,
    general_settings,
    language_name,
    overview,
    overview_keyboard,
    section_keyboard,
    section_page,
)


async def change_general(
    message: Message, setting: list[str], chats: ChatService, i18n: I18n
) -> bool:
    """/settings timezone <Area/City> · /settings language <zh|en|auto>"""
    if len(setting) != 2:
        await message.reply(usage_reply("settings", setting[0]))
        return False
    name, value = setting[0].lower(), setting[1]
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


GENERAL = SettingsSection(
    ("timezone", "language"),
    change_general,
    general_settings,
    listed_as="timezone|language",
    title=__("Time zone and language"),
    usage=(
        __("/settings timezone <Area/City>"),
        "/settings language <zh|en|auto>",
        "/settings export|import",
    ),
)

SECTIONS = (
    GENERAL,
    points.SETTINGS_SECTION,
    points_expiry.SETTINGS_SECTION,
    checkin.SETTINGS_SECTION,
    referrals.SETTINGS_SECTION,
    boosts.SETTINGS_SECTION,
    reactions.SETTINGS_SECTION,
    cadence.SETTINGS_SECTION,
    topics.SETTINGS_SECTION,
    orders.SETTINGS_SECTION,
    member_tags.SETTINGS_SECTION,
    moderation_settings.SETTINGS_SECTION,
    raids.SETTINGS_SECTION,
    games.SETTINGS_SECTION,
    distributors.SETTINGS_SECTION,
    events.SETTINGS_SECTION,
)


def settings_usage() -> str:
    """Every form of /settings in the reader's language: the sections' own, after the list."""
    listed = "|".join(section.listed for section in SECTIONS)
    forms = [f"/settings [{listed}]", *(str(form) for s in SECTIONS for form in s.usage)]
    return " · ".join(forms)


COMMANDS = (
    CommandSpec(
        "settings",
        __("Show or change this group's settings"),
        usage=LazyProxy(settings_usage, enable_cache=False),
        admin=True,
    ),
)


async def settings(message: Message, command: CommandObject, chat_profile: ChatProfile) -> None:
    """/settings: the overview with a button per section; a word no section knows: why."""
    if command.args:
        reason = _("There is no setting called {name}.").format(
            name=escape(command.args.split()[0][:32])
        )
        await message.reply(problem_reply(reason, "settings"))
        return
    await message.reply(overview(chat_profile, SECTIONS), reply_markup=overview_keyboard(SECTIONS))


class NamesPageOnly(Filter):
    """`/settings checkin`: a section named by itself alone, to be looked at, not changed."""

    async def __call__(self, message: Message, command: CommandObject) -> bool | dict[str, Any]:
        words = (command.args or "").lower().split()
        if len(words) != 1:
            return False
        # The group's own (timezone, language) are changed, never looked at, by name.
        named = (s for s in SECTIONS if s is not GENERAL and words[0] in s.listed.split("|"))
        chosen = next(named, None)
        return {"section": chosen} if chosen is not None else False


async def section_alone(
    message: Message, section: SettingsSection, chat_profile: ChatProfile
) -> None:
    """/settings <section>: its page, as its button opens it."""
    await message.reply(section_page(chat_profile, section), reply_markup=section_keyboard())


async def show_page(
    query: CallbackQuery, callback_data: SettingsButton, chat_profile: ChatProfile
) -> None:
    """A section's button (its page) or the back button (the overview), from an admin."""
    chosen = next((s for s in SECTIONS if s.key == callback_data.section), None)
    if not isinstance(query.message, Message) or (callback_data.section and chosen is None):
        await query.answer(_("This button no longer works."))
        return
    if chosen is None:
        text, keyboard = overview(chat_profile, SECTIONS), overview_keyboard(SECTIONS)
    else:
        text, keyboard = section_page(chat_profile, chosen), section_keyboard()
    try:
        await query.message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as refused:  # a second press of the same button changes nothing
        if "not modified" not in refused.message:
            raise
    await query.answer()


async def not_an_admin(query: CallbackQuery) -> None:
    await query.answer(_("Only the group's admins can open the settings."))


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
        profile = data["chat_profile"]
        for chat_id in {profile.id, profile.program_id}:  # a setting may be the program's
            forget_after_commit(data["session"], data["chat_cache"], chat_id)
    return saved


def create_router() -> Router:
    router = Router(name="settings")
    router.message.middleware(forget_profile_when_saved)
    router.message.register(section_alone, Command("settings"), NamesPageOnly(), IsAdmin())
    router.message.register(
        settings_transfer.transfer_settings, Command("settings"),
        settings_transfer.NamesTransfer(), IsAdmin(), flags=ONCE,
    )  # fmt: skip
    for section in SECTIONS:
        # The section's words before the admin check: only the handler they name asks it.
        router.message.register(
            section.change, Command("settings"), NamesSection(section), IsAdmin(), flags=ONCE
        )
    router.message.register(settings, Command("settings"), IsAdmin(), flags=ONCE)
    router.callback_query.register(show_page, SettingsButton.filter(), IsAdmin())
    router.callback_query.register(not_an_admin, SettingsButton.filter())
    return router
