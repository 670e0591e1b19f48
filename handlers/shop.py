"""The points shop: admins stock it (/reward, /rewards); members browse and redeem in place
(/shop: catalogue → item → confirm, one message per asker) and see what they received
(/mycoupons, privately). Codes reach a member only in their private chat: through the outbox
when they have started the bot, else through the deep link the answer offers."""

from __future__ import annotations

import secrets
from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.refusal import admins_only
from infrastructure.commands import problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.transactions import commit_so_far
from services.campaigns import CampaignService
from services.chats import ChatProfile
from services.fulfilment import FulfilmentService
from services.points import PointsService
from services.redemptions import RedeemRequest, RedemptionService, Refused, ShopDesk
from services.reward_codes import MAX_FILE_BYTES, generated_codes, read_codes
from services.reward_specs import ShopInputError, parse_changes, parse_reward
from services.shop import RewardNotFound, ShopService, discounted, member_tier, required_tier
from services.tiers import TierService
from views.shop import (
    CampaignCoupon,
    RedeemButton,
    ShopItem,
    ShopPage,
    back_button,
    catalogue,
    confirmation,
    coupons,
    delivery,
    gifts_for_admins,
    imported,
    input_problem,
    item,
    redeemed,
    refusal,
    shelf_for_admins,
)

ACTIONS = ("add", "edit", "pause", "resume", "del", "codes")


async def is_management(message: Message, command: CommandObject) -> bool:
    words = (command.args or "").split(maxsplit=1)
    return bool(words) and words[0].lower() in ACTIONS


