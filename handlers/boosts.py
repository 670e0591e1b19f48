"""Boosts earn: `chat_boost` and `removed_chat_boost` updates (Telegram sends them to a bot
that is an admin, and asks for them by the handlers registered here), and `/settings boosts`."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import ChatBoostRemoved, ChatBoostUpdated, Message, User
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import problem_reply, usage_reply
from infrastructure.settings_sections import SettingsSection
from services.boosts import Boost, BoostRules, BoostService, set_boost_points
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from views.engagement import boost_points_set, boost_settings
from views.settings import out_of_range


async def boosted(event: ChatBoostUpdated, boosts: BoostService, chat_profile: ChatProfile) -> None:
    """A boost added or extended: a member's own pays once per boost id."""
    if not chat_profile.is_group:
        return  # a channel the bot also runs in: no members to pay
    boost = event.boost
    await boosts.boosted(
        Boost(
            chat_id=event.chat.id, boost_id=boost.boost_id, source=boost.source.source,
            user_id=booster(boost.source), added_at=boost.add_date,
            expires_at=boost.expiration_date,
        ),
        chat_profile.rules(BoostRules),
        chat_profile.timezone,
    )  # fmt: skip


async def unboosted(
    event: ChatBoostRemoved, boosts: BoostService, chat_profile: ChatProfile
) -> None:
    """A boost removed: what it paid is taken back."""
    if not chat_profile.is_group:
        return
    removed = Boost(
        chat_id=event.chat.id, boost_id=event.boost_id, source=event.source.source,
        user_id=booster(event.source), added_at=event.remove_date, expires_at=event.remove_date,
    )  # fmt: skip
    await boosts.removed(removed, event.remove_date, chat_profile.timezone)


def booster(source: object) -> int | None:
    """Who the boost is from: a premium member, the user a gift code was made for, a
    giveaway's winner; None for a giveaway nobody won."""
    user = getattr(source, "user", None)
    return user.id if isinstance(user, User) else None


async def change_boost_points(message: Message, setting: list[str], session: AsyncSession) -> bool:
    """/settings boosts <points>"""
    args = setting[1:]
    if len(args) != 1 or not args[0].isdigit():
        await message.reply(usage_reply("settings", "boosts"))
        return False
    points = int(args[0])
    try:
        await set_boost_points(session, message.chat.id, points)
    except BadSetting:
        reason = out_of_range("boosts", BoostRules.LIMITS)
        await message.reply(problem_reply(reason, "settings", "boosts"))
        return False
    await message.reply(boost_points_set(points))
    return True


def boosts_settings(profile: ChatProfile) -> list[str]:
    return boost_settings(profile.rules(BoostRules))


SETTINGS_SECTION = SettingsSection(
    ("boosts",),
    change_boost_points,
    boosts_settings,
    usage=(__("/settings boosts <points>"),),
    title=__("Boosts"),
)


def create_router() -> Router:
    router = Router(name="boosts")
    router.chat_boost.register(boosted)
    router.removed_chat_boost.register(unboosted)
    return router
