"""A private chat is not a group. Sent privately, /me and /points answer for one of the
member's groups (the only one, or the one picked); a sign-in says it happens in the group;
every other group command says it works in a group. Nothing here earns or records anything.

First in the commands table: the group features after it never see these commands privately,
so none of them can treat a private chat as a group of one.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n

from handlers.points import parse, render_balance
from infrastructure.commands import listed_commands, usage_reply
from infrastructure.config import Settings
from infrastructure.filters import is_private
from services.chats import ChatService
from services.member_card import MemberCardService
from services.message_tally import MessageTally
from services.orders import OrderService
from services.points import PointsService
from views.member_card import card_text, history_text
from views.miniapp import mini_app_invitation, mini_app_keyboard
from views.private import (
    Asked,
    GroupChoice,
    for_group,
    group_keyboard,
    in_the_group,
    no_group_yet,
    not_in_that_group,
    pick_a_group,
    sign_in_in_the_group,
)

# Commands with a meaning of their own in a private chat (their routers answer them there).
# /unbind is not one: a binding belongs to a group, so it is unbound there.
PRIVATE_MEANINGS = frozenset(
    {"start", "help", "console", "bind", "unsubscribe", "subscribe", "mycoupons", "shop"}
    | {"mydata", "forgetme"}  # a member's rights: handlers/member_rights.py
    | {"commission"}  # a distributor's: handlers/distributors.py
    | {"tickets", "checkin_event"}  # events: handlers/events.py
    | {"paysupport"}  # payments in Stars arrive privately: handlers/vip_membership.py
)
PICKED = ("me", "points")  # answered here for one of the member's groups


def group_only() -> list[str]:
    return [
        spec.name
        for spec in listed_commands()
        if spec.name not in PRIVATE_MEANINGS and spec.name not in (*PICKED, "checkin")
    ]


async def in_a_group(message: Message, command: CommandObject) -> None:
    await message.reply(in_the_group(command.command.lower()))


async def sign_in_elsewhere(message: Message) -> None:
    """/checkin privately, any form (the keywords are `handlers/checkin.py`'s)."""
    await message.reply(sign_in_in_the_group())


async def my_groups(
    message: Message,
    command: CommandObject,
    orders: OrderService,
    chats: ChatService,
    points: PointsService,
    member_cards: MemberCardService,
    tally: MessageTally,
    settings: Settings,
    i18n: I18n,
) -> None:
    """/me, /points, /points history privately: for the member's one group, else a picker."""
    user = message.from_user
    if user is None:
        return
    asked: Asked
    if command.command.lower() == "me":
        if settings.mini_app_url is not None:  # the card shows every group at once
            keyboard = mini_app_keyboard(settings.mini_app_url)
            await message.answer(mini_app_invitation(), reply_markup=keyboard)
            return
        asked = "me"
    else:
        request = parse(command.args)
        if request is None or request.kind == "adjust" or request.target is not None:
            await message.reply(in_the_group("points") if request else usage_reply("points"))
            return
        asked = request.kind
    groups = await orders.programs_of(user.id)
    if not groups:
        await message.reply(no_group_yet())
    elif len(groups) > 1:
        await message.reply(pick_a_group(len(groups)), reply_markup=group_keyboard(asked, groups))
    else:
        (chat_id, _title), = groups  # fmt: skip
        text = await answer_for(
            asked, chat_id, user, chats, points, member_cards, tally, i18n.current_locale
        )
        await message.reply(text or not_in_that_group())


async def group_picked(
    query: CallbackQuery,
    callback_data: GroupChoice,
    orders: OrderService,
    chats: ChatService,
    points: PointsService,
    member_cards: MemberCardService,
    tally: MessageTally,
    i18n: I18n,
) -> None:
    """A group picked under a private /me or /points: answered for it if the presser is (still)
    a member there; the picker stays, to pick another."""
    member_of = {chat_id for chat_id, _title in await orders.programs_of(query.from_user.id)}
    if callback_data.chat not in member_of or not isinstance(query.message, Message):
        await query.answer(not_in_that_group())
        return
    text = await answer_for(
        callback_data.asked, callback_data.chat, query.from_user, chats, points, member_cards,
        tally, i18n.current_locale,
    )  # fmt: skip
    await query.answer()
    await query.message.answer(text or not_in_that_group())


async def answer_for(
    asked: Asked,
    chat_id: int,
    user: User,
    chats: ChatService,
    points: PointsService,
    member_cards: MemberCardService,
    tally: MessageTally,
    language: str,
) -> str | None:
    """What the command says of the group, headed by its title; None if it is not known."""
    profile = await chats.profile(chat_id)
    if profile is None or not profile.is_group:
        return None
    if asked == "me":
        card = await member_cards.card(profile, user.id, tally)
        text = card_text(card, user.full_name, language)
    elif asked == "history":
        history = await points.history(profile.id, user.id)
        text = history_text(user.full_name, history, profile.timezone)
    else:
        text = await render_balance(points, profile.id, user.id)
    return for_group(profile.title, text)


def create_router() -> Router:
    router = Router(name="private")
    router.message.register(in_a_group, Command(*group_only()), is_private)
    router.message.register(sign_in_elsewhere, Command("checkin"), is_private)
    router.message.register(my_groups, Command(*PICKED), is_private)
    router.callback_query.register(group_picked, GroupChoice.filter(), is_private)
    return router
