"""Member tags: `/settings tags on|off` shows each member's tier in the tag beside their name
(Bot API 9.5). Tier moves queue the tags themselves (`services/promotions.py`); joins, leaves
and the bot's own rights reach here from `handlers/lifecycle.py`."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ChatMemberUpdated, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import usage_reply
from infrastructure.i18n import reply_language
from infrastructure.settings_sections import SettingsSection
from services.chats import ChatProfile
from services.member_tags import MemberTagService, TagRules
from views.member_tags import tags_line, tags_switched
from views.rights import TAGS, missing_right
from workflows.rights import holds


def tag_language(profile: ChatProfile, i18n: I18n) -> str:
    """Tags speak the group's language (the default where each member is answered in theirs)."""
    return reply_language(profile, None, i18n.default_locale)


async def change_tags(
    message: Message,
    setting: list[str],
    member_tags: MemberTagService,
    chat_profile: ChatProfile,
    i18n: I18n,
    bot: Bot,
) -> bool:
    """/settings tags on|off"""
    if len(setting) != 2 or setting[1].lower() not in ("on", "off"):
        await message.reply(usage_reply("settings", "tags"))
        return False
    on = setting[1].lower() == "on"
    changing = await member_tags.switch(chat_profile.id, on, tag_language(chat_profile, i18n))
    reply = tags_switched(on, changing)
    if on and not await may_tag(bot, chat_profile.id):
        reply += "\n" + missing_right(TAGS)  # the tags wait for it: granting it sets them
    await message.reply(reply)
    return True


async def may_tag(bot: Bot, chat_id: int) -> bool:
    try:
        return holds(await bot.get_chat_member(chat_id, bot.id), (TAGS,))
    except TelegramAPIError:
        return False


def tags_settings(profile: ChatProfile) -> list[str]:
    return [tags_line(profile.rules(TagRules).on)]


async def retag_when_allowed(
    event: ChatMemberUpdated, member_tags: MemberTagService, chat_profile: ChatProfile, i18n: I18n
) -> None:
    """The bot's rights changed: once it may manage tags, the tags it could not set go out."""
    if holds(event.new_chat_member, (TAGS,)) and chat_profile.rules(TagRules).on:
        await member_tags.resync(chat_profile.id, tag_language(chat_profile, i18n))


SETTINGS_SECTION = SettingsSection(
    ("tags",),
    change_tags,
    tags_settings,
    usage=("/settings tags on|off",),
    title=__("Member tags"),
)
