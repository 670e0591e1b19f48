"""What work outside an update needs: its own sessions, the catalogues, and the domain services
(`services/factory.py`, with the clock and the default time zone). The outbox sender, the
background checks, the rights notices and the scheduler's job sources share one."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.i18n import speaking
from services.chats import ChatProfile
from services.clock import Clock
from services.factory import ServiceFactory


@dataclass(frozen=True, slots=True)
class Background:
    session_pool: async_sessionmaker[AsyncSession]
    services: ServiceFactory
    i18n: I18n

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def default_timezone(self) -> str:
        return self.services.default_timezone

    def timezone_of(self, profile: ChatProfile | None) -> str:
        return profile.timezone if profile is not None else self.default_timezone

    def speaking(self, profile: ChatProfile | None) -> AbstractContextManager[None]:
        """gettext in the group's language (posts nobody's message asked for)."""
        return speaking(self.i18n, profile)
