"""The guards every member message passes before it is handled or counted: flood, the word
filter, newcomers' links. What they find is dealt with through moderation's actions
(`workflows/moderation.py`); the bot's own notices go away a minute later.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import NamedTuple

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, MessageEntity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member
from services.chats import ChatProfile
from services.factory import UpdateServices
from services.guards import (
    LIMIT_MUTE,
    NEWCOMER_HOURS,
    NEWCOMER_MESSAGES,
    FloodWatch,
    ModerationRules,
    WordFilter,
)
from services.locks import LockRules
from services.receipts import first_receipt
from views import moderation as view
from views.locks import locked_notice
from workflows.moderation import Moderator
from workflows.quiet import QuietMode

logger = logging.getLogger(__name__)
NOTICE_EVERY = 3600.0  # one link notice per member per hour


def links_in(message: Message, rules: ModerationRules) -> bool:
    """A link to a domain not allowed, a forward from a channel, or a mention of a bot."""
    if message.forward_origin is not None and message.forward_origin.type == "channel":
        return True
    text = message.text or message.caption or ""
    entities: Sequence[MessageEntity] = message.entities or message.caption_entities or ()
    for entity in entities:
        if entity.type in ("url", "text_link"):
            link = entity.url if entity.type == "text_link" else entity.extract_from(text)
            if not rules.allows_domain(host_of(link or "")):
                return True
        elif entity.type == "mention" and entity.extract_from(text).lower().endswith("bot"):
            return True  # every bot's username ends in "bot"
    return False


class Suspicion(NamedTuple):
    flooding: bool
    matched: WordFilter | None
    linked: bool
    locked: str | None = None  # the lock the message breaks: links or forwards


def broken_lock(message: Message, locks: LockRules, rules: ModerationRules) -> str | None:
    """The guards' lock a message breaks (`/lock links|forwards`), for anyone but an admin."""
    if locks.has("forwards") and message.forward_origin is not None:
        return "forwards"
    if locks.has("links") and links_in(message, rules):
        return "links"
    return None


def host_of(link: str) -> str:
    rest = link.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].lower().removeprefix("www.")


class SpamGuard:
    def __init__(self, moderator: Moderator, quiet: QuietMode) -> None:
        self.moderator = moderator
        self.background = moderator.background
        self.quiet = quiet
        self.flood = FloodWatch()
        self._noticed: OrderedDict[tuple[int, int], float] = OrderedDict()

    async def guard(
        self,
        bot: Bot,
        message: Message,
        profile: ChatProfile,
        services: UpdateServices,
    ) -> bool:
        """True when the message was spam and is dealt with (it is neither handled nor
        counted). The cheap checks come first; the admin check only once one matched (and the
        moderation service is built only then)."""
        user = message.from_user
        suspicion = self.suspicion(message, profile)
        if user is None or suspicion is None:
            return False
        flooding, matched, _, locked = suspicion
        rules = profile.moderation
        if await self.moderator.admin_cache.is_admin(bot, message.chat, user, message):
            return False
        session = services.session
        if not (matched or flooding or locked) and not await self.is_newcomer(
            session, profile.id, user.id
        ):
            return False  # a link from a member who is past their first day and messages
        moderation, clock = services.moderation, self.background.clock
        if not await first_receipt(session, clock, profile.id, message.message_id, "guard"):
            return True  # delivered again: dealt with already, never warned twice
        if matched is not None:
            await self.moderator.delete(bot, profile.id, message.message_id)
            rule = f"filter:{matched.id}"
            await self.moderator.record(moderation, profile, "delete", user.id, rule=rule)
            if matched.action == "warn":
                await self.moderator.warn(bot, moderation, profile, user, None, None, rule=rule)
            elif matched.action == "mute":
                await self.moderator.mute(
                    bot, moderation, profile, user.id, LIMIT_MUTE, None, None, rule
                )
            elif matched.action == "ban":
                await self.moderator.ban(bot, moderation, profile, user.id, None, None, None, rule)
            await self.notice(bot, profile, view.filtered_notice(user.id, user.full_name,
                                                                 matched.action))  # fmt: skip
            return True
        if flooding:
            mute = timedelta(seconds=rules.flood_mute)
            if await self.moderator.mute(
                bot, moderation, profile, user.id, mute, None, None, "flood"
            ):
                await self.notice(bot, profile, view.flood_notice(user.id, user.full_name,
                                                                  rules.flood_mute))  # fmt: skip
            return True
        if locked is not None:
            await self.moderator.delete(bot, profile.id, message.message_id)
            rule = f"lock:{locked}"
            await self.moderator.record(moderation, profile, "delete", user.id, rule=rule)
            if self._notice_due(profile.id, user.id):
                await self.notice(bot, profile, locked_notice(user.id, user.full_name, locked))
            return True
        await self.moderator.delete(bot, profile.id, message.message_id)
        await self.moderator.record(moderation, profile, "delete", user.id, rule="links")
        if self._notice_due(profile.id, user.id):
            await self.notice(bot, profile, view.links_notice(user.id, user.full_name))
        return True

    def suspicion(self, message: Message, profile: ChatProfile) -> Suspicion | None:
        """What the cheap checks (no database, no Telegram) find in a member's message: None
        when no guard has anything to do with it. Asking twice of one message is safe."""
        user = message.from_user
        if user is None or user.is_bot or message.sender_chat is not None:
            return None
        rules = profile.moderation
        now = time.monotonic()
        flooding = self.flood.floods(profile.id, user.id, message.message_id, now, rules)
        matched = rules.matching_filter(message.text or message.caption or "")
        linked = rules.links and links_in(message, rules)
        locks = profile.rules(LockRules)
        locked = broken_lock(message, locks, rules) if locks.locked else None
        if not (flooding or matched or linked or locked):
            return None
        return Suspicion(flooding, matched, linked, locked)

    async def is_newcomer(self, session: AsyncSession, chat_id: int, user_id: int) -> bool:
        """In their first day here, or before their fifth counted message."""
        row = (
            await session.execute(
                select(Member.joined_at, Member.last_join_at, Member.message_count).where(
                    Member.chat_id == chat_id, Member.user_id == user_id
                )
            )
        ).one_or_none()
        if row is None:
            return True
        joined_at, last_join_at, count = row
        joined = last_join_at or joined_at
        recent = joined is not None and joined > self.background.clock.now() - timedelta(
            hours=NEWCOMER_HOURS
        )
        return recent or count < NEWCOMER_MESSAGES

    def _notice_due(self, chat_id: int, user_id: int) -> bool:
        now, key = time.monotonic(), (chat_id, user_id)
        last = self._noticed.get(key)
        if last is not None and now - last < NOTICE_EVERY:
            return False
        self._noticed[key] = now
        self._noticed.move_to_end(key)
        if len(self._noticed) > 10_000:
            self._noticed.popitem(last=False)
        return True

    async def notice(self, bot: Bot, profile: ChatProfile, text: str) -> None:
        """A short notice in the group, deleted a minute later."""
        try:
            with self.background.speaking(profile):
                sent = await bot.send_message(profile.id, text)
        except TelegramAPIError as error:
            logger.info("chat %s: notice not sent: %s", profile.id, error)
            return
        await self.quiet.clean_up(profile.id, sent.message_id)
