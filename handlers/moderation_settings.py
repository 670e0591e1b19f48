"""The moderation section of `/settings`: `/settings moderation` shows it, `/settings verify|
flood|links|warns|log_channel|night …` change it. Moderation's commands are
`handlers/moderation.py`; the word filters (`/filter`) are written beside these settings."""

from __future__ import annotations

from html import escape

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import problem_reply, usage_reply
from infrastructure.settings_sections import SettingsSection
from services.captcha import CaptchaQuestions
from services.chats import ChatProfile
from services.guards import MODERATION_SECTIONS, BadRule, parse_rule
from services.moderation_settings import set_moderation
from views.moderation import moderation_settings, moderation_summary


async def change_moderation(
    message: Message, setting: list[str], session: AsyncSession, chat_profile: ChatProfile
) -> bool:
    """/settings moderation · verify|flood|links|warns|log_channel|night …"""
    section = setting[0].lower()
    if section == "moderation":  # alone, it is the section's page (handlers/settings.py)
        await message.reply(usage_reply("settings", setting[0]))
        return False
    try:
        values = parse_rule(section, setting[1:])
    except BadRule:
        await message.reply(usage_reply("settings", section))
        return False
    if values.get("verify") == "question" and not chat_profile.rules(CaptchaQuestions).questions:
        usage = escape(_("/captcha add <question> = <answer>|<another>"))
        reason = _("Write the brand questions first: {usage}").format(usage=f"<code>{usage}</code>")
        await message.reply(problem_reply(reason, "captcha", "add"))
        return False
    await set_moderation(session, message.chat.id, values)
    await message.reply(_("✅ Saved. /settings moderation shows every moderation setting."))
    return True


def moderation_overview(profile: ChatProfile) -> list[str]:
    return moderation_summary(profile.moderation)


def moderation_page(profile: ChatProfile) -> list[str]:
    return moderation_settings(profile.moderation)


# One line in the `/settings` overview; its page and `/settings moderation` show them all.
SETTINGS_SECTION = SettingsSection(
    (*MODERATION_SECTIONS, "moderation"),
    change_moderation,
    moderation_overview,
    listed_as="moderation",
    usage=(
        "/settings verify button|math|question|off",
        "/settings verify time <2m>",
        "/settings flood on|off",
        "/settings flood <8> <10s>",
        "/settings flood mute <10m>",
        "/settings links on|off",
        "/settings links allow <taobao.com,tmall.com> | allow off",
        "/settings warns <3> mute|ban",
        __("/settings log_channel <channel id>|off"),
        "/settings night <23:00> <07:00> | off",
    ),
    title=__("Moderation"),
    details=moderation_page,
)
