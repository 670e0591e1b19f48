"""Raid mode with Telegram: each join is noted in the shared join window; a surge starts a raid,
whose joiners (those of the surge's minute too) are made read-only for a while; the admins are
told once when it starts and once when it ends (`end_due`, a background check, or `/raid off`).
The rules and rows are `services/raids.py`'s.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.join_window import JoinWindow
from infrastructure.transactions import commit_so_far
from models import Raid
from services.chats import ChatProfile, ChatService
from services.outbox import OutboxPayload, OutboxService
from services.raid_messages import RaidAlert, RaidSummary
from services.raids import RaidRules, RaidService
from workflows.moderation import SILENT, Moderator

logger = logging.getLogger(__name__)


class RaidGuard:
    def __init__(self, moderator: Moderator, window: JoinWindow) -> None:
        self.moderator = moderator
        self.background = moderator.background
        self.window = window

    async def joined(
        self, bot: Bot, raids: RaidService, profile: ChatProfile, user_id: int, now: datetime
    ) -> bool:
        """Someone joined: noted in the minute's window; more than the group's threshold
        starts a raid. True when a raid holds them (read-only): they get no welcome and no
        question in the group."""
        rules = profile.rules(RaidRules)
        recent = await self.window.note(profile.id, user_id, now.timestamp())
        surging = 0 < rules.threshold < len(recent)
        raid = await raids.current(profile.id)
        held = [user_id]
        if surging:
            calm_at = now + timedelta(seconds=rules.calm)
            if raid is not None:
                await raids.extend(raid, calm_at)
            else:
                admins = await self._admins(bot, profile.id)  # asked before the chat's lock
                raid, started = await raids.start(profile.id, calm_at)
                if started:  # the surge's first joiners too: a raid's first accounts post first
                    held = recent
                    await self._tell(raids.session, profile, raid, admins, RaidAlert)
                    logger.info(
                        "chat %s: raid mode on (%s joins in a minute)", profile.id, len(recent)
                    )
        if raid is None:
            return False
        await self.hold(bot, raids, profile, raid, held, now)
        return True

    async def hold(
        self,
        bot: Bot,
        raids: RaidService,
        profile: ChatProfile,
        raid: Raid,
        user_ids: list[int],
        now: datetime,
    ) -> None:
        """Count them in the raid, then make them read-only for the group's hold (Telegram
        lifts it by itself)."""
        for user_id in user_ids:
            await raids.joined(raid, user_id)
        await commit_so_far(raids.session)  # counted before Telegram hears of them
        until = int((now + timedelta(seconds=profile.rules(RaidRules).hold)).timestamp())
        restricted = [
            user_id
            for user_id in user_ids
            if await self.moderator.restrict(bot, profile.id, user_id, SILENT, until)
        ]
        if restricted:
            await raids.held(raid.id, restricted)

    async def start_by_hand(
        self, bot: Bot, raids: RaidService, profile: ChatProfile, admin_id: int, ends_at: datetime
    ) -> tuple[Raid, bool]:
        """`/raid on`: (the raid, True) when it started now; else the one going on, lasting at
        least until `ends_at`."""
        admins = await self._admins(bot, profile.id)
        raid, started = await raids.start(profile.id, ends_at, started_by=admin_id)
        if started:
            await self._tell(raids.session, profile, raid, admins, RaidAlert)
        return raid, started

    async def end_by_hand(
        self, bot: Bot, raids: RaidService, profile: ChatProfile, admin_id: int
    ) -> Raid | None:
        """`/raid off`: the raid ended, its summary on its way; None when none was on."""
        raid = await raids.current(profile.id)
        if raid is None:
            return None
        admins = await self._admins(bot, profile.id)
        ended = await raids.close(raid.id, ended_by=admin_id)  # None: it ended meanwhile
        if ended is not None:
            await self._tell(raids.session, profile, ended, admins, RaidSummary)
        return ended

    async def end_due(self, bot: Bot) -> int:
        """Raids whose joins calmed down (or whose time by hand is up) end, each summed up to
        the admins once: the raid closed and its summary queued in one transaction."""
        async with self.background.session_pool() as session:
            due = [(raid.id, raid.chat_id) for raid in await self._raids(session).due()]
        ended = 0
        for raid_id, chat_id in due:
            admins = await self._admins(bot, chat_id)
            async with self.background.session_pool() as session, session.begin():
                profile = await self.background.services.chats(session).profile(chat_id)
                raid = await self._raids(session).close(raid_id)
                if raid is not None and profile is not None:
                    await self._tell(session, profile, raid, admins, RaidSummary)
                    ended += 1
        return ended

    def _raids(self, session: AsyncSession) -> RaidService:
        return RaidService(session, self.background.clock)

    async def _admins(self, bot: Bot, chat_id: int) -> frozenset[int]:
        try:
            return await self.moderator.admin_cache.admins_of(bot, chat_id)
        except TelegramAPIError as error:
            logger.info("chat %s: admins unknown: %s", chat_id, error)
            return frozenset()

    async def _tell(
        self,
        session: AsyncSession,
        profile: ChatProfile,
        raid: Raid,
        admins: frozenset[int],
        kind: type[RaidAlert] | type[RaidSummary],
    ) -> None:
        """Each admin who has a private chat with the bot, and the log channel; the group
        itself when neither reaches anyone. Keyed by the raid: once however often this runs."""
        outbox = OutboxService(session, self.background.clock)
        chats = ChatService(session, self.background.clock, self.background.default_timezone)
        rows: list[tuple[int, OutboxPayload, str]] = [
            (admin, kind(raid_id=raid.id), f"{kind.kind}:{raid.id}:{admin}")
            for admin in sorted(admins)
            if await chats.started_privately(admin)
        ]
        if profile.moderation.log_channel is not None:
            rows.append(
                (profile.id, kind(raid_id=raid.id, to_log=True), f"{kind.kind}:{raid.id}:log")
            )
        if not rows:
            rows.append((profile.id, kind(raid_id=raid.id), f"{kind.kind}:{raid.id}:group"))
        for chat_id, payload, key in rows:
            await outbox.add(chat_id, payload, key)
