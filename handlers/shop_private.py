"""What a member redeemed, in their private chat: the code behind the deep link a redemption's
answer offers (/start r<id>), /mycoupons, and the details they leave for a gift by replying to
the message that asked for them."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec
from infrastructure.sender_only import for_sender
from services.fulfilment import FulfilmentService
from services.shop import ShopService
from views.shop import coupons, delivery


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
        for_sender(_("Your codes are private: I'll show them in our chat.")),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


async def coupons_by_link(message: Message, shop: ShopService) -> None:
    assert message.from_user is not None
    received = await shop.received(None, message.from_user.id)
    await message.answer(coupons(received, shop.clock.now()))


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


def create_note_router() -> Router:
    """A gift's note: a plain private reply, so outside the commands router."""
    router = Router(name="gift_notes")
    router.message.register(gift_note, is_private_reply_to_me)
    return router


COMMANDS = (
    CommandSpec(
        "mycoupons",
        __("What you have redeemed, with your codes (privately)"),
        usage="/mycoupons",
        ephemeral=True,
    ),
)


def create_router() -> Router:
    router = Router(name="shop_private")
    router.message.register(
        delivery_by_link, CommandStart(deep_link=True, magic=F.args.regexp(r"^r\d{1,12}$"))
    )
    router.message.register(
        coupons_by_link, CommandStart(deep_link=True, magic=F.args == "coupons")
    )
    router.message.register(my_coupons, Command("mycoupons"))
    return router
