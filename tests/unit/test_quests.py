"""Missions, badges, seasons and the points economy (issue 37) on a real database: each mission
and set pays once per period however often it is settled; the weekly streak pays more; the
background look settles who moved and gives milestone badges; a draw's `badge=`; a season
closes once at its boundary in the program's time zone, staff left out; the economy reads the
ledger by source; the audit covers mission rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.seasons import program_staff
from infrastructure.i18n import create_i18n
from models import Chat, Event, EventSeat, LedgerEntry, OutboxMessage, QuestCompletion
from services.badges import FIRST_BUY, SEASON_TOP10, BadgeError, BadgeService, badge_name
from services.chats import ChatService
from services.clock import FrozenClock
from services.draw_entries import JoinOutcome, JoinRequest
from services.draw_specs import DrawInputError, parse_draw
from services.draws import DrawService, JoinGroupCommit
from services.economy import EconomyService
from services.event_door import Door, EventDoor
from services.factory import ServiceFactory
from services.members import ensure_members
from services.points import PointsService
from services.points_audit import audit
from services.pushes import Audience, PushService, parse_audience
from services.quest_rules import (
    Mission,
    MissionSet,
    QuestInputError,
    QuestRules,
    parse_set,
    set_missions,
    set_streak,
)
from services.quest_sweep import sweep
from services.quests import QuestService, window
from services.quests_audit import audit_quests
from services.seasons import SeasonRules, SeasonService, previous_period
from services.tiers import TierService
from tests.unit.conftest import GROUP
from views.member_card import card_text
from views.member_centre import centre_page

SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 12, 9, 4, 0, tzinfo=UTC)  # a Wednesday, noon in Shanghai
BOB, CLEO, ADMIN = 5, 6, 7
DAILY = MissionSet((Mission("checkin", 1, 5), Mission("messages", 2, 3)), bonus=10)


def test_a_set_is_read_from_its_command() -> None:
    chosen = parse_set(["checkin=5", "messages:2=3", "bonus=10"])
    assert chosen == DAILY
    assert parse_set(["off"]) == MissionSet()
    for words, field in [
        (["dance=5"], "template"), (["checkin"], "template"), (["messages:0=5"], "count"),
        (["checkin=0"], "points"), (["checkin=5", "bonus=99999"], "bonus"), ([], "missions"),
    ]:  # fmt: skip
        with pytest.raises(QuestInputError, match=field):
            parse_set(words)


async def earn(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int,
               reason: str, n: int = 1) -> None:  # fmt: skip
    async with pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        for _ in range(n):
            key = f"{reason}:{user}:{await session.scalar(select(func.count(LedgerEntry.id)))}"
            await points.change(GROUP, user, 1, reason=reason, key=key)


async def settle(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, rules: QuestRules,
                 users: list[int]) -> list[str]:  # fmt: skip
    async with pool() as session, session.begin():
        quests = QuestService(session, clock, PointsService(session, clock, SHANGHAI))
        return [done.quest for done in await quests.settle(GROUP, users, rules, SHANGHAI)]


async def test_each_mission_and_the_set_pay_once_a_day(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    rules = QuestRules(daily=DAILY)
    await earn(session_pool, clock, BOB, "checkin")
    await earn(session_pool, clock, BOB, "message")
    assert await settle(session_pool, clock, rules, [BOB]) == ["checkin"]
    await earn(session_pool, clock, BOB, "message")
    assert await settle(session_pool, clock, rules, [BOB]) == ["messages", "set:daily"]
    assert await settle(session_pool, clock, rules, [BOB]) == []  # a second look pays nothing
    async with session_pool() as session:
        quests = QuestService(session, clock, PointsService(session, clock, SHANGHAI))
        progress = await quests.progress(GROUP, BOB, rules, SHANGHAI)
        assert [m.done for m in progress.sets[0].missions] == [1, 2]
        assert progress.sets[0].completed
        balance = await PointsService(session, clock, SHANGHAI).balance(GROUP, BOB)
        assert balance.points == 3 + 5 + 3 + 10
        assert await audit(session) == []
        assert await audit_quests(session) == []
    clock.set(NOW + timedelta(days=1))  # the next day in Shanghai: the set starts again
    await earn(session_pool, clock, BOB, "checkin")
    assert await settle(session_pool, clock, rules, [BOB]) == ["checkin"]


async def test_weeks_in_a_row_pay_more(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    rules = QuestRules(weekly=MissionSet((Mission("checkin", 1, 5),), bonus=20), streak=10)
    paid = []
    for week in range(3):
        clock.set(NOW + timedelta(weeks=week))
        await earn(session_pool, clock, BOB, "checkin")
        async with session_pool() as session, session.begin():
            quests = QuestService(session, clock, PointsService(session, clock, SHANGHAI))
            done = await quests.settle(GROUP, [BOB], rules, SHANGHAI)
            paid.append([(d.quest, d.points, d.streak) for d in done])
    assert paid == [
        [("checkin", 5, 0), ("set:weekly", 20, 1)],
        [("checkin", 5, 0), ("set:weekly", 30, 2)],
        [("checkin", 5, 0), ("set:weekly", 40, 3)],
    ]


async def test_the_background_look_settles_who_moved_and_tells_them_privately(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await set_missions(session, GROUP, "daily", MissionSet((Mission("checkin", 1, 5),)))
        await set_streak(session, GROUP, 5)
        await ChatService(session, clock, SHANGHAI).ensure(BOB, "private", "Bob")
    await earn(session_pool, clock, BOB, "checkin")
    await earn(session_pool, clock, CLEO, "checkin")
    await earn(session_pool, clock, BOB, "purchase")
    for _ in range(2):  # a second look finds nothing new
        async with session_pool() as session, session.begin():
            await sweep(session, clock, PointsService(session, clock, SHANGHAI))
    async with session_pool() as session:
        done = await session.scalars(select(QuestCompletion.user_id).order_by("user_id"))
        assert list(done) == [BOB, CLEO]
        told = await session.scalars(select(OutboxMessage.chat_id).where(
            OutboxMessage.kind == "quest_done"))  # fmt: skip
        assert list(told) == [BOB]  # Cleo never started the bot
        assert await BadgeService(session, clock).of_member(GROUP, BOB) == [FIRST_BUY]
        assert await audit_quests(session) == []


async def test_a_badge_draw_lets_in_only_its_holders(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    spec = parse_draw("Cap badge=VIP", NOW, SHANGHAI, [])
    assert spec.label == "badge:vip"
    with pytest.raises(DrawInputError, match="badge"):
        parse_draw("Cap badge=vip tag=高潜", NOW, SHANGHAI, [])
    with pytest.raises(DrawInputError, match="tag"):  # a tag read as a badge: its holders in
        parse_draw("Cap tag=badge:vip", NOW, SHANGHAI, [])
    with pytest.raises(BadgeError):
        badge_name("x" * 15)
    async with session_pool() as session, session.begin():
        draws = DrawService(session, clock, PointsService(session, clock))
        draw_id = (await draws.create(GROUP, ADMIN, spec)).id
        badges = BadgeService(session, clock)
        assert await badges.give(GROUP, BOB, "vip", ADMIN)
        assert not await badges.give(GROUP, BOB, "vip", ADMIN)
        assert await badges.give(GROUP, CLEO, "vip", ADMIN)
        assert await badges.take(GROUP, CLEO, "vip")
    group_commit = JoinGroupCommit(session_pool, clock)
    assert (await group_commit.join(JoinRequest(draw_id, GROUP, BOB))).outcome == JoinOutcome.JOINED
    assert (await group_commit.join(JoinRequest(draw_id, GROUP, CLEO))).outcome == JoinOutcome.LABEL


def test_the_season_before_is_the_zones_week() -> None:
    # 2027-02-01 03:00 UTC is Monday in Shanghai but still Sunday in New York.
    moment = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)
    assert previous_period("week", moment, SHANGHAI) == "w:2027-W04"
    assert previous_period("week", moment, "America/New_York") == "w:2027-W03"
    assert previous_period("month", moment, SHANGHAI) == "m:2027-01"
    assert previous_period("month", moment, "America/New_York") == "m:2026-12"


async def test_a_season_closes_once_staff_left_out(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        seasons = SeasonService(session, clock, PointsService(session, clock, SHANGHAI))
        await seasons.set(GROUP, "week", 1, None, SHANGHAI)
    await earn(session_pool, clock, ADMIN, "admin", 9)
    await earn(session_pool, clock, BOB, "message", 3)
    await earn(session_pool, clock, CLEO, "message", 2)
    clock.set(NOW + timedelta(weeks=1))
    async with session_pool() as session, session.begin():
        seasons = SeasonService(session, clock, PointsService(session, clock, SHANGHAI))
        founding = await session.get(Chat, GROUP)
        assert founding is not None
        rules = SeasonRules.from_settings(founding.settings)
        period = await seasons.due(GROUP, rules, SHANGHAI)
        assert period == window("weekly", NOW, SHANGHAI).period
        closed = await seasons.close(GROUP, period, rules, SHANGHAI, {ADMIN})
        assert [p.user_id for p in closed] == [BOB]
        assert await seasons.close(GROUP, period, rules, SHANGHAI, {ADMIN}) == []
        assert await seasons.due(GROUP, rules, SHANGHAI) is None
        badges = BadgeService(session, clock)
        assert await badges.holders(GROUP, SEASON_TOP10, [BOB, CLEO, ADMIN]) == {BOB, CLEO}
        posts = await session.scalar(select(func.count()).where(
            OutboxMessage.kind == "season_winners"))  # fmt: skip
        assert posts == 1


async def test_the_economy_reads_the_ledger_by_source(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await earn(session_pool, clock, BOB, "message", 3)
    await earn(session_pool, clock, BOB, "quest", 2)
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        await points.change(GROUP, BOB, -4, reason="shop", key="spent")
    clock.set(NOW + timedelta(days=8))
    await earn(session_pool, clock, BOB, "checkin", 1)
    async with session_pool() as session:
        economy = await EconomyService(session, clock).report(GROUP)
    assert dict(economy.this_week.issued) == {"signin": 1}
    assert dict(economy.last_week.issued) == {"messages": 3, "quests": 2}
    assert dict(economy.last_week.spent) == {"shop": 4}
    assert (economy.held, economy.held_week_ago, economy.holders) == (2, 1, 1)


async def test_a_dice_stake_given_back_is_neither_issued_nor_spent(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await earn(session_pool, clock, BOB, "message", 10)
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        await points.change(GROUP, BOB, -5, reason="dice_stake", key="held")
        await points.change(GROUP, BOB, 5, reason="dice_stake", key="given back")
        await points.change(GROUP, BOB, -3, reason="dice_stake", key="held, lost")
        await points.change(GROUP, BOB, 4, reason="vip", key="a plan's points")
    async with session_pool() as session:
        economy = await EconomyService(session, clock).report(GROUP)
    assert dict(economy.this_week.issued) == {"messages": 10, "purchases": 4}
    assert dict(economy.this_week.spent) == {"games": 3}
    assert (economy.held, economy.held_week_ago) == (11, 0)


@pytest.mark.parametrize(
    ("word", "audience"),
    [("badge:VIP", Audience("badge", "vip")), ("徽章：赛季前十", Audience("badge", "season_top10")),
     ("badge:" + "x" * 15, None)],
)  # fmt: skip
def test_push_reads_a_badge_audience(word: str, audience: Audience | None) -> None:
    assert parse_audience(word, []) == audience


async def test_a_badge_push_reaches_its_holders(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ensure_members(session, [(GROUP, user) for user in (41, 42, 43)])
        chats = ChatService(session, clock, SHANGHAI)
        for user in (41, 42, 43):
            await chats.ensure(user, "private", str(user))
            if user != 43:
                await BadgeService(session, clock).give(GROUP, user, "vip", ADMIN)
    async with session_pool() as session, session.begin():
        pushes = PushService(session, clock, TierService(session))
        assert (await pushes.reach(GROUP, Audience("badge", "vip"), SHANGHAI)).count == 2


async def test_me_and_the_mini_app_show_badges_and_missions(session_pool, chat) -> None:
    factory = ServiceFactory(FrozenClock(NOW), SHANGHAI)
    async with session_pool() as session, session.begin():
        await set_missions(session, GROUP, "daily", DAILY)
        await factory.badges(session).give(GROUP, BOB, FIRST_BUY, None, "milestone")
        await factory.badges(session).give(GROUP, BOB, "<vip>", ADMIN)
        await factory.points(session).change(GROUP, BOB, 5, reason="checkin", key="signed")
    i18n = create_i18n("en")
    async with session_pool() as session:
        profile = await factory.chats(session).profile(GROUP)
        assert profile is not None
        card = await factory.member_cards(session).card(profile, BOB)
        centre = await factory.member_centre(session).centre(profile, BOB)
    with i18n.context(), i18n.use_locale("en"):
        text = card_text(card, "Bob", "en")
        facts = centre_page(centre, "Bob", "en", SHANGHAI)["header"]["facts"]  # type: ignore[index]
    assert "🎖 Badges: &lt;vip&gt; · First purchase" in text.splitlines()
    assert "✅ Sign in 1/1 · +5" in text.splitlines()
    assert facts[-2:] == ["🎖 Badges: <vip> · First purchase", "🎯 Daily missions 1/2"]


async def test_an_admins_badge_is_the_members_tag_before_the_tier(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    factory = ServiceFactory(clock)
    async with session_pool() as session, session.begin():
        await factory.member_tags(session).switch(GROUP, True, "en")
        await ensure_members(session, [(GROUP, BOB)])
        await factory.points(session).change(GROUP, BOB, 150, reason="admin", key="bronze")
        await factory.badges(session).give(GROUP, BOB, FIRST_BUY, None, "milestone")
    async with session_pool() as session:
        assert (await factory.member_tags(session).wanted(GROUP, BOB, "en")).tag == "Bronze"
    async with session_pool() as session, session.begin():
        await factory.badges(session).give(GROUP, BOB, "vip", ADMIN)
    async with session_pool() as session:
        assert (await factory.member_tags(session).wanted(GROUP, BOB, "en")).tag == "vip"


async def test_the_look_reads_a_row_committed_after_a_higher_id_was_read(
    session_pool, chat
) -> None:
    """On PostgreSQL Bob's row (a lower id) can commit after Cleo's (a higher one) was read:
    the cursor must not have passed it."""
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await set_missions(session, GROUP, "daily", MissionSet((Mission("checkin", 1, 5),)))
    await earn(session_pool, clock, CLEO, "checkin")
    async with session_pool() as session, session.begin():  # Cleo's row gets a high id
        await session.execute(update(LedgerEntry).values(id=LedgerEntry.id + 100))
        await sweep(session, clock, PointsService(session, clock, SHANGHAI))
    await earn(session_pool, clock, BOB, "checkin")
    async with session_pool() as session, session.begin():  # Bob's, written earlier: a low id
        await session.execute(update(LedgerEntry).where(LedgerEntry.user_id == BOB)
                              .values(id=1, created_at=NOW - timedelta(seconds=5)))  # fmt: skip
    clock.set(NOW + timedelta(seconds=30))
    async with session_pool() as session, session.begin():
        await sweep(session, clock, PointsService(session, clock, SHANGHAI))
    async with session_pool() as session:
        done = await session.scalars(select(QuestCompletion.user_id).order_by("user_id"))
        assert list(done) == [BOB, CLEO]
    clock.set(NOW + timedelta(minutes=10))  # both rows settled: the cursor moves past them
    async with session_pool() as session, session.begin():
        assert await sweep(session, clock, PointsService(session, clock, SHANGHAI)) == 4  # + pay
        assert await sweep(session, clock, PointsService(session, clock, SHANGHAI)) == 0


async def test_a_ticket_checked_in_counts_for_the_event_mission(session_pool, chat) -> None:
    """The events feature's door (`EventDoor.check_in`) is read by the look: no call needed,
    and a `record(…, "event", …)` besides would not count the same attendance twice."""
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await set_missions(session, GROUP, "daily", MissionSet((Mission("event", 1, 7),)))
        event = Event(chat_id=GROUP, program_id=GROUP, title="Meet", starts_at=NOW,
                      ends_at=NOW + timedelta(hours=2), created_at=NOW)  # fmt: skip
        session.add(event)
        await session.flush()
        session.add(EventSeat(event_id=event.id, program_id=GROUP, user_id=BOB, position=1,
                              status="confirmed", code="ABC123", created_at=NOW,
                              changed_at=NOW))  # fmt: skip
    async with session_pool() as session, session.begin():
        await sweep(session, clock, PointsService(session, clock, SHANGHAI))  # not yet come
    clock.set(NOW + timedelta(minutes=5))
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        came = await EventDoor(session, clock, points).check_in("abc-123", ADMIN, 0)
        assert came.outcome == Door.CHECKED_IN
    clock.set(NOW + timedelta(minutes=6))
    async with session_pool() as session, session.begin():
        await sweep(session, clock, PointsService(session, clock, SHANGHAI))
    async with session_pool() as session:
        done = await session.scalars(select(QuestCompletion.quest))
        assert list(done) == ["event"]
    async with session_pool() as session, session.begin():
        quests = QuestService(session, clock, PointsService(session, clock, SHANGHAI))
        await quests.record(GROUP, BOB, "event", "ticket:1")  # the same attendance reported
        progress = await quests.progress(GROUP, BOB, QuestRules(daily=MissionSet(
            (Mission("event", 2, 7),))), SHANGHAI)  # fmt: skip
        assert progress.sets[0].missions[0].done == 1  # once, however it was reported


class FakeAdmins:  # Telegram's admin lists (no database behind it)
    def __init__(self, admins: dict[int, frozenset[int]]) -> None:
        self.admins = admins

    async def admins_of(self, _bot: object, chat_id: int) -> frozenset[int]:
        return self.admins[chat_id]


async def test_the_season_board_leaves_out_every_groups_admins(session_pool, chat) -> None:
    """/season in one group hid only that group's admins: another group's admin led it."""
    other = GROUP - 1
    async with session_pool() as session, session.begin():
        await ChatService(session, FrozenClock(NOW), SHANGHAI).ensure(other, "supergroup", "B")
        found = await session.get(Chat, other)
        assert found is not None
        found.program_id = GROUP
    admins = FakeAdmins({GROUP: frozenset({ADMIN}), other: frozenset({BOB})})
    async with session_pool() as session:
        staff = await program_staff(session, FrozenClock(NOW), None, admins, GROUP)  # type: ignore[arg-type]
    assert staff == {ADMIN, BOB}
