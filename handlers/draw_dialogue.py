"""`/draw` without arguments: a short dialogue (prize, winners, end) with buttons.

The prize is asked with a forced reply, so the answer reaches the bot in groups where it only
sees commands and replies to itself. The answer handler sits outside the command routers; its
first filter (a reply to the bot) is cheap, so ordinary chatter never reads the dialogue state.
"""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from infrastructure.replies import replied_message
from infrastructure.transactions import after_commit
from scheduler.core import Scheduler
from services.chats import ChatProfile
from services.draw_specs import MAX_PRIZE, DrawSpec
from services.draws import DrawService
from views.keyboards import Button
from views.wording import duration

WINNERS = (1, 3, 5, 10)
LENGTHS = {"30m": timedelta(minutes=30), "2h": timedelta(hours=2), "24h": timedelta(hours=24),
           "3d": timedelta(days=3)}  # fmt: skip


class NewDraw(StatesGroup):
    prize = State()
    winners = State()
    ends = State()


class DialogueButton(Button, prefix="newdraw"):
    choice: str  # "w<winners>", "e<length>" or "cancel"


def choices(options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton(text=label, callback_data=DialogueButton(choice=value).pack())
           for label, value in options]  # fmt: skip
    cancel = InlineKeyboardButton(
        text=_("Cancel"), callback_data=DialogueButton(choice="cancel").pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[row, [cancel]])


async def start_dialogue(message: Message, state: FSMContext, chat_profile: ChatProfile) -> None:
    """/draw alone, from an admin: ask for the prize."""
    if not chat_profile.is_group:
        await message.reply(_("Draws run inside a group."))
        return
    await state.set_state(NewDraw.prize)
    await message.reply(
        _("🎁 New draw. What's the prize? Reply to this message with it."),
        reply_markup=ForceReply(selective=True, input_field_placeholder=_("Hoodie size M")),
    )


async def is_reply_to_bot(message: Message, bot: Bot) -> bool:
    replied = replied_message(message)
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot.id


async def got_prize(message: Message, state: FSMContext) -> None:
    prize = " ".join((message.text or "").split())
    if not prize or len(prize) > MAX_PRIZE:
        await message.reply(
            _("Give the prize first, at most 200 characters."),
            reply_markup=ForceReply(selective=True),
        )
        return
    await state.update_data(prize=prize)
    await state.set_state(NewDraw.winners)
    await message.reply(
        _("How many winners?"), reply_markup=choices([(str(n), f"w{n}") for n in WINNERS])
    )


async def got_winners(
    query: CallbackQuery, callback_data: DialogueButton, state: FSMContext
) -> None:
    await state.update_data(winners=int(callback_data.choice.removeprefix("w")))
    await state.set_state(NewDraw.ends)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("When does it end?"),
            reply_markup=choices(
                [
                    (duration(int(length.total_seconds())), f"e{key}")
                    for key, length in LENGTHS.items()
                ]
            ),
        )
    await query.answer()


async def got_end(
    query: CallbackQuery,
    callback_data: DialogueButton,
    state: FSMContext,
    draws: DrawService,
    scheduler: Scheduler,
    chat_profile: ChatProfile,
) -> None:
    data = await state.get_data()
    await state.clear()
    length = LENGTHS[callback_data.choice.removeprefix("e")]
    spec = DrawSpec(data["prize"], data["winners"], draws.clock.now() + length)
    draw = await draws.create(chat_profile.id, query.from_user.id, spec)  # posted by the outbox
    after_commit(draws.session, scheduler.reload_soon)  # plans its end
    if isinstance(query.message, Message):
        await query.message.edit_text(_("✅ Draw #{id} is open.").format(id=draw.id))
    await query.answer()


async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Cancelled: no draw was opened."))
    await query.answer()


async def not_yours(query: CallbackQuery) -> None:
    """A button of someone else's dialogue, or of one that is over."""
    await query.answer(_("This isn't your draw dialogue (or it is over)."))


def create_router() -> Router:
    router = Router(name="draw_dialogue")
    router.message.register(got_prize, is_reply_to_bot, NewDraw.prize)
    router.callback_query.register(
        cancel, DialogueButton.filter(F.choice == "cancel"), NewDraw.winners
    )
    router.callback_query.register(
        cancel, DialogueButton.filter(F.choice == "cancel"), NewDraw.ends
    )
    router.callback_query.register(
        got_winners, DialogueButton.filter(F.choice.startswith("w")), NewDraw.winners
    )
    router.callback_query.register(
        got_end,
        DialogueButton.filter(F.choice.in_({f"e{length}" for length in LENGTHS})),
        NewDraw.ends,
    )
    router.callback_query.register(not_yours, DialogueButton.filter())
    return router
