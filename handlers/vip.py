"""VIP rooms and paid membership (issue 38), the admins' side: `/vip` (the room's rule, plans,
refunds, the month's figures) and the room's join requests. A member's side (`/membership`,
payments in Stars) is `handlers/vip_membership.py`."""

from __future__ import annotations

import contextlib
import logging
import re

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatJoinRequest, LabeledPrice, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.targets import is_handle, target_of
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from models import VipPayment
from services.chats import ChatProfile
from services.clock import Clock, local_day, start_of
from services.members import display_names
from services.tiers import TierService
from services.vip import PERIOD, PlanError, VipService, payload_of
from services.vip_rooms import MAX_GRACE_DAYS, VipRoomService
from services.vip_rules import RuleError, parse_rule
from views import vip as view
from views.rights import INVITE
from workflows.rights import RightsNotices

logger = logging.getLogger(__name__)
OPTION = re.compile(r"^(tier|points)=(.+)$", re.IGNORECASE)


def language() -> str:
    return get_i18n().current_locale


async def vip_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    vip: VipService,
    vip_rooms: VipRoomService,
    tiers: TierService,
    chat_profile: ChatProfile,
    notices: RightsNotices,
    clock: Clock,
    bot: Bot,
) -> None:
    """/vip · /vip room <rule>|off · /vip grace <days> · /vip plan <name> <stars> [tier=…]
    [points=…] · /vip plan <name> off · /vip refund @user|<charge> <reason> · /vip stats"""
    action, _space, rest = (command.args or "").strip().partition(" ")
    action, rest = action.lower(), " ".join(rest.split())
    program = chat_profile.program_id
    ladder = await tiers.ladder(program)
    if not chat_profile.is_group:
        await message.reply(usage_reply("vip"))
    elif action == "":
        found = await vip_rooms.rooms(program)
        titles = await vip.titles([room.chat_id for room in found])
        rooms = [(room, titles.get(room.chat_id, str(room.chat_id))) for room in found]
        await message.reply(view.overview(rooms, await vip.plans(program), ladder, language()))
    elif action == "room":
        await make_room(message, rest, vip_rooms, tiers, chat_profile, notices, bot)
    elif action == "grace":
        room = await vip_rooms.room(chat_profile.id)
        if room is None:
            await message.reply(problem_reply(view.no_room(), "vip", "room"))
        elif not rest.isdigit() or int(rest) > MAX_GRACE_DAYS:
            await message.reply(problem_reply(view.grace_problem(), "vip", "grace"))
        else:
            await vip_rooms.set_grace(room, int(rest))
            await message.reply(view.grace_set(int(rest)))
    elif action == "plan":
        await make_plan(message, rest, vip, tiers, chat_profile, bot)
    elif action == "refund":
        await refund(message, rest.split(), session, vip, chat_profile, bot)
    elif action == "stats":
        await vip_stats(message, chat_profile, vip, clock)
    else:
        await message.reply(usage_reply("vip"))


async def vip_stats(message: Message, profile: ChatProfile, vip: VipService, clock: Clock) -> None:
    """/vip stats and /stats vip: the program's paid membership this month (the group's)."""
    today = local_day(clock.now(), profile.timezone)
    since = start_of(today.replace(day=1), profile.timezone)
    figures = await vip.figures(profile.program_id, since)
    await message.reply(view.figures(profile.title, figures, today.strftime("%Y-%m")))


async def make_room(
    message: Message,
    words: str,
    vip_rooms: VipRoomService,
    tiers: TierService,
    profile: ChatProfile,
    notices: RightsNotices,
    bot: Bot,
) -> None:
    if words.lower() == "off":
        closed = await vip_rooms.close(profile.id)
        await message.reply(view.room_closed() if closed else view.no_room())
        return
    ladder = await tiers.ladder(profile.program_id)
    try:
        rule = parse_rule(words, ladder)
    except RuleError as error:
        await message.reply(problem_reply(view.rule_problem(error), "vip", "room"))
        return
    by = message.from_user.id if message.from_user else 0
    room = await vip_rooms.make(profile.id, profile.program_id, rule, by)
    if room.link is None:
        try:
            made = await bot.create_chat_invite_link(
                profile.id, name="VIP", creates_join_request=True
            )
        except TelegramBadRequest as error:
            if await notices.failed(bot, profile.id, INVITE, "create an invite link", error):
                await message.reply(view.cannot_link())
                return
            raise
        await vip_rooms.set_link(room, made.invite_link)
    await message.reply(view.room_made(room, rule, ladder, language()))


