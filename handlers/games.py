"""Games (互动游戏): `/dice <stake>` against a member (a reply names them; otherwise anyone
may accept) or `bot`; `/quiz` posts a quiz poll now, `/quiz end` closes it, `/quiz import`
adds questions from a CSV, `/quiz top` is the week's league; a member's poll answer pays the
first correct ones. Every game respects the group's quiet hours and pays admins nothing;
`/settings games` turns each on or off."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, PollAnswer, ReplyParameters
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.member_import import downloaded
from handlers.refusal import admins_only
from infrastructure.admins import AdminCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.replies import replied_message
from infrastructure.sender_only import for_sender
from infrastructure.settings_sections import SettingsSection
from infrastructure.transactions import commit_so_far
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.dice import DiceRefused, DiceService
from services.game_rules import (
    GAMES,
    GameRules,
    set_game_number,
    set_game_numbers,
    set_game_on,
    set_quiz_time,
)
from services.quiz import QuizFileError, QuizOpen, QuizService
from views import games as view
from views.settings import out_of_range
from workflows.games import duel_names, post_quiz, quiet_hours, throw_dice


def whole(word: str) -> bool:
    """A whole number in ASCII digits ("²" and "١٠" are digits int() refuses or misreads)."""
    return word.isascii() and word.isdecimal()


async def may_play(message: Message, profile: ChatProfile, game: str, now: datetime) -> bool:
    """Whether the game runs here now; else the sender was told why."""
    rules = profile.rules(GameRules)
    if not rules.plays(game):
        await message.reply(for_sender(view.game_off_text(game)))
        return False
    quiet = quiet_hours(profile, now)
    if quiet is not None:
        await message.reply(for_sender(view.quiet_hours_text(*quiet)))
        return False
    return True


async def dice_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    dice: DiceService,
    chat_profile: ChatProfile,
    admin_cache: AdminCache,
    bot: Bot,
) -> None:
    """/dice <stake> (as a reply: against that member) · /dice <stake> bot"""
    words = (command.args or "").lower().split()
    if not words or not whole(words[0]) or int(words[0]) < 1 or words[1:] not in ([], ["bot"]):
        await message.reply(usage_reply("dice"))
        return
    if not await may_play(message, chat_profile, "dice", dice.clock.now()):
        return
    sender = message.from_user
    if sender is None or await admin_cache.is_admin(bot, message.chat, sender, message):
        await message.reply(for_sender(view.admins_dont_play_text()))
        return
    replied = replied_message(message)
    opponent = replied.from_user if replied is not None and not words[1:] else None
    if opponent is not None and (opponent.is_bot or opponent.id == sender.id):
        opponent = None
    if opponent is not None and await admin_cache.is_admin(bot, message.chat, opponent, None):
        await message.reply(problem_reply(view.dice_refused_text("admin", 0), "dice"))
        return
    stake, vs_bot = int(words[0]), words[1:] == ["bot"]
    rules = chat_profile.rules(GameRules)
    try:
        duel = await dice.challenge(
            chat_profile.id, chat_profile.program_id, chat_profile.timezone, rules, sender.id,
            stake, opponent=opponent.id if opponent else None, vs_bot=vs_bot,
        )  # fmt: skip
    except DiceRefused as refused:
        await message.reply(
            problem_reply(view.dice_refused_text(refused.reason, refused.limit), "dice")
        )
        return
    if vs_bot:
        settled = await throw_dice(bot, session, dice, duel)
        if settled is not None:
            names = await duel_names(session, settled)
            await message.reply(view.duel_result_text(settled, names))
        else:
            await message.reply(for_sender(view.duel_dice_refused_text()))
        return
    sent = await message.reply(
        view.challenge_text(sender.full_name, stake, opponent.full_name if opponent else None),
        reply_markup=view.challenge_keyboard(duel.id),
    )
    await dice.placed(duel.id, sent.message_id)


async def dice_pressed(
    query: CallbackQuery,
    callback_data: view.DiceButton,
    session: AsyncSession,
    dice: DiceService,
    chat_profile: ChatProfile,
    admin_cache: AdminCache,
    bot: Bot,
) -> None:
    """ "Accept" under a challenge: the presser's stake is held and the dice are thrown."""
    rules = chat_profile.rules(GameRules)
    if not rules.dice:
        await query.answer(view.game_off_text("dice"))
        return
    quiet = quiet_hours(chat_profile, dice.clock.now())
    if quiet is not None:
        await query.answer(view.quiet_hours_text(*quiet))
        return
    if await admin_cache.is_admin(bot, query.message.chat, query.from_user, None):  # type: ignore[union-attr]
        await query.answer(view.admins_dont_play_text())
        return
    try:
        duel = await dice.accept(
            callback_data.duel, chat_profile.id, chat_profile.program_id, chat_profile.timezone,
            rules, query.from_user.id,
        )  # fmt: skip
    except DiceRefused as refused:
        await query.answer(view.dice_refused_text(refused.reason, refused.limit))
        return
    await query.answer(view.duel_accepted_text())
    await commit_so_far(session)
    if query.message is not None:
        with suppress(TelegramAPIError):  # the button goes: the duel is taken
            await bot.edit_message_reply_markup(
                chat_id=chat_profile.id, message_id=query.message.message_id, reply_markup=None
            )
    settled = await throw_dice(bot, session, dice, duel)
    if settled is None:
        with suppress(TelegramAPIError):
            await bot.send_message(chat_profile.id, view.duel_dice_refused_text())
    else:
        names = await duel_names(session, settled)
        await bot.send_message(
            chat_profile.id,
            view.duel_result_text(settled, names),
            reply_parameters=ReplyParameters(
                message_id=settled.message_id or 0, allow_sending_without_reply=True
            ),
        )


