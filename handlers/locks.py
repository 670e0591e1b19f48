"""Locks: `/lock stickers media …`, `/unlock …`, `/locks`. What each lock does is
`services/locks.py`'s; Telegram's permissions are set by `workflows/locks.py`, links and
forwards are the guards' (`workflows/spam_guard.py`)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.transactions import forget_after_commit
from services.chats import ChatProfile
from services.locks import LockRules, UnknownLock, change_locks, lock_names
from views import locks as view
from workflows.locks import apply_locks
from workflows.rights import RightsNotices


async def lock_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    chat_cache: ChatCache,
    notices: RightsNotices,
    chat_profile: ChatProfile,
) -> None:
    """/lock <kinds> · /unlock <kinds>"""
    lock = command.command.lower() == "lock"
    name = "lock" if lock else "unlock"
    try:
        names = lock_names((command.args or "").split())
    except UnknownLock as unknown:
        await message.reply(problem_reply(view.unknown_lock_text(str(unknown)), name))
        return
    if not names or not chat_profile.is_group:
        await message.reply(usage_reply(name))
        return
    change = await change_locks(session, chat_profile.id, names, lock=lock)
    forget_after_commit(session, chat_cache, chat_profile.id)  # the guards read the new locks
    applied = await apply_locks(bot, notices, chat_profile.id, change)
    text = view.locked_text(names, applied) if lock else view.unlocked_text(names, applied)
    await message.reply(text)


async def locks_command(message: Message, chat_profile: ChatProfile) -> None:
    """/locks: what is locked here"""
    await message.reply(view.locks_text(chat_profile.rules(LockRules).listed))


COMMANDS = (
    CommandSpec(
        "lock",
        __("Lock what members may post: stickers, media, polls, previews, links, forwards"),
        usage=__("/lock <stickers|media|polls|previews|links|forwards> …"),
        admin=True,
    ),
    CommandSpec(
        "unlock",
        __("Lift locks"),
        usage=__("/unlock <stickers|media|polls|previews|links|forwards> …"),
        admin=True,
    ),
    CommandSpec("locks", __("What is locked here"), usage="/locks", admin=True),
)


def create_router() -> Router:
    router = Router(name="locks")
    router.message.register(lock_command, Command("lock", "unlock"), IsAdmin(), flags=ONCE)
    router.message.register(locks_command, Command("locks"), IsAdmin())
    return router
