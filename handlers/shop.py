"""The points shop as members use it in their group: /shop opens a catalogue they browse and
redeem from in place (catalogue → item → confirm, one message per asker), and a campaign's
greeting hands out its coupon. The admins' commands are in `handlers/shop_admin.py`, what a
member received (privately) in `handlers/shop_private.py`; this router includes both. Codes
reach a member only in their private chat: through the outbox when they have started the bot,
else through the deep link the answer offers."""

from __future__ import annotations

import secrets

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import shop_admin, shop_private
from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.transactions import commit_so_far
from models import Reward
from services.campaigns import CampaignService
from services.chats import ChatProfile
from services.points import PointsService
from services.redemptions import RedeemRequest, RedemptionGroupCommit, RedemptionService, Refused
from services.shop import RewardNotFound, ShopService, discounted, member_tier, required_tier
from services.tiers import TierService
from services.vip import VipService
from views.shop import (
    CampaignCoupon,
    RedeemAsk,
    RedeemCancel,
    RedeemConfirm,
    RedeemPress,
    ShopItem,
    ShopPage,
    back_button,
    catalogue,
    confirmation,
    item,
    redeemed,
    refusal,
)
from views.vip import plan_buttons

# The buttons of a /shop message: each carries the id of the member who asked for it.
WINDOW_BUTTONS = (ShopPage, ShopItem, RedeemAsk, RedeemConfirm, RedeemCancel)


async def open_shop(
    message: Message,
    command: CommandObject,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile,
) -> None:
    if command.args:
        await message.reply(usage_reply("shop"))
        return
    if not chat_profile.is_group or message.from_user is None:
        await message.reply(_("Open /shop in your group: each group has its own."))
        return
    owner = message.from_user.id
    text, markup = await catalogue_page(shop, tiers, points, chat_profile.program_id, owner, 0)
    await message.reply(text, reply_markup=markup)


async def catalogue_page(
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_id: int,
    owner: int,
    page: int,
) -> tuple[str, InlineKeyboardMarkup | None]:
    rewards = await shop.shelf(chat_id)
    free = await shop.free_codes([reward.id for reward in rewards])
    tier, _lifetime = await member_tier(tiers, points, chat_id, owner)
    plans = await VipService(shop.session, shop.clock, points).plans(chat_id, on_sale=True)
    return catalogue(rewards, free, owner, page, tier.discount if tier else 0, plan_buttons(plans))


async def by_the_asker(
    query: CallbackQuery,
    callback_data: ShopPage | ShopItem | RedeemPress,
    chat_profile: ChatProfile | None = None,
) -> bool:
    """Only the asker navigates their /shop message, and only in a group (`not_the_asker`
    answers the other presses)."""
    return (
        chat_profile is not None
        and chat_profile.is_group
        and query.from_user.id == callback_data.owner
    )


async def not_the_asker(query: CallbackQuery, chat_profile: ChatProfile | None = None) -> None:
    """A forged or stale press on a /shop message, or someone else's: told so."""
    if chat_profile is None or not chat_profile.is_group:
        await query.answer(_("This shop button is not from a group."))
        return
    await query.answer(_("This is someone else's shop window: send /shop for your own."))


async def turn_page(
    query: CallbackQuery,
    callback_data: ShopPage,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile,
) -> None:
    text, markup = await catalogue_page(
        shop, tiers, points, chat_profile.program_id, callback_data.owner, callback_data.page
    )
    await edit(query, text, markup)
    await query.answer()


