"""A member's card on a real database: one call gathers it, /me's text and the Mini App's
header is read from the same card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.i18n import create_i18n
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.member_card import MemberCard
from tests.unit.conftest import GROUP
from views.member_card import card_text
from views.member_centre import header

FAN, STRANGER = 42, 43
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


@pytest.fixture
def english() -> Iterator[None]:
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        yield


async def card_of(pool: async_sessionmaker[AsyncSession], user_id: int) -> MemberCard:
    factory = ServiceFactory(FrozenClock(NOW), "Asia/Shanghai")
    async with pool() as session:
        profile = await factory.chats(session).profile(GROUP)
        assert profile is not None
        return await factory.member_cards(session).card(profile, user_id)


async def test_a_members_card_reads_the_same_in_me_and_the_mini_app(
    session_pool: async_sessionmaker[AsyncSession], chat: int, english: None
) -> None:
    factory = ServiceFactory(FrozenClock(NOW), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        await factory.points(session).change(chat, FAN, 151, reason="admin", key="grant:151")
    card = await card_of(session_pool, FAN)
    assert (card.points, card.lifetime, card.rank, card.redeemed) == (151, 151, 1, 0)
    assert card_text(card, "Bob <3", "en").splitlines() == [
        "<b>Bob &lt;3</b>",
        "💰 Points: 151 (lifetime 151)",
        "🏅 Tier: Bronze",
        "▰▱▱▱▱▱▱▱▱▱ 13% 349 to Silver",
        "📊 Rank: #1",
        "🔥 Streak: 0 days · 💬 Messages: 0",
    ]
    assert header(card, "Bob <3", "en") == {
        "name": "Bob <3", "initial": "B", "tier": "Bronze", "balance": "151", "unit": "points",
        "progress": 0.1275, "next": "349 to Silver",
        "facts": ["🔥 Streak: 0 days", "📊 Rank: #1", "Lifetime 151"],
    }  # fmt: skip


async def test_someone_never_seen_has_an_empty_card_and_no_rank(
    session_pool: async_sessionmaker[AsyncSession], chat: int, english: None
) -> None:
    card = await card_of(session_pool, STRANGER)
    assert (card.points, card.rank, card.messages, card.campaign) == (0, None, 0, None)
    assert "📊 Rank: not ranked yet" in card_text(card, "Eve", "en").splitlines()
