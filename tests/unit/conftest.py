"""Fixtures shared by the unit tests of services."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chats import ChatService
from services.clock import Clock

GROUP = -100_1


@pytest.fixture
async def chat(session_pool: async_sessionmaker[AsyncSession]) -> int:
    """A supergroup in Asia/Shanghai, as the bot records it on first sight."""
    async with session_pool() as session:
        await ChatService(session, Clock(), "Asia/Shanghai").ensure(GROUP, "supergroup", "Fans")
        await session.commit()
    return GROUP
