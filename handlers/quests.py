"""Missions (任务) and badges (徽章): `/quests` shows a member their missions (sender-only) and
lets admins choose the program's sets; `/badge give|take @user <name>` and `/badges`. Seasons
and the points economy are `handlers/seasons.py`'s."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.labels import actor_of, member_and_rest
from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.sender_only import for_sender
from infrastructure.transactions import forget_after_commit
from services.badges import BadgeError, BadgeService, resolve_badge
from services.chats import ChatProfile
from services.member_tags import MemberTagService
from services.quest_rules import (
    SETS,
    QuestInputError,
    QuestRules,
    parse_set,
    set_missions,
    set_streak,
)
from services.quests import QuestService
from views import quests as view


async def quests_command(
    message: Message, quests: QuestService, chat_profile: ChatProfile, program_profile: ChatProfile
) -> None:
    """/quests: the sender's missions today and this week (what they completed is paid now)."""
    user = message.from_user
    if user is None:
        return
    rules = program_profile.rules(QuestRules)
    program, zone = chat_profile.program_id, program_profile.timezone
    await quests.settle(program, [user.id], rules, zone)
    progress = await quests.progress(program, user.id, rules, zone)
    await message.reply(for_sender(view.quests_text(progress)))


async def quests_admin(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    chat_cache: ChatCache,
    chat_profile: ChatProfile,
) -> None:
    """/quests daily checkin=5 messages:10=5 bonus=10 · /quests weekly … · /quests weekly off ·
    /quests streak 10 · /quests templates"""
    words = (command.args or "").split()
    kind = words[0].lower()
    program = chat_profile.program_id
    try:
        if kind in SETS and len(words) > 1:
            chosen = parse_set(words[1:])
            await set_missions(session, program, kind, chosen)
            reply = view.missions_set_text(kind, chosen)
        elif kind == "streak" and len(words) == 2 and words[1].isdigit():
            await set_streak(session, program, int(words[1]))
            reply = view.streak_set_text(int(words[1]))
        elif kind == "templates":
            await message.reply(for_sender(view.templates_text()))
            return
        else:
            await message.reply(usage_reply("quests"))
            return
    except QuestInputError as bad:
        await message.reply(problem_reply(view.quest_problem_text(str(bad)), "quests"))
        return
    forget_after_commit(session, chat_cache, program)
    await message.reply(reply)


async def badge_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    badges: BadgeService,
    member_tags: MemberTagService,
    chat_profile: ChatProfile,
) -> None:
    """/badge give @user <name> · /badge take @user <name> (or as a reply)"""
    words = (command.args or "").split(None, 1)
    if len(words) < 2 or words[0].lower() not in ("give", "take"):
        await message.reply(usage_reply("badge"))
        return
    action = words[0].lower()
    found = await member_and_rest(message, CommandObject(command.prefix, command.command,
                                  command.mention, words[1]), session)  # fmt: skip
    if found is None:
        return
    target, rest = found
    try:
        badge = resolve_badge(rest)  # a milestone's label means its key
    except BadgeError:
        await message.reply(problem_reply(view.badge_problem_text(), "badge"))
        return
    program = chat_profile.program_id
    if action == "give":
        changed = await badges.give(program, target.user_id, badge, actor_of(message))
        await message.reply(view.badge_given_text(target.name, badge, changed))
    else:
        badge, changed = await badges.take_typed(program, target.user_id, rest)
        await message.reply(view.badge_taken_text(target.name, badge, changed))
    if changed and await member_tags.enabled(chat_profile.id):  # the tag shows the badge
        await member_tags.queue(chat_profile.id, [target.user_id])


async def badges_command(message: Message, badges: BadgeService, chat_profile: ChatProfile) -> None:
    """/badges: the program's badges and how many hold each."""
    counts = await badges.counts(chat_profile.program_id)
    await message.reply(for_sender(view.badge_counts_text(counts)))


def with_args(message: Message) -> bool:
    words = (message.text or "").split()
    return len(words) > 1


COMMANDS = (
    CommandSpec(
        "quests",
        __("Your missions (任务); admins choose them"),
        usage=__(
            "/quests · /quests daily|weekly <mission>=<points> … [bonus=<points>] · "
            "/quests daily|weekly off · /quests streak <points> · /quests templates"
        ),
        ephemeral=True,
    ),
    CommandSpec(
        "badge",
        __("Give or take a member's badge (徽章)"),
        usage=__("/badge give|take [@user|id] <badge>"),
        admin=True,
    ),
    CommandSpec("badges", __("The badges and who holds them"), usage="/badges", ephemeral=True),
)


def create_router() -> Router:
    router = Router(name="quests")
    router.message.register(quests_admin, Command("quests"), with_args, IsAdmin(), flags=ONCE)
    router.message.register(quests_command, Command("quests"))
    router.message.register(badge_command, Command("badge"), IsAdmin(), flags=ONCE)
    router.message.register(badges_command, Command("badges"))
    return router
