"""/staff: a program's owner gives console access to people who need not be group admins
(read or full, in every group of the program) and takes it back; /modlog console (in
handlers/moderation.py's /modlog) reads what they changed."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.refusal import not_seen_here
from infrastructure.admins import AdminCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.console_access import ConsoleAccess
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from services.chats import ChatProfile
from services.members import find_member, known_name
from services.staff import ROLES, Granted, StaffService
from views import staff as view

ADD, REMOVE = ("add",), ("remove", "del", "rm")


async def staff_command(
    message: Message,
    command: CommandObject,
    staff: StaffService,
    session: AsyncSession,
    chat_profile: ChatProfile,
    admin_cache: AdminCache,
    bot: Bot,
) -> None:
    """/staff · /staff add <user> [read|full] · /staff remove <user>"""
    words = (command.args or "").split()
    if message.chat.type == "private":
        await message.reply(_("Use /staff in a group of the program."))
        return
    sender = message.from_user
    owner = (
        sender is not None
        and message.sender_chat is None
        and await ConsoleAccess(admin_cache, bot, staff.clock).is_owner(
            session, sender.id, chat_profile.program_id
        )
    )
    if not owner or sender is None:
        await message.reply(problem_reply(view.not_owner_text(), "staff"))
        return
    program = chat_profile.program_id
    if not words:
        grants = await staff.staff(program)
        names = {g.user_id: await known_name(session, g.user_id) or str(g.user_id) for g in grants}
        await message.reply(view.staff_list_text(grants, names))
        return
    verb = words[0].lower()
    if verb not in ADD + REMOVE or len(words) < 2 or len(words) > (3 if verb in ADD else 2):
        await message.reply(usage_reply("staff", verb if verb in ADD + REMOVE else None))
        return
    role = words[2].lower() if len(words) == 3 else "read"
    if role not in ROLES:
        await message.reply(problem_reply(_("Access is read or full."), "staff", "add"))
        return
    found = await whom(session, program, words[1])
    if found is None:
        await message.reply(not_seen_here(words[1]))
        return
    user_id, name = found
    if verb in REMOVE:
        gone = await staff.revoke(program, user_id)
        await message.reply(view.staff_removed_text(name) if gone
                            else view.staff_not_found_text(name))  # fmt: skip
        return
    granted = await staff.grant(program, user_id, role, sender.id)
    if granted.outcome is Granted.SAME:
        await message.reply(view.staff_same_text(name, role))
        return
    await message.reply(view.staff_granted_text(name, role, granted.outcome is Granted.CHANGED,
                                                granted.told))  # fmt: skip


async def whom(session: AsyncSession, program_id: int, handle: str) -> tuple[int, str] | None:
    """A user id as given (staff need not have written in the group), or a member of the
    program by @username; with the name to say."""
    if handle.isascii() and handle.isdigit() and 0 < int(handle) < 10**15:
        user_id = int(handle)
        return user_id, await known_name(session, user_id) or handle
    if not handle.startswith("@"):
        return None
    member = await find_member(session, program_id, handle)
    if member is None:
        return None
    return member.user_id, member.display_name or handle


COMMANDS = (
    CommandSpec(
        "staff",
        __("Console access for staff who are not admins (the program's owner)"),
        usage=__("/staff · /staff add <@user|id> [read|full] · /staff remove <@user|id>"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="staff")
    router.message.register(staff_command, Command("staff"), IsAdmin(), flags=ONCE)
    return router
