"""Newcomers' welcome (the payload: `services/welcome_messages.py`; the words:
`views/announcements.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from services.chats import ChatProfile
from services.raids import RaidService
from services.welcome_messages import Welcome
from views.announcements import welcome_text
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register_gathered(Welcome)
async def welcome(
    context: RenderContext, profile: ChatProfile, joined: Sequence[Welcome]
) -> Delivery:
    """Everyone who joined in the moment, in one welcome with a Rules button; deleted when the
    group's setting says."""
    if not profile.welcome.enabled:
        raise LookupError("welcomes were turned off since")
    async with context.background.session_pool() as session:
        if await RaidService(session, context.background.clock).current(profile.id) is not None:
            raise LookupError("a raid began since: welcomes are silent")
    bot = context.bot
    try:
        count = await bot.get_chat_member_count(profile.id)
    except TelegramAPIError:
        count = 0
    rules = InlineKeyboardButton(
        text="群规 / Rules",
        url=f"https://t.me/{(await bot.me()).username}?start=rules{profile.id}",
    )
    return Delivery(
        welcome_text(profile, [member.name for member in joined], count),
        markup=InlineKeyboardMarkup(inline_keyboard=[[rules]]),
        delete_after=profile.welcome.delete_after,
    )
