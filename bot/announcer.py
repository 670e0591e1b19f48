"""Tier-up congratulations: one short group message for every tier-up close together."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import reply_language
from services.chats import ChatProfile
from services.tiers import Tier

logger = logging.getLogger(__name__)
MAX_NAMES = 10


@dataclass
class _Pending:
    language: str
    promotions: list[tuple[str, Tier]] = field(default_factory=list)


class TierAnnouncer:
    """Collects a chat's tier-ups for `delay` seconds after the first, then posts them at once."""

    def __init__(self, i18n: I18n, delay: float) -> None:
        self.i18n = i18n
        self.delay = delay
        self._pending: dict[int, _Pending] = {}
        self._timers: dict[int, asyncio.Task[None]] = {}

    def promoted(self, bot: Bot, chat: ChatProfile, name: str, tier: Tier) -> None:
        """`name` reached `tier` in `chat`; the group hears it in its own language."""
        language = reply_language(chat, None, self.i18n.default_locale)
        pending = self._pending.setdefault(chat.id, _Pending(language))
        pending.promotions.append((name, tier))
        if chat.id not in self._timers:
            self._timers[chat.id] = asyncio.create_task(self._announce_later(bot, chat.id))

    async def flush(self, bot: Bot) -> None:
        """Post everything still waiting (the bot is stopping)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for chat_id in list(self._pending):
            await self._announce(bot, chat_id)

    async def _announce_later(self, bot: Bot, chat_id: int) -> None:
        await asyncio.sleep(self.delay)
        self._timers.pop(chat_id, None)
        await self._announce(bot, chat_id)

    async def _announce(self, bot: Bot, chat_id: int) -> None:
        pending = self._pending.pop(chat_id, None)
        if pending is None:
            return
        with self.i18n.context(), self.i18n.use_locale(pending.language):
            text = congratulation(pending.promotions, pending.language)
        try:
            await bot.send_message(chat_id, text)
        except TelegramAPIError as error:
            logger.warning("could not congratulate in chat %s: %s", chat_id, error)


def congratulation(promotions: list[tuple[str, Tier]], language: str) -> str:
    if len(promotions) == 1:
        name, tier = promotions[0]
        text = _("🎉 {name} reached {tier}!").format(
            name=f"<b>{escape(name)}</b>", tier=escape(tier.label(language))
        )
        perks = tier.perks_text(language)
        return f"{text}\n{escape(perks)}" if perks else text
    shown = [
        f"• <b>{escape(name)}</b> → {escape(tier.label(language))}"
        for name, tier in promotions[:MAX_NAMES]
    ]
    if len(promotions) > MAX_NAMES:
        shown.append(_("…and {count} more").format(count=len(promotions) - MAX_NAMES))
    return "\n".join([_("🎉 New VIP tiers, congratulations!"), *shown])