async def quiz_admin(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    quiz: QuizService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/quiz (post one now) · /quiz end · /quiz import (with a CSV)"""
    words = (command.args or "").lower().split()
    if words == ["import"]:
        await import_questions(message, quiz, chat_profile, bot)
        return
    if words == ["end"]:
        await end_quiz(message, session, quiz, chat_profile, bot)
        return
    if words:
        await message.reply(usage_reply("quiz"))
        return
    if not await may_play(message, chat_profile, "quiz", quiz.clock.now()):
        return
    if await quiz.open_in(chat_profile.id) is not None:
        await message.reply(for_sender(view.quiz_open_already_text()))
        return
    rules = chat_profile.rules(GameRules)
    try:
        opened = await quiz.open_round(
            chat_profile.id, chat_profile.program_id, chat_profile.timezone, rules,
            started_by=message.from_user.id if message.from_user else None,
        )  # fmt: skip
    except QuizOpen:  # one being posted now
        await message.reply(for_sender(view.quiz_open_already_text()))
        return
    if opened is None:
        await message.reply(for_sender(view.quiz_bank_empty_text()))
        return
    if not await post_quiz(bot, session, quiz, chat_profile.id, *opened, rules):
        await message.reply(for_sender(view.quiz_refused_text()))


async def import_questions(
    message: Message, quiz: QuizService, profile: ChatProfile, bot: Bot
) -> None:
    holder = message if message.document else message.reply_to_message
    if holder is None or holder.document is None:
        await message.reply(for_sender(view.quiz_send_file_text()))
        return
    data = await downloaded(holder.document, bot, message)
    if data is None:
        return
    try:
        imported = await quiz.import_questions(profile.program_id, data)
    except QuizFileError as error:
        await message.reply(for_sender(view.quiz_file_problem(error)))
        return
    bank = await quiz.bank_size(profile.program_id)
    await message.reply(view.quiz_imported_text(imported, bank))


async def end_quiz(
    message: Message, session: AsyncSession, quiz: QuizService, profile: ChatProfile, bot: Bot
) -> None:
    round_id = await quiz.open_in(profile.id)
    result = await quiz.close(round_id) if round_id is not None else None
    if result is None:
        await message.reply(for_sender(view.no_open_quiz_text()))
        return
    await commit_so_far(session)
    if result.message_id:
        with suppress(TelegramAPIError):  # closed by hand already: the answers stopped anyway
            await bot.stop_poll(profile.id, result.message_id)
    await message.reply(view.quiz_result_text(result))


async def quiz_top(message: Message, quiz: QuizService, chat_profile: ChatProfile) -> None:
    """/quiz top: this week's quiz league of the program."""
    rows = await quiz.league(chat_profile.program_id, chat_profile.timezone)
    await message.reply(for_sender(view.quiz_league_text(rows)))


async def quiz_answered(
    answer: PollAnswer, quiz: QuizService, admin_cache: AdminCache, bot: Bot
) -> None:
    """A member's answer to a quiz poll (`poll_answer`): the first correct ones are paid."""
    user = answer.user
    if user is None or user.is_bot:
        return
    chat_id = await quiz.chat_of_poll(answer.poll_id)
    if chat_id is None:
        return
    admin = user.id in admin_cache.owner_ids or user.id in await admin_cache.admins_of(bot, chat_id)
    await quiz.answer(
        answer.poll_id, user.id, answer.option_ids, admin=admin, name=user.full_name,
        username=user.username,
    )  # fmt: skip


def is_top(message: Message) -> bool:
    words = (message.text or "").split()
    return words[1:] == ["top"]


# -- /settings games ----------------------------------------------------------------------


async def change_games(message: Message, setting: list[str], session: AsyncSession) -> bool:
    """/settings games <quiz|guess|dice> on|off · cap <n> · quiz at <HH:MM>|off ·
    quiz points <first> <next> · dice max <n>"""
    args = [word.lower() for word in setting[1:]]
    chat_id = message.chat.id
    try:
        if len(args) == 2 and args[0] in GAMES and args[1] in ("on", "off"):
            await set_game_on(session, chat_id, args[0], args[1] == "on")
            reply = view.game_switched_text(args[0], args[1] == "on")
        elif len(args) == 2 and args[0] == "cap" and whole(args[1]):
            await set_game_number(session, chat_id, "cap", int(args[1]))
            reply = view.games_cap_text(int(args[1]))
        elif len(args) == 3 and args[:2] == ["quiz", "at"]:
            at = None if args[2] == "off" else args[2]
            await set_quiz_time(session, chat_id, at)
            reply = view.quiz_time_text(at)
        elif len(args) == 4 and args[:2] == ["quiz", "points"] and all(whole(a) for a in args[2:]):
            await set_game_numbers(
                session, chat_id, {"quiz_first": int(args[2]), "quiz_next": int(args[3])}
            )
            reply = view.quiz_points_text(int(args[2]), int(args[3]))
        elif len(args) == 3 and args[:2] == ["dice", "max"] and whole(args[2]):
            await set_game_number(session, chat_id, "dice_max", int(args[2]))
            reply = view.dice_max_text(int(args[2]))
        else:
            await message.reply(usage_reply("settings", "games"))
            return False
    except BadSetting as bad:
        name = str(bad)
        if name == "quiz_at":
            await message.reply(problem_reply(view.quiz_time_problem_text(), "settings", "games"))
        else:
            await message.reply(out_of_range(name, GameRules.LIMITS[name]))
        return False
    await message.reply(reply)
    return True


def games_lines(profile: ChatProfile) -> list[str]:
    return view.games_settings(profile.rules(GameRules))


def games_page(profile: ChatProfile) -> list[str]:
    return view.games_details(profile.rules(GameRules))


SETTINGS_SECTION = SettingsSection(
    ("games",),
    change_games,
    games_lines,
    usage=(
        __("/settings games quiz|guess|dice on|off"),
        __("/settings games cap <points>"),
        __("/settings games quiz at <HH:MM>|off"),
        __("/settings games quiz points <first> <next>"),
        __("/settings games dice max <points>"),
    ),
    title=__("Games"),
    details=games_page,
)

COMMANDS = (
    CommandSpec(
        "dice",
        __("Dice for points against a member or the bot (骰子)"),
        usage=__("/dice <points> (reply: against that member) · /dice <points> bot"),
    ),
    CommandSpec(
        "quiz",
        __("Quiz (知识问答): this week's league; admins post quizzes"),
        usage=__("/quiz top · /quiz · /quiz end · /quiz import (admins)"),
    ),
)


def create_router() -> Router:
    router = Router(name="games")
    router.message.register(dice_command, Command("dice"), flags=ONCE)
    router.callback_query.register(dice_pressed, view.DiceButton.filter(), F.message)
    router.message.register(quiz_top, Command("quiz"), is_top)
    router.message.register(quiz_admin, Command("quiz"), IsAdmin(), flags=ONCE)
    router.message.register(admins_only, Command("quiz"))
    router.poll_answer.register(quiz_answered)
    return router