async def show_item(
    query: CallbackQuery,
    callback_data: ShopItem,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> None:
    try:
        reward = await shop.reward(chat_profile.program_id, callback_data.id)
    except RewardNotFound:
        await query.answer(refusal("gone", None, 0, 0, None, i18n.current_locale), show_alert=True)
        return
    tier, ladder = await member_tier(tiers, points, chat_profile.program_id, query.from_user.id)
    needed = required_tier(ladder, reward)
    free = (await shop.free_codes([reward.id])).get(reward.id, 0)
    text, markup = item(
        reward, free, tier.discount if tier else 0, needed, query.from_user.id,
        secrets.token_hex(4), i18n.current_locale,
    )  # fmt: skip
    await edit(query, text, markup)
    await query.answer()


async def ask_to_redeem(
    query: CallbackQuery,
    callback_data: RedeemAsk,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> None:
    """Redeem: the price asked, with Confirm and Cancel."""
    reward = await pressed_reward(query, callback_data, shop, chat_profile, i18n)
    if reward is None:
        return
    tier, _ladder = await member_tier(tiers, points, chat_profile.program_id, callback_data.owner)
    price = discounted(reward.price, tier.discount if tier else 0)
    await edit(query, *confirmation(reward, price, callback_data))
    await query.answer()


async def confirm_redemption(
    query: CallbackQuery,
    callback_data: RedeemConfirm,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile,
    i18n: I18n,
    bot: Bot,
    redeeming: RedemptionGroupCommit,
    session: AsyncSession,
) -> None:
    """Confirm: redeems once per button (its nonce names the press)."""
    reward = await pressed_reward(query, callback_data, shop, chat_profile, i18n)
    if reward is None:
        return
    press, chat_id, language = callback_data, chat_profile.program_id, i18n.current_locale
    back = InlineKeyboardMarkup(inline_keyboard=[[back_button(press.owner)]])
    tier, ladder = await member_tier(tiers, points, chat_id, press.owner)
    discount = tier.discount if tier else 0
    price = discounted(reward.price, discount)
    request = RedeemRequest(
        chat_id, press.owner, press.id, f"shop:{chat_id}:{press.owner}:{press.id}:{press.nonce}",
        ladder, chat_profile.timezone, discount, language,
    )  # fmt: skip
    await commit_so_far(session)  # the redemption is written in a shared transaction
    done = await redeeming.redeem(request)
    if isinstance(done, Refused):
        needed = required_tier(ladder, reward)
        text = refusal(done.reason, reward, price, done.balance, needed, language)
        await edit(query, text, back)
        await query.answer(text[:200])
        return
    started = done.private
    buttons = [[back_button(press.owner)]]
    if not started and reward.kind != "perk":
        me = await bot.me()
        link = f"https://t.me/{me.username}?start=r{done.redemption.id}"
        buttons.insert(0, [InlineKeyboardButton(text=_("📩 Get it privately"), url=link)])
    text = redeemed(reward, done.redemption.price, done.balance, started, done.already)
    await edit(query, text, InlineKeyboardMarkup(inline_keyboard=buttons))
    await query.answer(_("✅ Redeemed!") if not done.already else None)


async def cancel_redemption(
    query: CallbackQuery,
    callback_data: RedeemCancel,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> None:
    """Cancel: back to the catalogue's first page."""
    if await pressed_reward(query, callback_data, shop, chat_profile, i18n) is None:
        return
    owner = callback_data.owner
    text, markup = await catalogue_page(shop, tiers, points, chat_profile.program_id, owner, 0)
    await edit(query, text, markup)
    await query.answer(_("Cancelled."))


async def pressed_reward(
    query: CallbackQuery,
    press: RedeemPress,
    shop: ShopService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> Reward | None:
    """The reward a Redeem, Confirm or Cancel press is for; None once the message says it
    is gone."""
    try:
        return await shop.reward(chat_profile.program_id, press.id)
    except RewardNotFound:
        back = InlineKeyboardMarkup(inline_keyboard=[[back_button(press.owner)]])
        await edit(query, refusal("gone", None, 0, 0, None, i18n.current_locale), back)
        await query.answer()
        return None


async def campaign_coupon(
    query: CallbackQuery,
    callback_data: CampaignCoupon,
    redemptions: RedemptionService,
    campaigns: CampaignService,
    tiers: TierService,
    chat_profile: ChatProfile | None,
    i18n: I18n,
) -> None:
    """ "领券 / Get coupon" on a campaign's greeting: one per member, while the campaign runs."""
    running = await campaigns.running(chat_profile.id) if chat_profile is not None else None
    if chat_profile is None or running is None or running.id != callback_data.campaign:
        await query.answer(_("This campaign is over."))
        return
    if running.coupon_reward_id is None:
        await query.answer(_("This campaign has no coupon."))
        return
    try:
        given = await redemptions.redeem(
            chat_profile.program_id, query.from_user.id, running.coupon_reward_id,
            key=f"campaign:{running.id}:{query.from_user.id}",
            ladder=await tiers.ladder(chat_profile.program_id), timezone=chat_profile.timezone,
            source="campaign", language=i18n.current_locale, campaign_id=running.id,
        )  # fmt: skip
    except Refused:
        await query.answer(_("The coupons have all been taken, sorry."), show_alert=True)
        return
    if given.already:
        text = _("You already have this campaign's coupon: /mycoupons.")
    elif given.private:
        text = _("🎟 Your coupon is in our private chat.")
    else:
        text = _("🎟 It's yours! Start a private chat with me and send /mycoupons for the code.")
    await query.answer(text, show_alert=not given.private)


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    message = query.message
    if isinstance(message, Message):
        await message.edit_text(text, reply_markup=markup)


COMMANDS = (
    CommandSpec("shop", __("The points shop: spend points on coupons and gifts"), usage="/shop"),
)


def create_router() -> Router:
    router = Router(name="shop")
    router.message.register(open_shop, Command("shop"))
    router.callback_query.register(turn_page, ShopPage.filter(), by_the_asker)
    router.callback_query.register(show_item, ShopItem.filter(), by_the_asker)
    router.callback_query.register(ask_to_redeem, RedeemAsk.filter(), by_the_asker)
    router.callback_query.register(confirm_redemption, RedeemConfirm.filter(), by_the_asker)
    router.callback_query.register(cancel_redemption, RedeemCancel.filter(), by_the_asker)
    for button in WINDOW_BUTTONS:
        router.callback_query.register(not_the_asker, button.filter())
    router.callback_query.register(campaign_coupon, CampaignCoupon.filter())
    # Its /start r<id> and /start coupons come before the `start` router, as this one does.
    router.include_routers(shop_private.create_router(), shop_admin.create_router())
    return router
