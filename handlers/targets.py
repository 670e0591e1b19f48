"""The member an admin command names: the replied-to message's sender, else `@user` or an id
as its first word (shared by moderation and labels)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import Message, User
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.refusal import not_seen_here
from infrastructure.commands import problem_reply
from infrastructure.replies import replied_sender
from services.members import find_member, known_name
from services.untrusted import fits_bigint


@dataclass(frozen=True, slots=True)
class Target:
    user_id: int
    name: str

    def as_user(self) -> User:
        return User(id=self.user_id, is_bot=False, first_name=self.name)


async def target_of(
    message: Message, words: list[str], session: AsyncSession, command: str
) -> tuple[Target, list[str]] | str:
    """The member meant (the replied-to message's sender, else `@user` or an id first), and
    the words after; or the reply saying why there is none."""
    named = bool(words) and is_handle(words[0])
    replied = replied_sender(message)
    if not named and replied is not None and not replied.is_bot:
        return Target(replied.id, replied.full_name), words
    if not named:
        return problem_reply(_("Reply to the member's message, or name them."), command)
    handle, rest = words[0], words[1:]
    member = await find_member(session, message.chat.id, handle)
    if member is not None and member.display_name:
        return Target(member.user_id, member.display_name), rest
    if member is not None or handle.isdigit():  # not seen writing here (gone, or silent)
        user_id = member.user_id if member is not None else int(handle)
        return Target(user_id, await known_name(session, user_id) or handle), rest
    return not_seen_here(handle)


def is_handle(word: str) -> bool:
    """`@user`, or an id a database column can hold (a longer number names nobody)."""
    return (word.startswith("@") and len(word) > 1) or (
        word.isascii() and word.isdigit() and fits_bigint(int(word))
    )
