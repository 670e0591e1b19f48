"""Group buys (拼团): admins open and end them; members join with the post's button."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.sender_only import answer_press, for_sender
from services.chats import ChatProfile
from services.group_buy_specs import GroupBuyInputError, parse_group_buy
from services.group_buys import GroupBuyClosed, GroupBuyNotFound, GroupBuyService
from services.shop import RewardNotFound, ShopService
from views.group_buys import GroupBuyButton, group_buy_problem, joining_toast


async def open_group_buy(
    message: Message,
    command: CommandObject,
    group_buys: GroupBuyService,
    shop: ShopService,
    chat_profile: ChatProfile,
) -> None:
    """/groupbuy <item> <tiers like 2:99,5:89> ends=… [pool=<reward id>]"""
    if not chat_profile.is_group:
        await message.reply(_("拼团 runs inside a group."))
        return
    try:
        spec = parse_group_buy(command.args or "", group_buys.clock.now(), chat_profile.timezone)
        if spec.reward_id is not None:
            await shop.reward(chat_profile.program_id, spec.reward_id)
    except GroupBuyInputError as error:
        await message.reply(problem_reply(group_buy_problem(str(error)), "groupbuy"))
        return
    except RewardNotFound:
        await message.reply(problem_reply(group_buy_problem("pool"), "groupbuy"))
        return
    admin = message.from_user.id if message.from_user else 0
    await group_buys.create(chat_profile.id, chat_profile.program_id, admin, spec)  # posted


async def end_group_buy(
    message: Message, command: CommandObject, group_buys: GroupBuyService, chat_profile: ChatProfile
) -> None:
    """/groupbuy end <id>: close it now (the post and the private results are the answer)."""
    words = (command.args or "").split()
    if len(words) != 2 or not words[1].isdigit():
        await message.reply(for_sender(usage_reply("groupbuy")))
        return
    try:
        await group_buys.end(chat_profile.id, int(words[1]))
    except GroupBuyNotFound:
        text = _("There is no 拼团 #{id} in this group.").format(id=words[1])
        await message.reply(for_sender(text))
    except GroupBuyClosed:
        await message.reply(for_sender(_("拼团 #{id} has already ended.").format(id=words[1])))


async def press(
    query: CallbackQuery,
    callback_data: GroupBuyButton,
    group_buys: GroupBuyService,
    chat_profile: ChatProfile | None,
    bot: Bot,
) -> None:
    if chat_profile is None:
        await query.answer(_("This button no longer works."))
        return
    outcome = await group_buys.press(
        chat_profile.id, callback_data.id, query.from_user.id, bool(callback_data.join)
    )
    await answer_press(query, bot, chat_profile, joining_toast(outcome))


async def is_end(message: Message, command: CommandObject) -> bool:
    words = (command.args or "").split()
    return bool(words) and words[0].lower() == "end"


COMMANDS = (
    CommandSpec(
        "groupbuy",
        __("拼团: the more join, the lower the price"),
        usage=__("/groupbuy <item> <2:99,5:89> ends=24h [pool=<reward id>] · /groupbuy end <id>"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="group_buys")
    router.message.register(end_group_buy, Command("groupbuy"), is_end, IsAdmin(), flags=ONCE)
    router.message.register(open_group_buy, Command("groupbuy"), IsAdmin(), flags=ONCE)
    router.callback_query.register(press, GroupBuyButton.filter())
    return router
