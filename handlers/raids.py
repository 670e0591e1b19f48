"""Raid mode: `/raid` says whether it is on, `/raid on [length]` and `/raid off` switch it by
hand; `/settings raid <n>|off · hold <1h> · calm <10m>` says when it starts by itself. Joins are
watched in `handlers/lifecycle.py` through `workflows/raids.py`."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.settings_sections import SettingsSection
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.clock import Clock, parse_duration
from services.raids import HAND_RAID, RaidRules, RaidService, parse_raid_rule, set_raid_rules
from views import raids as view
from views.settings import out_of_range
from views.wording import duration
from workflows.raids import RaidGuard

HAND_RANGE = (timedelta(minutes=5), timedelta(days=7))


async def raid_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    raids: RaidService,
    raid_guard: RaidGuard,
    chat_profile: ChatProfile,
    clock: Clock,
) -> None:
    """/raid · /raid on [30m|2h] · /raid off"""
    words = (command.args or "").split()
    rules, zone = chat_profile.rules(RaidRules), chat_profile.timezone
    admin_id = message.from_user.id if message.from_user else 0
    match [word.lower() for word in words]:
        case []:
            raid = await raids.current(chat_profile.id)
            tally = await raids.tally(raid.id) if raid is not None else None
            await message.reply(view.raid_status_text(raid, tally, rules, zone))
        case ["on", *length_words] if len(length_words) <= 1:
            length = parse_duration(length_words[0]) if length_words else HAND_RAID
            if length is None or not HAND_RANGE[0] <= length <= HAND_RANGE[1]:
                reason = _("Say for how long: 30m, 2h or 1d (5 minutes to 7 days).")
                await message.reply(problem_reply(reason, "raid", "on"))
                return
            raid, started = await raid_guard.start_by_hand(
                bot, raids, chat_profile, admin_id, clock.now() + length
            )
            await message.reply(view.raid_started_text(raid, rules, zone, started))
        case ["off"]:
            ended = await raid_guard.end_by_hand(bot, raids, chat_profile, admin_id)
            if ended is None:
                await message.reply(view.no_raid_text())
                return
            await message.reply(view.raid_ended_text(await raids.tally(ended.id)))
        case _:
            await message.reply(usage_reply("raid"))


async def change_raid_rules(message: Message, setting: list[str], session: AsyncSession) -> bool:
    """/settings raid <n>|off · raid hold <1h> · raid calm <10m>"""
    try:
        values = parse_raid_rule(setting[1:])
    except BadSetting as bad:
        which = str(bad)
        if which in RaidRules.LIMITS:
            reason = out_of_range(which, RaidRules.LIMITS[which])
            if which != "threshold":
                low, high = RaidRules.LIMITS[which]
                reason = _("{name} lasts {low} to {high}.").format(
                    name=f"<code>{which}</code>", low=duration(low), high=duration(high)
                )
            await message.reply(problem_reply(reason, "settings", "raid"))
        else:
            await message.reply(usage_reply("settings", "raid"))
        return False
    await set_raid_rules(session, message.chat.id, values)
    await message.reply(_("✅ Saved. /settings raid shows raid mode's settings."))
    return True


def raid_settings(profile: ChatProfile) -> list[str]:
    return view.raid_settings(profile.rules(RaidRules))


SETTINGS_SECTION = SettingsSection(
    ("raid",),
    change_raid_rules,
    raid_settings,
    usage=(__("/settings raid <15>|off"), "/settings raid hold <1h>", "/settings raid calm <10m>"),
    title=__("Raid mode"),
)

COMMANDS = (
    CommandSpec(
        "raid",
        __("Raid mode: newcomers read-only, welcomes paused (starts by itself on a join surge)"),
        usage="/raid · /raid on [2h] · /raid off",
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="raids")
    router.message.register(raid_command, Command("raid"), IsAdmin(), flags=ONCE)
    return router
