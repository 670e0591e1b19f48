"""What work outside an update needs: its own sessions, the clock, the catalogues, and the
default time zone, and the domain services built on a session of its own. The outbox sender,
the referral keeper, the rights notices and the scheduler's job sources share one."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import speaking
from services.chats import ChatProfile, ChatService
from services.clock import Clock
from services.draws import DrawService
from services.points import PointsService


@dataclass(frozen=True, slots=True)
class Background:
    session_pool: async_sessionmaker[AsyncSession]
    clock: Clock
    i18n: I18n
    default_timezone: str

    def chats(self, session: AsyncSession) -> ChatService:
        return ChatService(session, self.clock, self.default_timezone)

    def points(self, session: AsyncSession) -> PointsService:
        return PointsService(session, self.clock)

    def draws(self, session: AsyncSession) -> DrawService:
        return DrawService(session, self.clock, self.points(session))

    def timezone_of(self, profile: ChatProfile | None) -> str:
        return profile.timezone if profile is not None else self.default_timezone

    def speaking(self, profile: ChatProfile | None) -> AbstractContextManager[None]:
        """gettext in the group's language (posts nobody's message asked for)."""
        return speaking(self.i18n, profile)
