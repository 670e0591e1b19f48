"""Chats on a real database: settings and the move of a group to a supergroup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, DailyStats, LedgerEntry, Member
from services.chat_settings import BadSetting, update_section
from services.chats import ChatService, UnknownLanguage, UnknownTimezone
from services.clock import FrozenClock
from services.daystats import count_today
from services.faq import Faq, FaqEntry
from services.members import Sighting, record_sightings
from services.referral_rules import set_referral_reward
from services.welcome import Welcome, set_welcome_deletion

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def chats_in(session: AsyncSession) -> ChatService:
    return ChatService(session, FrozenClock(NOW), "Asia/Shanghai")


async def add_member(session: AsyncSession, chat_id: int, user_id: int, points: int) -> None:
    await record_sightings(session, [Sighting(chat_id, user_id, None, f"U{user_id}", NOW)])
    member = await session.get(Member, (chat_id, user_id))
    assert member is not None
    member.points = member.lifetime_points = points
    member.message_count = points
    session.add(
        LedgerEntry(chat_id=chat_id, user_id=user_id, delta=points, reason="admin",
                    idempotency_key=f"test:{chat_id}:{user_id}", created_at=NOW)
    )  # fmt: skip
    await session.flush()


async def test_settings_are_validated_and_stored(session: AsyncSession) -> None:
    chats = chats_in(session)
    profile = await chats.ensure(-1, "supergroup", "Fans")
    assert (profile.timezone, profile.language) == ("Asia/Shanghai", None)
    await chats.set_timezone(-1, "America/New_York")
    await chats.set_language(-1, "en")
    with pytest.raises(UnknownTimezone):
        await chats.set_timezone(-1, "Mars/Olympus")
    with pytest.raises(UnknownLanguage):
        await chats.set_language(-1, "fr")
    changed = await chats.profile(-1)
    assert changed is not None
    assert (changed.timezone, changed.language) == ("America/New_York", "en")


async def test_welcome_deletion_and_referral_reward_have_limits(session: AsyncSession) -> None:
    chats = chats_in(session)
    await chats.ensure(-1, "supergroup", "Fans")
    for bad in (4, 172_801):
        with pytest.raises(BadSetting):
            await set_welcome_deletion(session, -1, bad)
    with pytest.raises(BadSetting):
        await set_referral_reward(session, -1, 10_001)
    await set_welcome_deletion(session, -1, 30)
    await set_referral_reward(session, -1, 50)
    profile = await chats.profile(-1)
    assert profile is not None
    assert (profile.welcome.delete_after, profile.referral_rules.reward) == (30, 50)
    await set_welcome_deletion(session, -1, 0)  # keep welcomes
    assert (await chats.profile(-1)).welcome.delete_after == 0  # type: ignore[union-attr]


@dataclass(frozen=True)
class QuestRules:
    """A feature's rules as a new feature writes them: no field on ChatProfile."""

    reads: ClassVar[list[int]] = []
    weekly_bonus: int = 10

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> QuestRules:
        cls.reads.append(1)
        return cls(int((settings.get("quests") or {}).get("weekly_bonus", 10)))


async def test_a_feature_reads_its_section_through_the_profile_once(
    session: AsyncSession,
) -> None:
    chats = chats_in(session)
    await chats.ensure(-100, "supergroup", "Fans")
    await update_section(session, -100, "quests", {"weekly_bonus": 25})
    profile = await chats.profile(-100)
    assert profile is not None
    assert profile.rules(QuestRules) == QuestRules(25)
    assert profile.rules(QuestRules) is profile.rules(QuestRules)
    assert QuestRules.reads == [1]  # parsed once per profile, as the cached profile is reused
    await chats.ensure(-200, "supergroup", "Other")
    other = await chats.profile(-200)
    assert other is not None
    assert other.rules(QuestRules) == QuestRules()  # no section: its defaults


async def test_a_missing_right_is_noted_once_until_the_bot_gets_it(session: AsyncSession) -> None:
    chats = chats_in(session)
    await chats.ensure(-1, "supergroup", "Fans")
    invite, delete = "can_invite_users", "can_delete_messages"
    assert await chats.note_missing_rights(-1, [invite]) == [invite]
    assert await chats.note_missing_rights(-1, [invite, delete]) == [delete]
    assert await chats.note_missing_rights(-1, [invite, delete]) == []
    await chats.clear_missing_rights(-1, [invite])
    assert await chats.note_missing_rights(-1, [invite, delete]) == [invite]


