"""Guess the price (猜价格): an admin sends `/guess <price> <title>` as the caption of an
item's photo (or in reply to it); the bot posts the photo and deletes the admin's message,
which shows the price. Members answer `/guess <price>`, an ephemeral command only the bot
sees (one that comes as a plain message is deleted); `/guess end` (or the round's time)
reveals the price, the winner and every guess."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.games import may_play
from handlers.refusal import admins_only
from infrastructure.admins import AdminCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.middlewares.commands import ONCE
from infrastructure.sender_only import for_sender
from infrastructure.transactions import commit_so_far
from services.chats import ChatProfile
from services.game_rules import GameRules
from services.guess import GuessClosed, GuessService
from services.order_files import amount_in_fen
from views import games as view


async def guess_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    guess: GuessService,
    chat_profile: ChatProfile,
    admin_cache: AdminCache,
    bot: Bot,
) -> None:
    """/guess <price> (a member's guess) · /guess <price> <title> · /guess end (admins)"""
    words = (command.args or "").split()
    if not words:
        await message.reply(usage_reply("guess"))
        return
    admin = await admin_cache.is_admin(bot, message.chat, message.from_user, message)
    if words == ["end"] or len(words) > 1:
        if not admin:
            await admins_only(message)
        elif words == ["end"]:
            await end_round(message, session, guess, chat_profile, bot)
        else:
            await start_round(message, words, session, guess, chat_profile, bot)
        return
    fen = amount_in_fen(words[0])
    if fen is None:
        await message.reply(problem_reply(view.guess_price_problem_text(), "guess"))
        return
    round_ = await guess.open_in(chat_profile.id)
    if round_ is None:
        await message.reply(for_sender(view.no_open_guess_text()))
    elif not chat_profile.rules(GameRules).plays("guess"):
        await message.reply(for_sender(view.game_off_text("guess")))
    elif admin or message.from_user is None:
        await message.reply(for_sender(view.admins_dont_play_text()))
    else:
        try:
            earlier = await guess.guess(round_.id, message.from_user.id, fen)
        except GuessClosed:
            text = view.no_open_guess_text()
        else:
            text = view.guess_kept_text(fen) if earlier is None else view.guess_again_text(earlier)
        await message.reply(for_sender(text))
    await hide(message, bot)


async def start_round(
    message: Message,
    words: list[str],
    session: AsyncSession,
    guess: GuessService,
    profile: ChatProfile,
    bot: Bot,
) -> None:
    fen = amount_in_fen(words[0])
    if fen is None or fen == 0:
        await message.reply(problem_reply(view.guess_price_problem_text(), "guess"))
        await hide(message, bot)
        return
    holder = message if message.photo else message.reply_to_message
    if holder is None or not holder.photo:
        await message.reply(problem_reply(view.guess_needs_photo_text(), "guess"))
        await hide(message, bot)
        return
    if not await may_play(message, profile, "guess", guess.clock.now()):
        await hide(message, bot)
        return
    if await guess.open_in(profile.id) is not None:
        await message.reply(for_sender(view.guess_open_already_text()))
        await hide(message, bot)
        return
    if not await hide(message, bot, starting=True):  # first: the command shows the price
        return  # still shown: no round on a price everyone can read
    rules = profile.rules(GameRules)
    round_ = await guess.start(
        profile.id, profile.program_id, profile.timezone, rules,
        started_by=message.from_user.id if message.from_user else None,
        title=" ".join(words[1:]), price=fen, photo=holder.photo[-1].file_id,
    )  # fmt: skip
    closes = round_.closes_at.astimezone(ZoneInfo(profile.timezone)).strftime("%H:%M")
    await commit_so_far(session)
    caption = view.guess_caption(round_.title, rules.guess_points, closes)
    sent = await bot.send_photo(profile.id, holder.photo[-1].file_id, caption=caption)
    await guess.placed(round_.id, sent.message_id)


async def end_round(
    message: Message, session: AsyncSession, guess: GuessService, profile: ChatProfile, bot: Bot
) -> None:
    round_ = await guess.open_in(profile.id)
    result = await guess.close(round_.id) if round_ is not None else None
    if result is None:
        await message.reply(for_sender(view.no_open_guess_text()))
        return
    await message.reply(
        view.guess_result_text(
            result.title, result.price, result.winner, result.points, result.guesses
        )
    )


async def hide(message: Message, bot: Bot, *, starting: bool = False) -> bool:
    """Delete a command that shows a price (unless it came as an ephemeral command, which
    only the bot saw): whether it is hidden; if not, the sender is told to delete it (and,
    `starting` a round, that the round waits for that)."""
    if message.ephemeral_message_id is not None or not message.message_id:
        return True
    try:
        await bot.delete_message(message.chat.id, message.message_id)
    except TelegramAPIError:
        text = view.guess_not_started_text() if starting else view.guess_not_deleted_text()
        await bot.send_message(message.chat.id, for_sender(text))
        return False
    return True


COMMANDS = (
    CommandSpec(
        "guess",
        __("Guess the price (猜价格): only you see your guess"),
        usage=__("/guess <price> · /guess <price> <title> (on a photo) · /guess end (admins)"),
        ephemeral=True,
    ),
)


def create_router() -> Router:
    router = Router(name="guess")
    router.message.register(guess_command, Command("guess"), flags=ONCE)
    return router
