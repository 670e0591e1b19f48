"""Telling a group's admins, once, that the bot lacks a right one of its features needs (the
notice goes out through the outbox; its words are in `views/rights.py`).

What was told is stored with the chat, so neither a restart nor a second worker repeats it; when
the bot gets the right, the note goes, and losing it again is told again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ChatMemberUnion

from infrastructure.background import Background
from infrastructure.transactions import commit_update_so_far
from services.chats import ChatService
from services.outbox import OutboxService
from services.rights_messages import RightsNotice
from views.rights import DELETE, INVITE, PIN, RESTRICT, TAGS, TOPICS

logger = logging.getLogger(__name__)
WATCHED = (INVITE, DELETE, PIN)  # told when the bot is made admin without them
# Told only when something needing it failed (most groups are not forums, few turn tags on),
# and forgotten like the others once granted.
CHECKED = (*WATCHED, TOPICS, RESTRICT, TAGS)


async def has_watched_rights(bot: Bot, chat_id: int) -> bool | None:
    """Whether the bot is an admin of the chat with every right its features need; None when
    Telegram would not say (the bot was removed meanwhile)."""
    try:
        membership = await bot.get_chat_member(chat_id, bot.id)
    except TelegramAPIError:
        return None
    return holds(membership, WATCHED)


def holds(membership: ChatMemberUnion, rights: tuple[str, ...]) -> bool:
    """The owner may do anything; an admin what it was granted."""
    return membership.status == "creator" or (
        membership.status == "administrator"
        and all(getattr(membership, right, False) for right in rights)
    )


class RightsNotices:
    """Works in sessions of its own, from a handler or a background task alike."""

    def __init__(
        self,
        background: Background,
    ) -> None:
        self.background = background
        self._told: set[tuple[int, str]] = set()  # saves asking Telegram after each failure

    async def rights_changed(self, bot: Bot, chat_id: int, membership: ChatMemberUnion) -> None:
        """The bot's own membership changed: forget the rights it has, tell the ones it lacks."""
        if membership.status not in ("administrator", "member", "restricted"):
            return  # the owner may do anything; a bot that left has nothing to say
        admin = membership.status == "administrator"
        has = [right for right in CHECKED if admin and getattr(membership, right, False)]
        if has:
            async with self._transaction() as chats:
                await chats.clear_missing_rights(chat_id, has)
            self._told.difference_update((chat_id, right) for right in has)
        await self._tell(chat_id, [right for right in WATCHED if right not in has])

    async def failed(
        self, bot: Bot, chat_id: int, right: str, what: str, error: TelegramAPIError
    ) -> bool:
        """A call that needs `right` failed: log it, and tell the admins if that is the
        reason; True when the bot lacks the right (`check`)."""
        logger.info("chat %s: could not %s: %s", chat_id, what, error)
        return await self.check(bot, chat_id, right)

    async def check(self, bot: Bot, chat_id: int, right: str) -> bool:
        """Something that needs `right` failed: if the bot indeed lacks it, tell the admins.
        True when it lacks it (told now or before; a grant since would have cleared that)."""
        if (chat_id, right) in self._told:
            return True
        try:
            membership = await bot.get_chat_member(chat_id, bot.id)
        except TelegramAPIError as error:
            logger.info("rights in chat %s: %s", chat_id, error)
            return False  # unknown
        if holds(membership, (right,)):
            return False
        await self._tell(chat_id, [right])
        return True

    async def _tell(self, chat_id: int, rights: list[str]) -> None:
        """Note the rights as missing and, for those not told before, write the admins' notice
        to the outbox in the same transaction: told once, however often this runs."""
        if not rights:
            return
        async with self._transaction() as chats:
            new = await chats.note_missing_rights(chat_id, rights)
            if new:
                noted = self.background.clock.now().isoformat()
                await OutboxService(chats.session, self.background.clock).add(
                    chat_id, RightsNotice(rights=tuple(new)), f"rights:{chat_id}:{noted}"
                )
        self._told.update((chat_id, right) for right in rights)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[ChatService]:
        await commit_update_so_far()
        async with self.background.session_pool() as session, session.begin():
            yield self.background.services.chats(session)
