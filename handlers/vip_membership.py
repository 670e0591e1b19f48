"""Paid membership, a member's side (issue 38): `/membership` (mine, the plans, cancelling),
`/paysupport`, and payments in Telegram Stars (the pre-checkout query, successful and refunded
payments, which arrive as service messages in the member's private chat)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, PreCheckoutQuery
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import refuses_chatter
from infrastructure.sender_only import for_sender
from services.chats import ChatProfile
from services.clock import local_day
from services.tiers import TierService
from services.vip import VipService
from views import vip as view

logger = logging.getLogger(__name__)


async def membership(
    message: Message,
    command: CommandObject,
    vip: VipService,
    tiers: TierService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/membership · /membership cancel: the member's paid membership and the plans."""
    user = message.from_user
    if user is None or not chat_profile.is_group:
        await message.reply(usage_reply("membership"))
        return
    program = chat_profile.program_id
    action = (command.args or "").strip().lower()
    if action == "cancel":
        renewing = await vip.cancelable(program, user.id)
        if not renewing:
            await message.reply(for_sender(view.nothing_to_cancel()))
            return
        for renewal in renewing:
            try:
                await bot.edit_user_star_subscription(user.id, renewal.charge_id, is_canceled=True)
            except TelegramBadRequest as error:  # gone on Telegram's side: nothing to renew
                logger.info("VIP subscription of %s not cancelled: %s", user.id, error.message)
            await vip.mark_canceled(renewal)
    elif action:
        await message.reply(usage_reply("membership"))
        return
    held = [
        (h, local_day(h.expires_at, chat_profile.timezone))
        for h in await vip.active(program, user.id)
    ]
    if action == "cancel":
        await message.reply(for_sender(view.canceled(held)))
        return
    plans = await vip.plans(program, on_sale=True)
    card = view.membership_card(held, plans, await tiers.ladder(program), get_i18n().current_locale)
    await message.reply(for_sender(card))


async def pre_checkout(query: PreCheckoutQuery, vip: VipService) -> None:
    """Telegram waits 10 seconds for this answer: one read, then ok or the reason."""
    refusal = await vip.checkout_refusal(query.invoice_payload, query.currency, query.total_amount)
    try:
        if refusal is None:
            await query.answer(ok=True)
        else:
            await query.answer(ok=False, error_message=view.checkout_refused(refusal))
    except TelegramBadRequest as error:  # too late: Telegram has given up, nothing was charged
        logger.info("pre-checkout %s of %s: %s", query.id, query.from_user.id, error.message)


@refuses_chatter
async def is_payment(message: Message) -> bool:
    paid = message.successful_payment is not None or message.refunded_payment is not None
    return paid and message.chat.type == "private"


async def payment_message(message: Message, vip: VipService) -> None:
    """A successful payment (first or renewal), recorded once per charge; or a refund."""
    user = message.from_user
    if user is None:
        return
    refunded = message.refunded_payment
    if refunded is not None:  # refunded by Telegram or by an admin's /vip refund
        await vip.refunded(refunded.telegram_payment_charge_id, "telegram", None)
        return
    paid = message.successful_payment
    assert paid is not None
    ends = paid.subscription_expiration_date
    expires = datetime.fromtimestamp(ends, UTC) if ends else None
    recorded = await vip.record_payment(
        user.id, paid.invoice_payload, paid.telegram_payment_charge_id, paid.total_amount,
        expires, first=bool(paid.is_first_recurring) or not paid.is_recurring,
    )  # fmt: skip
    if recorded is None or not recorded.new:
        return  # not ours, or a redelivered update: thanked once already
    day = local_day(recorded.membership.expires_at, recorded.timezone)
    await message.answer(view.paid_thanks(recorded.plan.name, day, recorded.payment.first))


async def pay_support(message: Message) -> None:
    """/paysupport: what Telegram asks every bot that sells for Stars to answer."""
    await message.reply(view.pay_support())


COMMANDS = (
    CommandSpec(
        "membership",
        __("Paid membership: yours, the plans, cancelling"),
        usage="/membership · /membership cancel",
        ephemeral=True,
    ),
    CommandSpec(
        "paysupport", __("Help with a payment in Stars"), usage="/paysupport", ephemeral=True
    ),
)


def create_router() -> Router:
    router = Router(name="vip-membership")
    router.message.register(membership, Command("membership"))
    router.message.register(pay_support, Command("paysupport"))
    router.pre_checkout_query.register(pre_checkout)
    return router


def create_payment_router() -> Router:
    """Payments arrive as service messages in the member's private chat: not commands."""
    router = Router(name="vip-payments")
    router.message.register(payment_message, is_payment)
    return router
