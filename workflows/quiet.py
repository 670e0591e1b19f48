"""Quiet mode: in a quiet group, sign-in keyword messages and their replies, and replies that
matter only to their sender (usage lines, refusals) with their commands, are deleted a minute
later. A reply sent as an ephemeral message (`infrastructure/sender_only.py`) is in no one
else's chat: only the command that drew it is deleted."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message

from infrastructure.background import Background
from infrastructure.sender_only import is_ephemeral, sender_only_profile
from infrastructure.transactions import commit_update_so_far
from services.batching import GroupCommit
from services.chats import ChatProfile
from services.checkin_rules import CheckinRules
from services.outbox import Deletion, OutboxRow, OutboxService

logger = logging.getLogger(__name__)
SIZE_TTL = 3600.0  # a group's member count is asked at most hourly


class QuietMode:
    """Decides whether a group is quiet, and queues the deletions: `delete` outbox rows that
    the outbox sender carries out once due (so a restart in between does not leave them)."""

    def __init__(self, delay: float, background: Background) -> None:
        self.delay = delay
        self.background = background
        self._sizes: dict[int, tuple[float, int]] = {}
        # A burst of sign-ins queues its deletions together: one transaction, not one each.
        self._deletions = GroupCommit(self._write_deletions)

    async def applies(self, bot: Bot, profile: ChatProfile) -> bool:
        setting = profile.checkin_rules.quiet
        if setting != "auto":
            return setting == "on"
        return await self._size(bot, profile.id) > CheckinRules.QUIET_FROM

    async def clean_up(self, chat_id: int, *message_ids: int) -> None:
        """Delete the messages `delay` seconds from now; returns once that is written (in a
        transaction shared with the clean-ups queued alongside: the update's own was committed
        before its reply went out)."""
        message_ids = tuple(mid for mid in message_ids if mid)  # an ephemeral one's id is 0
        if not message_ids:
            return
        await commit_update_so_far()  # on SQLite the update's session holds the one connection
        due = self.background.clock.now() + timedelta(seconds=self.delay)
        await self._deletions.submit(
            OutboxRow(
                chat_id, Deletion(message_ids=message_ids), f"quiet:{chat_id}:{message_ids[0]}",
                due,
            )
        )  # fmt: skip

    async def _write_deletions(self, rows: list[OutboxRow]) -> list[None]:
        async with self.background.session_pool() as session, session.begin():
            await OutboxService(session, self.background.clock).add_many(rows)
        return [None] * len(rows)

    async def _size(self, bot: Bot, chat_id: int) -> int:
        cached = self._sizes.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < SIZE_TTL:
            return cached[1]
        try:
            size = await bot.get_chat_member_count(chat_id)
        except TelegramAPIError as error:
            logger.info("member count of chat %s: %s", chat_id, error)
            size = 0
        self._sizes[chat_id] = (time.monotonic(), size)
        return size


class SenderOnlyCleanup(BaseRequestMiddleware):
    """Sends go through here: a reply marked for its sender (`infrastructure.sender_only`) in a
    quiet group is deleted later, with the command it answers. One type check for every other
    send."""

    def __init__(self, quiet: QuietMode) -> None:
        self.quiet = quiet

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        profile = sender_only_profile(method)
        if profile is None or not profile.is_group:
            return response
        # aiogram hands the method's result down this chain, whatever the annotation says.
        sent: object = response.result if isinstance(response, Response) else response
        if not isinstance(sent, Message):
            return response
        if await self.quiet.applies(bot, profile):
            reply = getattr(method, "reply_parameters", None)
            asked = reply.message_id if reply is not None else None
            answer = 0 if is_ephemeral(sent) else sent.message_id
            await self.quiet.clean_up(sent.chat.id, asked or 0, answer)
        return response
