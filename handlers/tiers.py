"""/tiers: everyone sees the VIP ladder; admins move, add and remove its steps."""

from __future__ import annotations

import re
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from handlers.refusal import admins_only
from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from services.chats import ChatProfile
from services.tiers import LastTier, ThresholdTaken, Tier, TierError, TierService, UnknownTier
from views.numbers import number

SET = re.compile(
    r"^set\s+(?P<name>\S{1,32})\s+(?P<threshold>\d{1,10})(?:\s+(?P<perks>\S.*))?$", re.S
)
DELETE = re.compile(r"^del\s+(?P<name>\S{1,32})$")


async def is_edit(message: Message, command: CommandObject) -> bool:
    """`/tiers set ...` or `/tiers del ...`, well formed or not: admins only."""
    return (
        (command.args or "").split(maxsplit=1)[0].lower() in ("set", "del")
        if command.args
        else False
    )


async def show_ladder(
    message: Message,
    command: CommandObject,
    tiers: TierService,
    i18n: I18n,
    chat_profile: ChatProfile,
) -> None:
    if command.args:
        await message.reply(usage_reply("tiers"))
        return
    ladder = await tiers.ladder(chat_profile.program_id)  # the program's, in each group
    await message.reply(render_ladder(ladder, i18n.current_locale))


async def edit_ladder(
    message: Message,
    command: CommandObject,
    tiers: TierService,
    i18n: I18n,
    chat_profile: ChatProfile,
) -> None:
    text = (command.args or "").strip()
    language = i18n.current_locale
    try:
        if found := SET.match(text):
            tier = await tiers.set(
                chat_profile.program_id, found["name"], int(found["threshold"]), found["perks"]
            )
            reply = _("✅ {tier} now starts at {threshold} lifetime points.").format(
                tier=escape(tier.label(language)), threshold=number(tier.threshold)
            )
        elif found := DELETE.match(text):
            tier = await tiers.delete(chat_profile.program_id, found["name"])
            reply = _("🗑 {tier} removed from the ladder.").format(tier=escape(tier.label(language)))
        else:
            await message.reply(usage_reply("tiers"))
            return
    except ThresholdTaken as taken:
        reply = _("{tier} already starts at {threshold}; choose another number.").format(
            tier=escape(taken.other.label(language)), threshold=number(taken.other.threshold)
        )
    except UnknownTier as unknown:
        reply = _("There is no tier called {name}. See /tiers.").format(name=escape(str(unknown)))
    except LastTier:
        reply = _("The ladder needs at least one tier.")
    except TierError:
        reply = usage_reply("tiers")
    await message.reply(reply)


def render_ladder(ladder: list[Tier], language: str) -> str:
    lines = [_("<b>VIP tiers</b> (by lifetime points)")]
    for tier in ladder:
        line = f"• <b>{escape(tier.label(language))}</b> — {number(tier.threshold)}+"
        perks = perks_in_words(tier, language)
        lines.append(f"{line}\n   {perks}" if perks else line)
    return "\n".join(lines)


def perks_in_words(tier: Tier, language: str) -> str:
    """A tier's perks as members read them: the words, and what its machine-read parts do
    (`multiplier=1.2` on earned points, `discount=10%` in the shop, `entry_reward=<id>` on
    reaching it)."""
    words = tier.perk_words(language)
    parts = [escape(words)] if words else []
    if tier.multiplier_pct > 100:
        parts.append(_("points ×{times:g}").format(times=tier.multiplier_pct / 100))
    if tier.discount:
        parts.append(_("{percent}% off in the /shop").format(percent=tier.discount))
    if tier.entry_reward is not None:
        parts.append(_("a shop reward on reaching it"))
    return " · ".join(parts)


COMMANDS = (
    CommandSpec(
        "tiers",
        __("The VIP tiers and their perks; admins edit them"),
        usage=__("/tiers · /tiers set <name> <points> [perks] · /tiers del <name>"),
    ),
)


def create_router() -> Router:
    router = Router(name="tiers")
    router.message.register(edit_ladder, Command("tiers"), is_edit, IsAdmin(), flags=ONCE)
    router.message.register(admins_only, Command("tiers"), is_edit)
    router.message.register(show_ladder, Command("tiers"))
    return router
