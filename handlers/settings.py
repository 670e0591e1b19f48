"""/settings: an admin reads or changes the group's time zone, language and points rules."""

from __future__ import annotations

from functools import partial
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import usage_of, usage_reply
from bot.directory import ChatDirectory
from bot.filters import IsAdmin
from bot.middlewares import after_commit
from services.chats import (
    LANGUAGES,
    BadSetting,
    ChatProfile,
    ChatService,
    MessageRules,
    UnknownLanguage,
    UnknownTimezone,
)


async def settings(
    message: Message,
    command: CommandObject,
    chats: ChatService,
    chat_profile: ChatProfile,
    session: AsyncSession,
    directory: ChatDirectory,
    i18n: I18n,
) -> None:
    """/settings, /settings timezone <tz>, /settings language <zh|en|auto>."""
    args = (command.args or "").split()
    if not args:
        await message.reply(render_settings(chat_profile))
        return
    if args[0].lower() == "points":
        await set_points_rule(message, args[1:], chats)
        after_commit(session, partial(directory.forget, message.chat.id))
        return
    if len(args) != 2 or args[0].lower() not in ("timezone", "language"):
        await message.reply(usage_reply("settings"))
        return
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
    except (UnknownTimezone, UnknownLanguage):
        await message.reply(usage_reply("settings"))
        return
    after_commit(session, partial(directory.forget, message.chat.id))
    await message.reply(reply)


async def set_points_rule(message: Message, args: list[str], chats: ChatService) -> None:
    """/settings points message|cooldown|daily_cap <number>"""
    if len(args) != 2 or args[0].lower() not in MessageRules.LIMITS or not args[1].isdigit():
        await message.reply(usage_reply("settings"))
        return
    name, value = args[0].lower(), int(args[1])
    try:
        await chats.set_points_rule(message.chat.id, name, value)
    except BadSetting:
        low, high = MessageRules.LIMITS[name]
        await message.reply(
            _("{name} must be between {low} and {high}.").format(name=name, low=low, high=high)
        )
        return
    await message.reply(
        _("✅ Points setting {name} is now {value}.").format(name=name, value=value)
    )


def language_name(language: str | None) -> str:
    names = {"zh": "中文", "en": "English"}
    return names.get(language or "", _("each member's own"))


def render_settings(profile: ChatProfile) -> str:
    return "\n".join(
        [
            _("<b>Settings for {title}</b>").format(title=escape(profile.title)),
            _("Time zone: {timezone}").format(timezone=escape(profile.timezone)),
            _("Language: {language}").format(language=language_name(profile.language)),
            _(
                "Message points: {points} per message, at most one every {cooldown} s, "
                "up to {cap} a day"
            ).format(
                points=profile.message_rules.points,
                cooldown=profile.message_rules.cooldown,
                cap=profile.message_rules.daily_cap,
            ),
            "",
            _("Change them with {usage}").format(usage=usage_of("settings")),
            _("Languages: {languages}, or auto").format(languages=", ".join(LANGUAGES)),
        ]
    )


def create_router() -> Router:
    router = Router(name="settings")
    router.message.register(settings, Command("settings"), IsAdmin())
    return router
