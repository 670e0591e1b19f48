"""A brand's program across its groups: `/program` shows it, `/program join <group id>` joins
this group (and its program's groups) into another group's program, confirmed with a button
by an admin of both."""

from __future__ import annotations

from functools import partial

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.transactions import after_commit
from services.chats import ChatProfile, ChatService
from services.program_merge import CannotJoin, ProgramJoin
from services.programs import ProgramService
from views.programs import (
    JoinButton,
    cannot_join_text,
    join_keyboard,
    join_preview_text,
    joined_text,
    program_text,
)
from workflows.moderation import Moderator


async def program_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    programs: ProgramService,
    program_join: ProgramJoin,
    moderator: Moderator,
    chats: ChatService,
    chat_profile: ChatProfile,
) -> None:
    """/program · /program join <other group's id>"""
    words = (command.args or "").split()
    if not chat_profile.is_group or message.from_user is None:
        await message.reply(usage_reply("program"))
        return
    if not words:
        program_id = chat_profile.program_id
        program = await programs.program(program_id)
        titles = []
        for group in await programs.groups(program_id):
            profile = await chats.profile(group)
            titles.append(profile.title if profile else str(group))
        accounts = await programs.accounts(program_id)
        await message.reply(program_text(program.name, titles, accounts, program_id))
        return
    if len(words) != 2 or words[0].lower() != "join" or not words[1].lstrip("-").isdigit():
        await message.reply(usage_reply("program"))
        return
    other = await chats.profile(int(words[1]))
    if other is None or not other.is_group or not other.active:
        await message.reply(cannot_join_text("unknown"))
        return
    groups = {other.id, other.program_id, chat_profile.program_id}
    if message.sender_chat is not None or not await admin_of_all(
        bot, moderator, groups, message.from_user
    ):
        await message.reply(cannot_join_text("admin"))
        return
    try:
        preview = await program_join.preview(other.program_id, chat_profile.program_id)
    except CannotJoin as refused:
        await message.reply(cannot_join_text(refused.reason))
        return
    text = join_preview_text(preview, chat_profile.title, other.title)
    await message.reply(text, reply_markup=join_keyboard(preview.program_id, preview.merged_id))


async def join_pressed(
    query: CallbackQuery,
    callback_data: JoinButton,
    bot: Bot,
    session: AsyncSession,
    programs: ProgramService,
    program_join: ProgramJoin,
    moderator: Moderator,
    chat_cache: ChatCache,
    chat_profile: ChatProfile,
) -> None:
    """Join (or cancel), pressed by an admin of this group who is an admin of the other too;
    a press after the groups changed program does nothing."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    if not callback_data.go:
        await message.edit_text(cannot_join_text("cancelled"))
        await query.answer()
        return
    programs_joined = {callback_data.into, callback_data.merged}
    if chat_profile.program_id != callback_data.merged or not await admin_of_all(
        bot, moderator, programs_joined, query.from_user
    ):
        await query.answer(cannot_join_text("admin"), show_alert=True)
        return
    affected = await programs.groups(callback_data.merged, active_only=False)
    affected += await programs.groups(callback_data.into, active_only=False)
    try:
        report = await program_join.join(
            callback_data.into, callback_data.merged, query.from_user.id
        )
    except CannotJoin as refused:
        await query.answer(cannot_join_text(refused.reason), show_alert=True)
        return
    after_commit(session, program_join.forget)
    for chat_id in affected:
        after_commit(session, partial(chat_cache.forget, chat_id))
    await message.edit_text(joined_text(report, len(set(affected))))
    await query.answer()


async def admin_of_all(bot: Bot, moderator: Moderator, groups: set[int], user: User) -> bool:
    """An admin of each group: both groups, and each program's founding group (a program
    moves whole, so an admin of one of its other groups cannot move it, nor join into it)."""
    for group in sorted(groups):
        if not await moderator.is_admin_of(bot, group, user):
            return False
    return True


async def join_not_admin(query: CallbackQuery) -> None:
    await query.answer(cannot_join_text("admin"), show_alert=True)


COMMANDS = (
    CommandSpec(
        "program",
        __("The brand's program: the groups that share members' points, tiers, shop and orders"),
        usage=__("/program · /program join <other group's id>"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="programs")
    router.message.register(program_command, Command("program"), IsAdmin())
    router.callback_query.register(join_pressed, JoinButton.filter(), IsAdmin())
    router.callback_query.register(join_not_admin, JoinButton.filter())
    return router
