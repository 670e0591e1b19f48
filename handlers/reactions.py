"""Reactions earn: a member's first reaction to someone else's message pays its author
(`message_reaction` updates, sent to an admin bot that asks for them), and `/settings reactions`."""

from __future__ import annotations

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import Message, MessageReactionUpdated
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import problem_reply, usage_reply
from infrastructure.settings_sections import SettingsSection
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.reactions import Reaction, ReactionRules, ReactionService, set_reaction_rules
from services.words import loosen_options
from views.engagement import reaction_points_set, reaction_settings
from views.settings import out_of_range


async def may_earn(event: MessageReactionUpdated, chat_profile: ChatProfile) -> bool:
    """A member's first reaction to a message, in a group whose reactions earn: a changed or
    removed one, an anonymous admin's (`actor_chat`) or a bot's earns nothing."""
    user = event.user
    return (
        chat_profile.is_group
        and chat_profile.rules(ReactionRules).earn
        and user is not None
        and not user.is_bot
        and not event.old_reaction
        and bool(event.new_reaction)
    )


async def reacted(
    event: MessageReactionUpdated, reactions: ReactionService, chat_profile: ChatProfile
) -> None:
    """Pay the author, then let the other features see the reaction too (topics rank by them)."""
    assert event.user is not None  # `may_earn`
    await reactions.react(
        Reaction(event.chat.id, event.message_id, event.user.id),
        chat_profile.rules(ReactionRules),
        chat_profile.timezone,
    )
    raise SkipHandler  # aiogram hands an update to one handler: this passes it on


def read_reaction_setting(words: list[str]) -> tuple[int, int | None] | None:
    """`<points> [cap=<n>]` or `off` -> (points, cap or None: kept); None: unreadable."""
    typed = loosen_options(" ".join(words), ["cap"]).lower().split()
    if typed == ["off"]:
        return 0, None
    if not typed or not typed[0].isdigit() or len(typed) > 2:
        return None
    if len(typed) == 1:
        return int(typed[0]), None
    name, _equals, cap = typed[1].partition("=")
    return (int(typed[0]), int(cap)) if name == "cap" and cap.isdigit() else None


async def change_reaction_points(
    message: Message, setting: list[str], session: AsyncSession, chat_profile: ChatProfile
) -> bool:
    """/settings reactions <points> [cap=<n>] · /settings reactions off"""
    read = read_reaction_setting(setting[1:])
    if read is None:
        await message.reply(usage_reply("settings", "reactions"))
        return False
    points, cap = read
    try:
        await set_reaction_rules(session, message.chat.id, points, cap)
    except BadSetting as refused:
        name, limits = (
            ("cap", ReactionRules.CAP)
            if str(refused) == "cap"
            else ("reactions", ReactionRules.POINTS)
        )
        await message.reply(problem_reply(out_of_range(name, limits), "settings", "reactions"))
        return False
    kept = chat_profile.rules(ReactionRules).cap  # the cap stays as it was unless given
    await message.reply(reaction_points_set(ReactionRules(points, cap or kept)))
    return True


def reactions_settings(profile: ChatProfile) -> list[str]:
    return reaction_settings(profile.rules(ReactionRules))


SETTINGS_SECTION = SettingsSection(
    ("reactions",),
    change_reaction_points,
    reactions_settings,
    usage=(__("/settings reactions <points> [cap=<reactions a day>]"), "/settings reactions off"),
    title=__("Reactions"),
)


def create_router() -> Router:
    router = Router(name="reactions")
    router.message_reaction.register(reacted, may_earn)
    return router