async def test_migration_moves_every_row_to_the_supergroup(session: AsyncSession) -> None:
    chats = chats_in(session)
    await chats.ensure(-10, "group", "Basic")
    await chats.set_timezone(-10, "Europe/Paris")
    await add_member(session, -10, 1, 30)
    await add_member(session, -10, 2, 5)
    assert await chats.migrate(-10, -100_10) is True
    await session.commit()

    moved = await chats.profile(-100_10)
    assert moved is not None
    assert moved.timezone == "Europe/Paris"
    assert moved.type == "supergroup"
    old = await session.get(Chat, -10, populate_existing=True)
    assert old is not None
    assert old.active is False
    assert old.settings["migrated_to"] == -100_10
    assert await chats.count_members(-100_10) == 2
    assert await chats.count_members(-10) == 0
    ledger = await session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.chat_id == -100_10)
    )
    assert ledger == 2


async def test_migration_merges_members_already_seen_in_the_supergroup(
    session: AsyncSession,
) -> None:
    chats = chats_in(session)
    await chats.ensure(-20, "group", "Basic")
    await add_member(session, -20, 1, 30)
    await chats.ensure(-100_20, "supergroup", "Basic")
    await add_member(session, -100_20, 1, 2)  # spoke in the new supergroup before the move
    await chats.migrate(-20, -100_20)
    await session.commit()
    member = await session.get(Member, (-100_20, 1), populate_existing=True)
    assert member is not None
    assert member.points == 32
    assert member.message_count == 32
    assert await chats.count_members(-100_20) == 1


async def test_migration_adds_up_the_days_both_ids_counted(session: AsyncSession) -> None:
    chats = chats_in(session)
    await chats.ensure(-21, "group", "Basic")
    await chats.ensure(-100_21, "supergroup", "Basic")
    today, yesterday = NOW.date(), NOW.date() - timedelta(days=1)
    count_today(session, -21, NOW, "UTC", messages=5, joins=1)
    count_today(session, -21, NOW - timedelta(days=1), "UTC", messages=7)
    count_today(session, -100_21, NOW, "UTC", messages=2)  # the new id, before the move
    await session.commit()
    await chats.migrate(-21, -100_21)
    await session.commit()
    rows = await session.execute(
        select(DailyStats.chat_id, DailyStats.day, DailyStats.messages, DailyStats.joins)
        .order_by(DailyStats.day)
        .execution_options(populate_existing=True)
    )
    assert rows.all() == [(-100_21, yesterday, 7, 0), (-100_21, today, 7, 1)]


async def test_migrating_an_unknown_chat_does_nothing(session: AsyncSession) -> None:
    assert await chats_in(session).migrate(-30, -100_30) is False


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("shipping free", "format"), ("shipping |", "format"), ("| free", "format"),
     ("s | free", "keyword"), ("ship | " + "x" * 1001, "long")],
)  # fmt: skip
def test_faq_entries_need_keywords_a_bar_and_an_answer(raw: str, reason: str) -> None:
    with pytest.raises(BadSetting, match=reason):
        Faq.parse(raw)


def test_faq_finds_a_keyword_in_any_case() -> None:
    keywords, answer = Faq.parse("Shipping，运费 | Free over ¥99")
    assert keywords == ["Shipping", "运费"]
    faq = Faq((FaqEntry(1, tuple(keywords), answer),))
    found = faq.answer_for("what is the SHIPPING fee?")
    assert found is not None
    assert found[1] == "Shipping"
    assert faq.answer_for("运费多少") is not None
    assert faq.answer_for("nice photo") is None


@pytest.mark.parametrize(
    ("template", "reason"),
    [("  ", "empty"), ("x" * 1001, "long"), ("Hi {nick}", "placeholder:nick"),
     ("Hi {", "placeholder:{")],
)  # fmt: skip
def test_welcome_templates_are_checked(template: str, reason: str) -> None:
    with pytest.raises(BadSetting, match=reason):
        Welcome.check_template(template)
    assert Welcome.check_template(" Hi {name} of {group} ({count}) ") == (
        "Hi {name} of {group} ({count})"
    )