async def manage_reward(
    message: Message,
    command: CommandObject,
    shop: ShopService,
    tiers: TierService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/reward add|edit|pause|resume|del|codes …"""
    if not chat_profile.is_group:
        await message.reply(_("The shop runs inside a group."))
        return
    action, _space, rest = (command.args or "").strip().partition(" ")
    action, rest = action.lower(), rest.strip()
    chat_id = chat_profile.id
    try:
        if action == "add":
            spec = parse_reward(rest, await tiers.ladder(chat_id))
            replied = message.reply_to_message
            image = replied.photo[-1].file_id if replied and replied.photo else None
            assert message.from_user is not None
            reward = await shop.add(chat_id, message.from_user.id, spec, image)
            reply = _("✅ Reward #{id} added: {name}.").format(id=reward.id, name=escape(spec.name))
            if spec.kind == "coupon":
                reply += "\n" + _(
                    "Add its codes: send a file with the caption /reward codes {id}, "
                    "or /reward codes {id} generate 100."
                ).format(id=reward.id)
        elif action == "edit":
            reward_id, options = reward_id_and_rest(rest)
            changes = parse_changes(options, await tiers.ladder(chat_id))
            reward = await shop.edit(chat_id, reward_id, changes)
            reply = _("✅ Reward #{id} changed.").format(id=reward.id)
        elif action in ("pause", "resume"):
            reward_id, extra = reward_id_and_rest(rest)
            if extra:
                raise ShopInputError("id")
            reward = await shop.set_paused(chat_id, reward_id, action == "pause")
            reply = (
                _("⏸ Reward #{id} is paused.")
                if action == "pause"
                else _("▶️ Reward #{id} is back.")
            ).format(id=reward.id)
        elif action == "del":
            reward_id, extra = reward_id_and_rest(rest)
            if extra:
                raise ShopInputError("id")
            reward = await shop.delete(chat_id, reward_id)
            reply = _("🗑 Reward #{id} is off the shelf; codes already issued stay valid.").format(
                id=reward.id
            )
        else:
            reply = await add_codes(message, rest, shop, chat_id, bot)
    except ShopInputError as bad:
        reply = problem_reply(input_problem(bad), "reward", action)
    except RewardNotFound as missing:
        reply = _("There is no reward #{id} here. /rewards lists them.").format(id=missing.args[0])
    await message.reply(reply)


async def add_codes(message: Message, rest: str, shop: ShopService, chat_id: int, bot: Bot) -> str:
    """`codes <id>` with a file (the message's or the one it replies to), or `codes <id>
    generate N [prefix=X]`."""
    reward_id, extra = reward_id_and_rest(rest)
    words = extra.split()
    if words and words[0].lower() == "generate":
        if len(words) not in (2, 3) or not words[1].isdigit():
            raise ShopInputError("count")
        prefix = words[2].removeprefix("prefix=") if len(words) == 3 else ""
        codes = generated_codes(int(words[1]), prefix)
        file = read_codes("\n".join(codes).encode())
    elif words:
        raise ShopInputError("file", "no file")
    else:
        document = message.document or (
            message.reply_to_message.document if message.reply_to_message else None
        )
        if document is None:
            raise ShopInputError("file", "no file")
        if (document.file_size or 0) > MAX_FILE_BYTES:
            raise ShopInputError("file", "too big")
        await shop.reward(chat_id, reward_id)  # an unknown reward before a download
        try:
            data = await bot.download(document.file_id)
        except TelegramAPIError:
            raise ShopInputError("file", "unreadable") from None
        assert data is not None
        file = read_codes(data.read())
    result = await shop.add_codes(chat_id, reward_id, file)
    reward = await shop.reward(chat_id, reward_id)
    free = (await shop.free_codes([reward_id])).get(reward_id, 0)
    return imported(result, reward, free)


def reward_id_and_rest(text: str) -> tuple[int, str]:
    first, _space, rest = text.partition(" ")
    first = first.removeprefix("#")
    if not first.isascii() or not first.isdigit() or len(first) > 12:
        raise ShopInputError("id")
    return int(first), rest.strip()


async def mark_used(
    message: Message, command: CommandObject, fulfilment: FulfilmentService
) -> None:
    """/coupon used <code>: an admin saw the coupon used (until orders mark it themselves).
    The answer never repeats the code: it is a group message."""
    words = (command.args or "").split()
    if len(words) != 2 or words[0].lower() != "used" or len(words[1]) > 64:
        await message.reply(usage_reply("coupon"))
        return
    if message.chat.type == "private":
        await message.reply(_("Mark coupons used in their group."))
        return
    outcome, redemption = await fulfilment.mark_used(message.chat.id, words[1])
    if outcome == "unknown":
        reply = _("No coupon of this group has that code.")
    elif outcome == "free":
        reply = _("That code was never handed out; it is still in the pool.")
    elif outcome == "already" and redemption is not None and redemption.used_at is not None:
        reply = _("That coupon was already marked used on {day}.").format(
            day=redemption.used_at.strftime("%Y-%m-%d")
        )
    else:
        reply = _("✅ Coupon marked used.")
    await message.reply(reply)


async def gift_note(message: Message, fulfilment: FulfilmentService, bot: Bot) -> None:
    """A private reply to the message that asked for a gift's details: its note."""
    replied = message.reply_to_message
    if message.from_user is None or replied is None or not message.text:
        return
    noted = await fulfilment.leave_note(message.from_user.id, replied.message_id, message.text)
    if noted is None:
        await message.reply(_("I wasn't waiting for that; /mycoupons lists what you redeemed."))
        return
    await message.reply(_("✅ Noted. The admins will send your gift."))


def is_private_reply_to_me(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return (
        message.chat.type == "private"
        and replied is not None
        and replied.from_user is not None
        and replied.from_user.id == bot.id
    )


async def list_gifts(
    message: Message, fulfilment: FulfilmentService, chat_profile: ChatProfile
) -> None:
    """/gifts: what members redeemed and wait for, with the details they left."""
    if not chat_profile.is_group:
        await message.reply(_("The shop runs inside a group."))
        return
    await message.reply(gifts_for_admins(await fulfilment.gifts_to_send(chat_profile.id)))


async def gift_sent(
    message: Message, command: CommandObject, fulfilment: FulfilmentService
) -> None:
    """/gift sent <number>: the gift went out; its member is told privately."""
    words = (command.args or "").split()
    if len(words) != 2 or words[0].lower() != "sent" or not words[1].lstrip("#").isdigit():
        await message.reply(usage_reply("gift"))
        return
    done = await fulfilment.gift_sent(message.chat.id, int(words[1].lstrip("#")))
    if done is None:
        await message.reply(_("No gift #{id} waits to be sent here. /gifts lists them.").format(
            id=words[1].lstrip("#")[:12]))  # fmt: skip
        return
    await message.reply(_("📦 Gift #{id} marked sent.").format(id=done.id))


async def reward_usage(message: Message) -> None:
    await message.reply(usage_reply("reward"))


async def list_rewards(message: Message, shop: ShopService, chat_profile: ChatProfile) -> None:
    rewards = await shop.shelf(chat_profile.id, with_paused=True)
    free = await shop.free_codes([reward.id for reward in rewards])
    await message.reply(shelf_for_admins(rewards, free))


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
    text, markup = await catalogue_page(shop, tiers, points, chat_profile.id, owner, 0)
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
    return catalogue(rewards, free, owner, page, tier.discount if tier else 0)


async def turn_page(
    query: CallbackQuery,
    callback_data: ShopPage,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile | None,
) -> None:
    if not await is_owner(query, callback_data.owner, chat_profile) or chat_profile is None:
        return
    text, markup = await catalogue_page(
        shop, tiers, points, chat_profile.id, callback_data.owner, callback_data.page
    )
    await edit(query, text, markup)
    await query.answer()


async def show_item(
    query: CallbackQuery,
    callback_data: ShopItem,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile | None,
    i18n: I18n,
) -> None:
    if not await is_owner(query, callback_data.owner, chat_profile) or chat_profile is None:
        return
    try:
        reward = await shop.reward(chat_profile.id, callback_data.id)
    except RewardNotFound:
        await query.answer(refusal("gone", None, 0, 0, None, i18n.current_locale), show_alert=True)
        return
    tier, ladder = await member_tier(tiers, points, chat_profile.id, query.from_user.id)
    needed = required_tier(ladder, reward)
    free = (await shop.free_codes([reward.id])).get(reward.id, 0)
    text, markup = item(
        reward, free, tier.discount if tier else 0, needed, query.from_user.id,
        secrets.token_hex(4), i18n.current_locale,
    )  # fmt: skip
    await edit(query, text, markup)
    await query.answer()


async def redeem_button(
    query: CallbackQuery,
    callback_data: RedeemButton,
    shop: ShopService,
    tiers: TierService,
    points: PointsService,
    chat_profile: ChatProfile | None,
    i18n: I18n,
    bot: Bot,
    shop_desk: ShopDesk,
    session: AsyncSession,
) -> None:
    """Redeem (ask), then Confirm or Cancel: the confirmation redeems once per button."""
    if not await is_owner(query, callback_data.owner, chat_profile) or chat_profile is None:
        return
    press, chat_id, language = callback_data, chat_profile.id, i18n.current_locale
    back = InlineKeyboardMarkup(inline_keyboard=[[back_button(press.owner)]])
    tier, ladder = await member_tier(tiers, points, chat_id, press.owner)
    discount = tier.discount if tier else 0
    try:
        reward = await shop.reward(chat_id, press.id)
    except RewardNotFound:
        await edit(query, refusal("gone", None, 0, 0, None, language), back)
        await query.answer()
        return
    price = discounted(reward.price, discount)
    if press.step == "ask":
        await edit(query, *confirmation(reward, price, press))
        await query.answer()
        return
    if press.step != "confirm":
        text, markup = await catalogue_page(shop, tiers, points, chat_id, press.owner, 0)
        await edit(query, text, markup)
        await query.answer(_("Cancelled."))
        return
    request = RedeemRequest(
        chat_id, press.owner, press.id, f"shop:{chat_id}:{press.owner}:{press.id}:{press.nonce}",
        ladder, chat_profile.timezone, discount, language,
    )  # fmt: skip
    await commit_so_far(session)  # the redemption is written in a shared transaction
    done = await shop_desk.redeem(request)
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
            chat_profile.id, query.from_user.id, running.coupon_reward_id,
            key=f"campaign:{running.id}:{query.from_user.id}",
            ladder=await tiers.ladder(chat_profile.id), timezone=chat_profile.timezone,
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


async def is_owner(query: CallbackQuery, owner: int, chat_profile: ChatProfile | None) -> bool:
    """Only the asker navigates their /shop message; a forged or stale press is told so."""
    if chat_profile is None or not chat_profile.is_group:
        await query.answer(_("This shop button is not from a group."))
        return False
    if query.from_user.id != owner:
        await query.answer(_("This is someone else's shop window: send /shop for your own."))
        return False
    return True


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    message = query.message
    if isinstance(message, Message):
        await message.edit_text(text, reply_markup=markup)


async def delivery_by_link(
    message: Message, command: CommandObject, shop: ShopService, fulfilment: FulfilmentService
) -> None:
    """`/start r<id>`: the member opened the link their redemption's answer gave."""
    assert message.from_user is not None
    assert command.args is not None
    found = await shop.redemption_of(message.from_user.id, int(command.args[1:]))
    if found is None:
        await message.answer(_("That link is old or not one I know."))
        return
    redemption, reward, code = found
    group = await shop.group_of(reward.chat_id)
    sent = await message.answer(delivery(reward, redemption, code, *group))
    if reward.kind == "gift":  # a reply to this is the gift's note
        await fulfilment.asked_for_note(redemption.id, sent.message_id)


async def my_coupons(message: Message, shop: ShopService, bot: Bot) -> None:
    """/mycoupons: privately, everything redeemed in every group; in a group, a link there."""
    if message.from_user is None:
        return
    if message.chat.type == "private":
        received = await shop.received(None, message.from_user.id)
        await message.answer(coupons(received, shop.clock.now()))
        return
    me = await bot.me()
    button = InlineKeyboardButton(
        text=_("📩 Open my coupons"), url=f"https://t.me/{me.username}?start=coupons"
    )
    await message.reply(
        _("Your codes are private: I'll show them in our chat."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


async def coupons_by_link(message: Message, shop: ShopService) -> None:
    assert message.from_user is not None
    received = await shop.received(None, message.from_user.id)
    await message.answer(coupons(received, shop.clock.now()))


def create_note_router() -> Router:
    """A gift's note: a plain private reply, so outside the commands router."""
    router = Router(name="gift_notes")
    router.message.register(gift_note, is_private_reply_to_me)
    return router


def create_router() -> Router:
    router = Router(name="shop")
    router.message.register(
        delivery_by_link, CommandStart(deep_link=True, magic=F.args.regexp(r"^r\d{1,12}$"))
    )
    router.message.register(
        coupons_by_link, CommandStart(deep_link=True, magic=F.args == "coupons")
    )
    router.message.register(manage_reward, Command("reward"), is_management, IsAdmin(), flags=ONCE)
    router.message.register(admins_only, Command("reward"), is_management)
    router.message.register(reward_usage, Command("reward"), IsAdmin())
    router.message.register(list_rewards, Command("rewards"), IsAdmin())
    router.message.register(mark_used, Command("coupon"), IsAdmin(), flags=ONCE)
    router.message.register(list_gifts, Command("gifts"), IsAdmin())
    router.message.register(gift_sent, Command("gift"), IsAdmin(), flags=ONCE)
    router.message.register(open_shop, Command("shop"))
    router.message.register(my_coupons, Command("mycoupons"))
    router.callback_query.register(turn_page, ShopPage.filter())
    router.callback_query.register(show_item, ShopItem.filter())
    router.callback_query.register(redeem_button, RedeemButton.filter())
    router.callback_query.register(campaign_coupon, CampaignCoupon.filter())
    return router
