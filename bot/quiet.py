"""Quiet mode: in a quiet group, sign-in keyword messages and their replies, and replies that
matter only to their sender (usage lines, refusals) with their commands, are deleted a minute
later."""

from __future__ import annotations

import asyncio
import logging
import time

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.methods import Response, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message

from bot.rights import DELETE, RightsNotices
from bot.sender_only import sender_only_profile
from services.chats import ChatProfile, CheckinRules

logger = logging.getLogger(__name__)
SIZE_TTL = 3600.0  # a group's member count is asked at most hourly


class QuietMode:
    """Decides whether a group is quiet and deletes messages later, best effort.

    Deletions wait in memory: after a restart the messages stay, which is harmless.
    """

    def __init__(self, delay: float, notices: RightsNotices) -> None:
        self.delay = delay
        self.notices = notices
        self._sizes: dict[int, tuple[float, int]] = {}
        self._pending: set[asyncio.Task[None]] = set()

    async def applies(self, bot: Bot, profile: ChatProfile) -> bool:
        setting = profile.checkin_rules.quiet
        if setting != "auto":
            return setting == "on"
        return await self._size(bot, profile.id) > CheckinRules.QUIET_FROM

    def clean_up(self, bot: Bot, chat_id: int, *message_ids: int) -> None:
        task = asyncio.create_task(self._delete_later(bot, chat_id, message_ids))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _delete_later(self, bot: Bot, chat_id: int, message_ids: tuple[int, ...]) -> None:
        await asyncio.sleep(self.delay)
        refused = False
        for message_id in message_ids:
            try:
                await bot.delete_message(chat_id, message_id)
            except TelegramBadRequest as error:  # no right to delete, or already gone
                logger.info("quiet mode in chat %s: %s", chat_id, error)
                refused = True
            except TelegramAPIError as error:
                logger.info("quiet mode in chat %s: %s", chat_id, error)
        if refused:
            await self.notices.check(bot, chat_id, DELETE)

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
    """Sends go through here: a reply marked for its sender (`bot.sender_only`) in a quiet
    group is deleted later, with the command it answers. One type check for every other send."""

    def __init__(self, quiet: QuietMode) -> None:
        self.quiet = quiet

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        profile = sender_only_profile(method.text) if isinstance(method, SendMessage) else None
        if profile is None or not profile.is_group:
            return response
        # aiogram hands the method's result down this chain, whatever the annotation says.
        sent: object = response.result if isinstance(response, Response) else response
        if not isinstance(sent, Message) or not isinstance(method, SendMessage):
            return response
        if await self.quiet.applies(bot, profile):
            asked = method.reply_parameters.message_id if method.reply_parameters else None
            ids = (sent.message_id,) if asked is None else (asked, sent.message_id)
            self.quiet.clean_up(bot, sent.chat.id, *ids)
        return response
