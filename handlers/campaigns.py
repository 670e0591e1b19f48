"""Campaigns: admins open (`/campaign new`), list (`/campaigns`) and delete them.

Greetings and thanks go out from `scheduler/campaigns.py`; the multiplier is applied by the
points service.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.transactions import after_commit
from models import Campaign
from scheduler.core import Scheduler
from services.campaigns import (
    CampaignInputError,
    CampaignOverlap,
    CampaignService,
    multiplier_text,
    parse_campaign,
)
from services.chats import ChatProfile
from services.clock import Clock
from services.programs import ProgramService
from services.shop import RewardNotFound, ShopService


async def campaign(
    message: Message,
    command: CommandObject,
    campaigns: CampaignService,
    chat_profile: ChatProfile,
    scheduler: Scheduler,
    clock: Clock,
    shop: ShopService,
    programs: ProgramService,
) -> None:
    """/campaign new <name> <first day> <last day> x2 [greeting] [coupon=<reward id>]
    [groups=all] · /campaign del <id>"""
    action, _space, rest = (command.args or "").strip().partition(" ")
    user = message.from_user
    if not chat_profile.is_group or user is None or action.lower() not in ("new", "del"):
        await message.reply(usage_reply("campaign"))
        return
    if action.lower() == "del":
        number = rest.strip().lstrip("#")
        if not number.isdigit():
            await message.reply(usage_reply("campaign", "del"))
            return
        removed = await campaigns.delete(chat_profile.id, int(number))
        if removed is None:
            await message.reply(_("There is no such campaign here. See /campaigns."))
            return
        after_commit(campaigns.session, scheduler.reload_soon)
        await message.reply(_("🗑 Campaign {name} deleted.").format(name=escape(removed.name)))
        return
    try:
        spec = parse_campaign(rest, clock.today_in(chat_profile.timezone))
        if spec.coupon_reward_id is not None:
            await shop.reward(chat_profile.program_id, spec.coupon_reward_id)
        groups = [chat_profile.id]
        if spec.everywhere:  # this group first, then the program's others: all or none
            others = await programs.groups(chat_profile.program_id)
            groups += [group for group in others if group != chat_profile.id]
        async with campaigns.session.begin_nested():
            made = [
                await campaigns.create(group, user.id, spec, chat_profile.timezone)
                for group in groups
            ]
        created = made[0]
    except RewardNotFound:
        await message.reply(campaign_problem("coupon"))
        return
    except CampaignInputError as bad:
        await message.reply(campaign_problem(str(bad)))
        return
    except CampaignOverlap as overlap:
        await message.reply(
            _("It overlaps {name} ({first} – {last}); campaigns may not share a day.").format(
                name=escape(overlap.other.name),
                first=overlap.other.first_day,
                last=overlap.other.last_day,
            )
        )
        return
    after_commit(campaigns.session, scheduler.reload_soon)  # one starting today is greeted now
    reply = _("✅ Campaign #{id} {name}: {first} – {last}, points {multiplier}.").format(
        id=created.id,
        name=escape(created.name),
        first=created.first_day,
        last=created.last_day,
        multiplier=multiplier_text(created.multiplier_pct),
    )
    if len(made) > 1:
        reply += "\n" + ngettext(
            "In {n} group of the program: {ids}.", "In {n} groups of the program: {ids}.", len(made)
        ).format(n=len(made), ids=", ".join(f"#{each.id}" for each in made))
    await message.reply(reply)


async def list_campaigns(
    message: Message, campaigns: CampaignService, chat_profile: ChatProfile, clock: Clock
) -> None:
    """/campaigns: running, coming, and ended in the last 30 days."""
    found = await campaigns.of_chat(chat_profile.id)
    if not found:
        await message.reply(_("No campaigns. Start one with /campaign new."))
        return
    lines = [_("🎉 <b>Campaigns</b>")]
    now = clock.now()
    for item in found:
        lines.append(
            f"#{item.id} {escape(item.name)} · {item.first_day} – {item.last_day} · "
            f"{multiplier_text(item.multiplier_pct)} · {state_of(item, now)}"
        )
    await message.reply("\n".join(lines))


def state_of(item: Campaign, now: datetime) -> str:
    if now < item.starts_at:
        return _("coming")
    if now < item.ends_at:
        return _("running")
    return _("ended")


def campaign_problem(reason: str) -> str:
    problems = {
        "name": _("The name takes up to 64 characters."),
        "date": _("Days are YYYY-MM-DD, such as 2026-12-01."),
        "past": _("The first day has passed."),
        "order": _("The last day comes before the first."),
        "length": _("A campaign lasts up to 31 days and starts within a year."),
        "multiplier": _("The multiplier is x1.1 to x10, such as x2 or x1.5."),
        "long": _("The greeting takes up to 1,000 characters."),
        "coupon": _("coupon= names a reward of this group's shop by its number (/rewards)."),
    }
    return problems.get(reason) or usage_reply("campaign")


COMMANDS = (
    CommandSpec(
        "campaign",
        __("Start a holiday campaign that multiplies points, or delete one"),
        usage=__(
            "/campaign new <name> <2026-12-01> <2026-12-03> x2 [greeting] [coupon=<reward id>] "
            "[groups=all] · /campaign del <id>"
        ),
        admin=True,
    ),
    CommandSpec("campaigns", __("Running and coming campaigns"), usage="/campaigns", admin=True),
)


def create_router() -> Router:
    router = Router(name="campaigns")
    router.message.register(campaign, Command("campaign"), IsAdmin(), flags=ONCE)
    router.message.register(list_campaigns, Command("campaigns"), IsAdmin())
    return router