async def make_plan(
    message: Message, words: str, vip: VipService, tiers: TierService, profile: ChatProfile,
    bot: Bot,
) -> None:  # fmt: skip
    parts = words.split()
    options = {m[1].lower(): m[2] for part in parts if (m := OPTION.match(part))}
    plain = [part for part in parts if not OPTION.match(part)]
    if len(plain) == 2 and plain[1].lower() == "off":
        plan = await vip.plan_named(profile.program_id, plain[0])
        if plan is None:
            await message.reply(problem_reply(view.no_such_plan(plain[0]), "vip", "plan"))
            return
        await vip.stop_selling(plan)
        await message.reply(view.plan_stopped(plan.name))
        return
    if len(plain) < 2 or not plain[-1].isdigit():
        await message.reply(usage_reply("vip", "plan"))
        return
    name, stars = " ".join(plain[:-1]), int(plain[-1][:9])
    ladder = await tiers.ladder(profile.program_id)
    tier = None
    if "tier" in options:
        tier = next((t for t in ladder if t.answers_to(options["tier"])), None)
        if tier is None:
            await message.reply(problem_reply(view.plan_problem("tier"), "vip", "plan"))
            return
    points = options.get("points", "0")
    by = message.from_user.id if message.from_user else 0
    try:
        plan = await vip.add_plan(
            profile.program_id, name, stars, tier, int(points[:9]) if points.isdigit() else -1, by
        )
    except PlanError as error:
        await message.reply(problem_reply(view.plan_problem(str(error)), "vip", "plan"))
        return
    link = await bot.create_invoice_link(
        title=plan.name, description=_("Monthly membership of {title}").format(
            title=profile.title)[:255] or plan.name,
        payload=payload_of(plan), provider_token="", currency="XTR",
        prices=[LabeledPrice(label=plan.name, amount=plan.stars)],
        subscription_period=int(PERIOD.total_seconds()),
    )  # fmt: skip
    await vip.set_link(plan, link)
    await message.reply(view.plan_made(plan, ladder, language()))


async def refund(
    message: Message, words: list[str], session: AsyncSession, vip: VipService,
    profile: ChatProfile, bot: Bot,
) -> None:  # fmt: skip
    if not words:
        await message.reply(usage_reply("vip", "refund"))
        return
    if is_handle(words[0]) or message.reply_to_message is not None:
        found = await target_of(message, words, session, "vip")
        if isinstance(found, str):
            await message.reply(found)
            return
        target, reason_words = found
        payment = await vip.last_payment(profile.program_id, target.user_id)
    else:
        reason_words = words[1:]
        payment = await vip.payment(words[0])
        if payment is not None and payment.program_id != profile.program_id:
            payment = None
    if payment is None or payment.refunded_at is not None:
        await message.reply(problem_reply(view.no_payment(), "vip", "refund"))
        return
    if not reason_words:
        await message.reply(problem_reply(view.refund_reason_missing(), "vip", "refund"))
        return
    try:
        await bot.refund_star_payment(payment.user_id, payment.charge_id)
    except TelegramBadRequest as error:
        if "ALREADY_REFUNDED" not in error.message:  # else Telegram refunded it: record it
            await message.reply(view.telegram_refused(error.message))
            return
    by = message.from_user.id if message.from_user else None
    await vip.refunded(payment.charge_id, " ".join(reason_words), by)
    await stop_renewing(bot, vip, payment)
    name = await _member_name(session, profile.program_id, payment.user_id)
    ended = payment.user_id not in await vip.is_paid(profile.program_id, [payment.user_id])
    await message.reply(view.refund_done(name, payment.stars, ended=ended))


async def stop_renewing(bot: Bot, vip: VipService, payment: VipPayment) -> None:
    """A refund is of one payment: Telegram would go on charging the subscription, so the bot
    cancels it (the member keeps what another payment still pays for, to its end)."""
    membership = await vip.membership_of(payment)
    if membership is None or membership.canceled:
        return
    try:
        await bot.edit_user_star_subscription(
            payment.user_id, membership.charge_id, is_canceled=True
        )
    except TelegramBadRequest as error:  # gone on Telegram's side: nothing left to renew
        logger.info("VIP subscription of %s not cancelled: %s", payment.user_id, error.message)
    await vip.mark_canceled(membership)


async def _member_name(session: AsyncSession, chat_id: int, user_id: int) -> str:
    return (await display_names(session, chat_id, [user_id])).get(user_id, str(user_id))


async def join_requested(
    request: ChatJoinRequest,
    bot: Bot,
    vip: VipService,
    vip_rooms: VipRoomService,
    chat_profile: ChatProfile,
) -> None:
    """A request to join a VIP room: approved when the member qualifies; else they are told
    why and what would let them in (while the request lets the bot write to them), then it is
    declined. Requests to other groups go on to moderation."""
    room = await vip_rooms.room(request.chat.id)
    if room is None:
        raise SkipHandler  # aiogram hands an update to one handler: this passes it on
    verdict = await vip_rooms.verdict(room, request.from_user.id)
    if verdict.admitted:
        await bot.approve_chat_join_request(room.chat_id, request.from_user.id)
        return
    plans = await vip.plans(room.program_id, on_sale=True) if verdict.short.paid else []
    text = view.declined(chat_profile.title, verdict.short, plans, language())
    with contextlib.suppress(TelegramBadRequest):  # cannot be written to: declined all the same
        await bot.send_message(request.user_chat_id, text)
    await bot.decline_chat_join_request(room.chat_id, request.from_user.id)


COMMANDS = (
    CommandSpec(
        "vip",
        __("VIP room and paid plans: who may come in, plans, refunds"),
        usage=__(
            "/vip · /vip room <rule>|off · /vip grace <days> · /vip plan <name> <stars> "
            "[tier=<tier>] [points=<n>] · /vip plan <name> off · /vip refund @user <reason> "
            "· /vip stats"
        ),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="vip")
    router.message.register(vip_command, Command("vip"), IsAdmin(), flags=ONCE)
    router.chat_join_request.register(join_requested)
    return router
