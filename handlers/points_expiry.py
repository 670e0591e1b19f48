"""Points that expire: the `/settings points expire <days>d|off` section (the expiry itself is
the scheduler's, `workflows/points_expiry.py`)."""

from __future__ import annotations

from aiogram.types import Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import problem_reply, usage_reply
from infrastructure.settings_sections import SettingsSection
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.points_expiry import ExpiryRules, parse_period, set_expiry
from views.points_expiry import expiry_in_joined_group, expiry_set, expiry_settings
from views.settings import out_of_range


async def change_expiry(
    message: Message, setting: list[str], session: AsyncSession, chat_profile: ChatProfile
) -> bool:
    """/settings points expire <days>d|off: the program's, set in its founding group."""
    args = setting[2:]
    days = parse_period(args[0]) if len(args) == 1 else None
    if days is None:
        await message.reply(usage_reply("settings", "points expire"))
        return False
    if chat_profile.joined_program is not None:
        await message.reply(problem_reply(expiry_in_joined_group(), "settings", "points expire"))
        return False
    try:
        await set_expiry(session, chat_profile.program_id, days)
    except BadSetting:
        await message.reply(out_of_range("expire", ExpiryRules.LIMITS))
        return False
    await message.reply(expiry_set(days))
    return True


SETTINGS_SECTION = SettingsSection(
    ("points expire",),
    change_expiry,
    expiry_settings,
    usage=(__("/settings points expire <days>d|off"),),
    title=__("Points that expire"),
)
