"""/me and /top: where a member stands, and who leads the chat in a period."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.replies import replied_sender
from infrastructure.sender_only import for_sender
from services.chats import ChatProfile
from services.member_card import MemberCardService
from services.message_tally import MessageTally
from services.points import PointsService
from services.standings import Period
from views.keyboards import Button
from views.member_card import card_text
from views.numbers import MEDALS, number

PAGE_SIZE = 10
MAX_PAGES = 10  # the top 100
PERIOD_NAMES = {
    Period.TODAY: __("Today"), Period.WEEK: __("This week"),
    Period.MONTH: __("This month"), Period.ALL: __("All time"),
}  # fmt: skip
PERIOD_WORDS = {
    "today": Period.TODAY, "今天": Period.TODAY, "今日": Period.TODAY,
    "week": Period.WEEK, "本周": Period.WEEK, "month": Period.MONTH, "本月": Period.MONTH,
    "all": Period.ALL, "全部": Period.ALL, "总": Period.ALL,
}  # fmt: skip


class TopPage(Button, prefix="top"):
    period: Period
    page: int
    owner: int  # who asked: the list shows their position, so only they turn its pages


async def me(
    message: Message,
    chat_profile: ChatProfile,
    member_cards: MemberCardService,
    tally: MessageTally,
    i18n: I18n,
) -> None:
    """/me, or /me in reply to someone: their card in the group (a private /me is
    `handlers/private.py`'s)."""
    replied = replied_sender(message)
    user = replied or message.from_user
    if user is None:
        return
    if user.is_bot:
        await message.reply(for_sender(_("Bots don't collect points.")))
        return
    card = await member_cards.card(chat_profile, user.id, tally)
    await message.reply(for_sender(card_text(card, user.full_name, i18n.current_locale)))


async def top(
    message: Message, command: CommandObject, points: PointsService, chat_profile: ChatProfile
) -> None:
    """/top [today|week|month|all]"""
    word = (command.args or "all").strip().lower()
    period = PERIOD_WORDS.get(word)
    if period is None or message.from_user is None:
        await message.reply(usage_reply("top"))
        return
    text, keyboard, _empty = await render_top(points, chat_profile, period, 0, message.from_user)
    await message.reply(text, reply_markup=keyboard)


async def turn_page(
    query: CallbackQuery,
    callback_data: TopPage,
    points: PointsService,
    chat_profile: ChatProfile,
) -> None:
    """A paging or period button under a /top list."""
    if query.from_user.id != callback_data.owner:
        await query.answer(_("Send /top to see your own list."))
        return
    if not 0 <= callback_data.page < MAX_PAGES or not isinstance(query.message, Message):
        await query.answer(_("This button is out of date."))
        return
    text, keyboard, empty = await render_top(
        points, chat_profile, callback_data.period, callback_data.page, query.from_user
    )
    if empty and callback_data.page > 0:
        await query.answer(_("No more members on that page."))
        return
    await query.answer()
    await query.message.edit_text(text, reply_markup=keyboard)  # "not modified" is harmless


async def is_top_button(query: CallbackQuery) -> bool:
    # Not `F.data.startswith(...)`: aiogram runs a magic filter in a thread, a hop for every
    # button press that passes this router.
    return (query.data or "").startswith("top:")


async def stale_button(query: CallbackQuery) -> None:
    """A /top button whose data no longer parses (an old version, or forged)."""
    await query.answer(_("This button is out of date."))


async def render_top(
    points: PointsService, profile: ChatProfile, period: Period, page: int, user: User
) -> tuple[str, InlineKeyboardMarkup, bool]:
    """The list's text and buttons, and whether the page is empty."""
    offset = page * PAGE_SIZE
    rows = await points.top(
        profile.id, profile.timezone, period, offset=offset, limit=PAGE_SIZE + 1
    )
    has_next = len(rows) > PAGE_SIZE and page + 1 < MAX_PAGES
    lines = [_("🏆 <b>Top members · {period}</b>").format(period=PERIOD_NAMES[period])]
    if not rows:
        lines.append(_("Nobody has earned points yet."))
    for place, row in enumerate(rows[:PAGE_SIZE], start=offset + 1):
        badge = MEDALS[place - 1] if place <= len(MEDALS) else f"{place}."
        lines.append(f"{badge} {escape(row.name or str(row.user_id))} — {number(row.points)}")
    mine = await points.position(profile.id, profile.timezone, period, user.id)
    lines.append("")
    lines.append(
        ngettext("You: #{rank} · {points} point", "You: #{rank} · {points} points", mine[1]).format(
            rank=mine[0], points=number(mine[1])
        )
        if mine
        else _("You haven't earned points in this period yet.")
    )
    return "\n".join(lines), top_keyboard(period, page, has_next, user.id), not rows


def top_keyboard(period: Period, page: int, has_next: bool, owner: int) -> InlineKeyboardMarkup:
    def button(text: str, to_period: Period, to_page: int) -> InlineKeyboardButton:
        data = TopPage(period=to_period, page=to_page, owner=owner).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    paging = []
    if page > 0:
        paging.append(button("◀", period, page - 1))
    if has_next:
        paging.append(button("▶", period, page + 1))
    periods = [
        button(f"• {PERIOD_NAMES[each]} •" if each is period else str(PERIOD_NAMES[each]), each, 0)
        for each in Period
    ]
    return InlineKeyboardMarkup(inline_keyboard=[paging, periods] if paging else [periods])


ME = CommandSpec("me", __("Your points, VIP tier, rank and streak"), usage="/me", ephemeral=True)

TOP = CommandSpec(
    "top",
    __("Top members by points earned"),
    usage="/top [today|week|month|all]",
)


def create_router() -> Router:
    router = Router(name="standing")
    router.message.register(me, Command("me"))
    router.message.register(top, Command("top"))
    router.callback_query.register(turn_page, TopPage.filter())
    router.callback_query.register(stale_button, is_top_button)
    return router
