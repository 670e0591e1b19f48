"""/points: anyone sees their balance and history; admins add or deduct points with a reason,
and set what messages earn (`/settings points …`, a section of /settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Literal

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.refusal import admins_only, not_seen_here
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.replies import replied_message, replied_sender
from infrastructure.sender_only import for_sender
from infrastructure.settings_sections import SettingsSection
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.members import find_member
from services.message_rules import MessageRules, set_points_rule
from services.points import MAX_CHANGE, NotEnoughPoints, PointsService
from views.member_card import history_text
from views.numbers import number, signed
from views.settings import out_of_range

ADJUST = re.compile(
    r"^(?:(?P<target>@\w{3,32}|\d{3,20})\s+)?(?P<amount>[+-]\d{1,12})\s+(?P<reason>\S.{0,99})$"
)
HISTORY = re.compile(r"^history(?:\s+(?P<target>@\w{3,32}|\d{3,20}))?$")


@dataclass(frozen=True, slots=True)
class PointsRequest:
    kind: Literal["balance", "history", "adjust"]
    target: str | None = None  # "@name" or an id; None: the replied-to member, else the sender
    amount: int = 0
    reason: str = ""

    def needs_admin(self, message: Message) -> bool:
        """An adjustment, or the history of someone else (named, or the replied-to member)."""
        about_other = self.target is not None or replied_message(message) is not None
        return self.kind == "adjust" or (self.kind == "history" and about_other)


def parse(args: str | None) -> PointsRequest | None:
    """None for input that matches no form of the command."""
    text = (args or "").strip()
    if not text:
        return PointsRequest("balance")
    if history := HISTORY.match(text):
        return PointsRequest("history", target=history["target"])
    if (adjust := ADJUST.match(text)) and int(adjust["amount"]) != 0:
        return PointsRequest("adjust", adjust["target"], int(adjust["amount"]), adjust["reason"])
    return None


async def about_someone_else(
    message: Message, command: CommandObject
) -> bool | dict[str, PointsRequest]:
    """Forms only admins may use: an adjustment, or another member's history."""
    request = parse(command.args)
    if request is None or not request.needs_admin(message):
        return False
    return {"request": request}


async def adjust_or_inspect(
    message: Message,
    request: PointsRequest,
    points: PointsService,
    session: AsyncSession,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """An admin's /points +N reason, /points @user -N reason, or /points history for someone."""
    target = await resolve_target(message, request, session)
    if isinstance(target, str):
        await message.reply(target)
        return
    user_id, name = target
    if request.kind == "history":
        history = await points.history(chat_profile.id, user_id)
        await message.reply(history_text(name, history, chat_profile.timezone))
        return
    assert message.from_user is not None
    if abs(request.amount) > MAX_CHANGE:
        await message.reply(
            _("One change is at most {max} points either way.").format(max=number(MAX_CHANGE))
        )
        return
    try:
        balance = await points.change(
            message.chat.id, user_id, request.amount, reason="admin", ref=request.reason,
            key=f"admin:{message.chat.id}:{message.message_id}", actor=message.from_user.id,
        )  # fmt: skip
    except NotEnoughPoints as refused:
        await message.reply(
            ngettext(
                "{name} has only {points} point; nothing was deducted.",
                "{name} has only {points} points; nothing was deducted.",
                refused.balance,
            ).format(name=escape(name), points=number(refused.balance))
        )
        return
    if not balance.applied:  # a redelivered command, or one seen before: never claim it twice
        await message.reply(
            _("This change was already applied; nothing more was added. Balance: {points}.").format(
                points=number(balance.points)
            )
        )
        return
    await message.reply(
        ngettext(
            "✅ {amount} point for {name}: {reason}. Balance: {points}.",
            "✅ {amount} points for {name}: {reason}. Balance: {points}.",
            abs(request.amount),
        ).format(
            amount=signed(request.amount),
            name=escape(name),
            reason=escape(request.reason),
            points=number(balance.points),
        )
    )


async def resolve_target(
    message: Message, request: PointsRequest, session: AsyncSession
) -> tuple[int, str] | str:
    """(user id, name) of the member meant, or the reply explaining why there is none."""
    if request.target is not None:
        member = await find_member(session, message.chat.id, request.target)
        if member is None:
            return not_seen_here(request.target)
        return member.user_id, member.display_name or request.target
    replied = replied_sender(message)
    if replied is None:
        return problem_reply(_("Reply to the member's message, or name them."), "points", "[@user")
    if replied.is_bot:
        return _("Bots don't collect points.")
    return replied.id, replied.full_name


async def own_points(
    message: Message, command: CommandObject, points: PointsService, chat_profile: ChatProfile
) -> None:
    """/points and /points history for oneself; everything else gets the usage or a refusal."""
    request = parse(command.args)
    if request is None:
        await message.reply(usage_reply("points"))
        return
    if request.needs_admin(message):
        await admins_only(message)
        return
    user = message.from_user
    assert user is not None
    if request.kind == "history":
        history = await points.history(chat_profile.id, user.id)
        await message.reply(
            for_sender(history_text(user.full_name, history, chat_profile.timezone))
        )
        return
    await message.reply(for_sender(await render_balance(points, chat_profile.id, user.id)))


async def render_balance(points: PointsService, chat_id: int, user_id: int) -> str:
    balance = await points.balance(chat_id, user_id)
    return ngettext(
        "Your balance: {points} point (lifetime {lifetime}).",
        "Your balance: {points} points (lifetime {lifetime}).",
        balance.points,
    ).format(points=number(balance.points), lifetime=number(balance.lifetime_points))


async def change_message_points(
    message: Message, setting: list[str], session: AsyncSession
) -> bool:
    """/settings points message|cooldown|daily_cap <number>"""
    args = setting[1:]
    if len(args) != 2 or args[0].lower() not in MessageRules.LIMITS or not args[1].isdigit():
        await message.reply(usage_reply("settings", "points"))
        return False
    name, value = args[0].lower(), int(args[1])
    try:
        await set_points_rule(session, message.chat.id, name, value)
    except BadSetting:
        await message.reply(out_of_range(name, MessageRules.LIMITS[name]))
        return False
    await message.reply(
        _("✅ Points setting {name} is now {value}.").format(
            name=f"<code>{name}</code>", value=value
        )
    )
    return True


def message_points_settings(profile: ChatProfile) -> list[str]:
    rules = profile.message_rules
    return [
        _(
            "Message points: {points} per message, at most one every {cooldown} s, "
            "up to {cap} a day"
        ).format(points=rules.points, cooldown=rules.cooldown, cap=rules.daily_cap)
    ]


SETTINGS_SECTION = SettingsSection(
    ("points",),
    change_message_points,
    message_points_settings,
    usage=(__("/settings points message|cooldown|daily_cap <number>"),),
    title=__("Message points"),
)


COMMANDS = (
    CommandSpec(
        "points",
        __("Your points and their history; admins add or deduct"),
        usage=__("/points [history] · /points [@user|id] +50|-20 <reason>"),
    ),
)


def create_router() -> Router:
    router = Router(name="points")
    router.message.register(adjust_or_inspect, Command("points"), about_someone_else, IsAdmin())
    router.message.register(own_points, Command("points"))
    return router
