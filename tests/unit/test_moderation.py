"""Moderation on a real database and the guards' matching: the word filter for Chinese, the
flood watch, the settings' parsing; warnings to the limit, bans shared by linked groups,
verifications settled once, a ban's refund as a ledger row, and silenced members paid nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chats import ChatService
from services.checkin_results import Silenced
from services.checkins import CheckinService
from services.clock import FrozenClock
from services.guards import (
    BadRule,
    FloodWatch,
    ModerationRules,
    fold,
    new_challenge,
    parse_rule,
)
from services.moderation import ModerationService
from services.moderation_settings import add_filter, delete_filter
from services.points import PointsService
from services.points_audit import audit
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
OTHER, THIRD = -100_2, -100_3
SPAMMER, ADMIN = 77, 1


def service(session: AsyncSession, clock: FrozenClock) -> ModerationService:
    return ModerationService(session, clock, PointsService(session, clock, "Asia/Shanghai"))


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("加微信领红包", True),
        ("加 微 信 领红包", True),  # spaces inserted to evade
        ("加.微-信", True),
        ("ＶＸ：abc123", True),  # full-width letters
        ("Vx me", True),
        ("今天喝什么茶", False),
        ("vortex", False),
    ],
)
def test_the_word_filter_sees_through_spaces_widths_and_case(text: str, caught: bool) -> None:
    rules = ModerationRules.from_settings(
        {"moderation": {"filters": [{"id": 1, "word": "加微信", "action": "delete"},
                                    {"id": 2, "word": "V X", "action": "warn"}]}}
    )  # fmt: skip
    assert (rules.matching_filter(text) is not None) is caught
    assert fold("Ａ Ｂ　c") == "abc"


def test_the_flood_watch_trips_once_past_the_limit_within_the_window() -> None:
    rules = ModerationRules(flood_messages=8, flood_seconds=10)
    watch = FloodWatch()
    assert not any(watch.floods(GROUP, 1, t, t * 0.5, rules) for t in range(8))
    assert watch.floods(GROUP, 1, 8, 4.0, rules)  # the 9th in 4 s
    assert watch.floods(GROUP, 1, 8, 4.0, rules)  # asked again of the same message: the same
    assert not watch.floods(GROUP, 1, 7, 4.0, rules)  # an older one: noted before, not this
    assert not watch.floods(GROUP, 1, 9, 4.1, rules)  # told once; the mute does the rest
    slow = FloodWatch()
    assert not any(slow.floods(GROUP, 2, t, t * 2.0, rules) for t in range(30))  # one in 2 s
    off = ModerationRules()  # off until turned on
    assert not any(FloodWatch().floods(GROUP, 3, n, 0.0, off) for n in range(50))


def test_settings_parse_to_stored_values_and_refuse_the_rest() -> None:
    assert parse_rule("verify", ["math"]) == {"verify": "math"}
    assert parse_rule("verify", ["time", "3m"]) == {"verify_seconds": 180}
    assert parse_rule("flood", ["5", "10s"]) == {"flood_messages": 5, "flood_seconds": 10}
    assert parse_rule("flood", ["off"]) == {"flood_messages": 0}
    assert parse_rule("flood", ["on"]) == {"flood_messages": 8, "flood_seconds": 10}
    assert parse_rule("links", ["allow", "taobao.com,", "WWW.Tmall.com"]) == {
        "allow": ["taobao.com", "tmall.com"]
    }
    assert parse_rule("warns", ["2", "ban"]) == {"warn_limit": 2, "warn_action": "ban"}
    assert parse_rule("night", ["23:00", "7:00"]) == {"night": ["23:00", "07:00"]}
    assert parse_rule("log_channel", ["-1001234"]) == {"log_channel": -1001234}
    for section, args in (
        ("verify", ["captcha"]), ("verify", ["time", "5s"]), ("flood", ["1", "10s"]),
        ("links", ["allow", "not a domain"]), ("warns", ["0", "mute"]),
        ("night", ["23:00", "23:00"]), ("log_channel", ["1234"]), ("night", ["25:00", "7:00"]),
    ):  # fmt: skip
        with pytest.raises(BadRule):
            parse_rule(section, args)
    rules = ModerationRules(allow=("taobao.com",))
    assert rules.allows_domain("item.taobao.com")
    assert not rules.allows_domain("taobao.com.evil.example")


def test_a_sum_has_its_answer_among_four_choices() -> None:
    challenge = new_challenge("math", random.Random(7))
    assert challenge.question is not None
    a, b = (int(n) for n in challenge.question.split(" + "))
    assert challenge.answer == str(a + b)
    assert len(set(challenge.choices)) == 4
    assert challenge.answer in challenge.choices
    assert new_challenge("button").choices == ()


async def test_filters_are_added_once_and_deleted_by_number_or_word(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        first = await add_filter(session, GROUP, "加微信", "warn")
        await add_filter(session, GROUP, "代 购", "delete")
        with pytest.raises(BadRule, match="twice"):
            await add_filter(session, GROUP, "加 微 信", "ban")
        with pytest.raises(BadRule, match="short"):
            await add_filter(session, GROUP, "！", "delete")
        with pytest.raises(BadRule, match="action"):
            await add_filter(session, GROUP, "spam", "explode")
    async with session_pool() as session, session.begin():
        chats = ChatService(session, clock, "Asia/Shanghai")
        profile = await chats.profile(GROUP)
        assert profile is not None
        assert [f.word for f in profile.moderation.filters] == ["加微信", "代 购"]
        assert (await delete_filter(session, GROUP, str(first.id))) is not None
        assert (await delete_filter(session, GROUP, "代购")) is not None  # by its word, folded
        assert await delete_filter(session, GROUP, "9") is None


async def test_warnings_reach_the_limit_once_and_unwarn_lifts_the_newest(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        moderation = service(session, clock)
        assert (await moderation.warn(GROUP, SPAMMER, ADMIN, "ads", 3)).count == 1
        assert (await moderation.warn(GROUP, SPAMMER, ADMIN, None, 3)).count == 2
        assert await moderation.unwarn(GROUP, SPAMMER) == 1
        assert (await moderation.warn(GROUP, SPAMMER, ADMIN, "again", 3)).count == 2
        reached = await moderation.warn(GROUP, SPAMMER, ADMIN, "third", 3)
        assert reached.reached
        assert await moderation.warnings(GROUP, SPAMMER) == []  # lifted: a fresh start
        assert await moderation.unwarn(GROUP, SPAMMER) is None


async def test_a_ban_in_a_linked_group_applies_in_all_and_is_lifted_everywhere(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        chats = ChatService(session, clock, "Asia/Shanghai")
        for other in (OTHER, THIRD):
            await chats.ensure(other, "supergroup", str(other))
        moderation = service(session, clock)
        assert await moderation.network_of(GROUP) == [GROUP]
        assert sorted(await moderation.link(GROUP, OTHER, ADMIN)) == sorted([GROUP, OTHER])
        assert len(await moderation.link(THIRD, OTHER, ADMIN)) == 3  # networks merge
        groups = await moderation.ban(OTHER, SPAMMER, None, "spam farm")
        assert sorted(groups) == sorted([GROUP, OTHER, THIRD])
    async with session_pool() as session, session.begin():
        moderation = service(session, clock)
        for group in (GROUP, OTHER, THIRD):
            assert await moderation.banned(group, SPAMMER) is not None
        assert len(await moderation.unban(THIRD, SPAMMER)) == 3
        assert await moderation.banned(GROUP, SPAMMER) is None
        assert await moderation.unlink(THIRD)
        assert sorted(await moderation.network_of(GROUP)) == sorted([GROUP, OTHER])


async def test_a_timed_ban_lapses(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await service(session, clock).ban(GROUP, SPAMMER, NOW + timedelta(hours=1), None)
    clock.set(clock.now() + timedelta(hours=2))
    async with session_pool() as session:
        assert await service(session, clock).banned(GROUP, SPAMMER) is None


async def test_a_verification_is_settled_once_and_expires_once(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        moderation = service(session, clock)
        await moderation.challenge(GROUP, 5, "join", "Five", "7", 120)
        await moderation.challenge(GROUP, 6, "join", "Six", None, 120)
    async with session_pool() as session, session.begin():
        moderation = service(session, clock)
        assert await moderation.settle(GROUP, 5, "passed") is not None
        assert await moderation.settle(GROUP, 5, "failed") is None  # a second press
        assert await moderation.due() == []  # not yet
    clock.set(clock.now() + timedelta(minutes=3))
    async with session_pool() as session, session.begin():
        failed = await service(session, clock).due()
        assert [v.user_id for v in failed] == [6]
    async with session_pool() as session, session.begin():
        assert await service(session, clock).due() == []  # once
        # Coming back asks again.
        await service(session, clock).challenge(GROUP, 6, "join", "Six", None, 120)
        assert await service(session, clock).pending(GROUP, 6) is not None


async def test_a_bans_refund_takes_back_the_last_day_as_one_ledger_row(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, "Asia/Shanghai")
        await points.change(GROUP, SPAMMER, 30, reason="message", key="old")
        clock.set(clock.now() + timedelta(hours=30))
        await points.change(GROUP, SPAMMER, 12, reason="message", key="recent")
        await points.change(GROUP, SPAMMER, 50, reason="admin", key="grant")  # not earned
    async with session_pool() as session, session.begin():
        moderation = service(session, clock)
        assert await moderation.take_back_day(GROUP, SPAMMER, ADMIN, "ban:1") == 12
        assert await moderation.take_back_day(GROUP, SPAMMER, ADMIN, "ban:1") == 12  # once
        balance = await moderation.points.balance(GROUP, SPAMMER)
        assert balance.points == 30 + 50
        assert await audit(session) == []


async def test_a_silenced_member_signs_in_for_nothing_until_the_mute_ends(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await service(session, clock).silence([GROUP], SPAMMER, NOW + timedelta(minutes=10))
    async with session_pool() as session, session.begin():
        profile = await ChatService(session, clock, "Asia/Shanghai").profile(GROUP)
        assert profile is not None
        checkins = CheckinService(session, clock, PointsService(session, clock, "Asia/Shanghai"))
        result = await checkins.check_in(GROUP, SPAMMER, profile.timezone, profile.checkin_rules)
        assert isinstance(result, Silenced)
    clock.set(clock.now() + timedelta(minutes=11))
    async with session_pool() as session, session.begin():
        checkins = CheckinService(session, clock, PointsService(session, clock, "Asia/Shanghai"))
        result = await checkins.check_in(GROUP, SPAMMER, profile.timezone, profile.checkin_rules)
        assert not isinstance(result, Silenced)
        assert result.reward > 0  # type: ignore[union-attr]
