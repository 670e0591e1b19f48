"""Seasons (赛季) and the points economy: `/season` shows the program's leaderboard of this week
or month (sender-only) and lets admins set one; `/stats economy` (an aside of `/stats`) reads
the ledger by source."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.quests import with_args
from infrastructure.admins import AdminCache
from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, problem_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.sender_only import for_sender
from infrastructure.transactions import forget_after_commit
from services.chats import ChatProfile
from services.clock import Clock
from services.economy import EconomyService
from services.members import display_names
from services.points import PointsService
from services.programs import ProgramService
from services.seasons import SeasonInputError, SeasonRules, SeasonService, parse_season, period_of
from services.shop import RewardNotFound, ShopService
from views import quests as view


async def program_staff(
    session: AsyncSession, clock: Clock, bot: Bot, admin_cache: AdminCache, program_id: int
) -> set[int]:
    """The admins of each of the program's groups, as the season's close leaves out (a group
    Telegram does not answer for adds none)."""
    staff: set[int] = set()
    for group in await ProgramService(session, clock).groups(program_id):
        try:
            staff |= await admin_cache.admins_of(bot, group)
        except TelegramAPIError:
            continue
    return staff


async def season_command(
    message: Message,
    session: AsyncSession,
    points: PointsService,
    clock: Clock,
    bot: Bot,
    admin_cache: AdminCache,
    chat_profile: ChatProfile,
    program_profile: ChatProfile,
) -> None:
    """/season: this season's leaderboard, the program's groups' admins left out."""
    rules = program_profile.rules(SeasonRules)
    program = chat_profile.program_id
    if rules.every is None:
        await message.reply(for_sender(view.season_text(None, "", [], {})))
        return
    period = period_of(rules.every, clock.now(), program_profile.timezone)
    staff = await program_staff(session, clock, bot, admin_cache, program)
    board = await SeasonService(session, clock, points).board(program, period, staff)
    names = await display_names(session, program, [p.user_id for p in board])
    await message.reply(for_sender(view.season_text(rules.every, period, board, names)))


async def season_admin(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    points: PointsService,
    shop: ShopService,
    clock: Clock,
    chat_cache: ChatCache,
    chat_profile: ChatProfile,
    program_profile: ChatProfile,
) -> None:
    """/season week|month|off [winners=3] [reward=<id>]"""
    program = chat_profile.program_id
    try:
        every, winners, reward_id = parse_season((command.args or "").split())
    except SeasonInputError as bad:
        await message.reply(problem_reply(view.season_problem_text(str(bad)), "season"))
        return
    reward = None
    if reward_id is not None:
        try:
            reward = (await shop.reward(program, reward_id)).name
        except RewardNotFound:
            await message.reply(problem_reply(view.season_problem_text("reward"), "season"))
            return
    seasons = SeasonService(session, clock, points)
    await seasons.set(program, every, winners, reward_id, program_profile.timezone)
    forget_after_commit(session, chat_cache, program)
    await message.reply(view.season_set_text(every, winners, reward))


async def economy_stats(
    message: Message, profile: ChatProfile, session: AsyncSession, clock: Clock
) -> None:
    """/stats economy (one of `handlers/stats.py`'s asides): issued by source against spent,
    the balance held, week on week."""
    economy = await EconomyService(session, clock).report(profile.program_id)
    await message.reply(view.economy_text(economy))


COMMANDS = (
    CommandSpec(
        "season",
        __("This season's leaderboard (赛季); admins set it"),
        usage=__("/season · /season week|month|off [winners=3] [reward=<id>]"),
        ephemeral=True,
    ),
)


def create_router() -> Router:
    router = Router(name="seasons")
    router.message.register(season_admin, Command("season"), with_args, IsAdmin(), flags=ONCE)
    router.message.register(season_command, Command("season"))
    return router
