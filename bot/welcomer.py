"""Welcomes for new members: one message for everyone who joins close together.

A join can arrive twice (the `chat_member` update and the "joined" service message, for a bot
that gets both): a member welcomed in the last `REPEAT_WINDOW` seconds is not welcomed again.
Welcomes wait in memory; a restart inside the burst window loses that one welcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from html import escape
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import speaking
from services.chats import ChatProfile

logger = logging.getLogger(__name__)
MAX_NAMES = 10
WELCOME_BURST_SECONDS = 3.0  # joins this close together share one welcome
REPEAT_WINDOW = 300.0


@dataclass
class _Burst:
    profile: ChatProfile
    names: list[str] = field(default_factory=list)


class Welcomer:
    def __init__(self, i18n: I18n, burst_seconds: float) -> None:
        self.i18n = i18n
        self.burst_seconds = burst_seconds
        self._bursts: dict[int, _Burst] = {}
        self._welcomed: dict[tuple[int, int], float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def joined(self, bot: Bot, profile: ChatProfile, user_id: int, name: str) -> None:
        """`name` joined: welcome them with whoever else joins within `burst_seconds`."""
        if not profile.welcome.enabled:
            return
        now = time.monotonic()
        if now - self._welcomed.get((profile.id, user_id), -REPEAT_WINDOW) < REPEAT_WINDOW:
            return
        self._welcomed[profile.id, user_id] = now
        if len(self._welcomed) > 10_000:
            self._welcomed = {k: t for k, t in self._welcomed.items() if now - t < REPEAT_WINDOW}
        burst = self._bursts.get(profile.id)
        if burst is None:
            burst = self._bursts[profile.id] = _Burst(profile)
            self._spawn(self._welcome_later(bot, profile.id))
        burst.names.append(name)

    async def flush(self, bot: Bot) -> None:
        """Send the welcomes still waiting (the bot is stopping)."""
        for chat_id in list(self._bursts):
            await self._welcome(bot, chat_id)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _welcome_later(self, bot: Bot, chat_id: int) -> None:
        await asyncio.sleep(self.burst_seconds)
        await self._welcome(bot, chat_id)

    async def _welcome(self, bot: Bot, chat_id: int) -> None:
        burst = self._bursts.pop(chat_id, None)
        if burst is None:
            return
        profile = burst.profile
        try:
            count = await bot.get_chat_member_count(chat_id)
        except TelegramAPIError:
            count = 0
        with speaking(self.i18n, profile):
            text = welcome_text(profile, burst.names, count)
            button = InlineKeyboardButton(
                text="群规 / Rules",
                url=f"https://t.me/{(await bot.me()).username}?start=rules{chat_id}",
            )
        try:
            sent = await bot.send_message(
                chat_id, text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
            )
        except TelegramAPIError as error:
            logger.warning("could not welcome in chat %s: %s", chat_id, error)
            return
        if profile.welcome.delete_after:
            self._spawn(self._delete_later(bot, chat_id, sent.message_id, profile))

    async def _delete_later(
        self, bot: Bot, chat_id: int, message_id: int, profile: ChatProfile
    ) -> None:
        await asyncio.sleep(profile.welcome.delete_after)
        try:
            await bot.delete_message(chat_id, message_id)
        except TelegramAPIError as error:  # no right to delete, or deleted already
            logger.info("welcome in chat %s stays: %s", chat_id, error)


def welcome_text(profile: ChatProfile, names: list[str], count: int) -> str:
    shown = ", ".join(f"<b>{escape(name)}</b>" for name in names[:MAX_NAMES])
    if len(names) > MAX_NAMES:
        shown += " " + _("and {count} more").format(count=len(names) - MAX_NAMES)
    template = profile.welcome.text
    if template is None:
        return _("👋 Welcome to {group}, {name}! Please read the rules, then say hello.").format(
            group=escape(profile.title), name=shown
        )
    return escape(template).format(name=shown, group=escape(profile.title), count=count)
