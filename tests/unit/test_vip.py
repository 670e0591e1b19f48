"""Paid membership and VIP rooms on a real database: a room's rule read and checked, a payment
recorded once per charge, a renewal extending the membership, a refund ending it and taking
back its points, a lapse ending it; the plan's tier held whatever the points (discount,
multiplier and entry reward follow); the audit of the payments ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member, VipMembership
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.members import ensure_members
from services.reward_specs import RewardSpec
from services.shop import member_tier
from services.tiers import DEFAULT_TIERS, TierService
from services.vip import PERIOD, RENEWAL_WAIT, payload_of
from services.vip_audit import audit_payments
from services.vip_rules import Account, Rule, RuleError, parse_rule, qualifies, shortfall
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
BOB, CLEO = 11, 12


@pytest.mark.parametrize(
    ("words", "rule"),
    [
        ("gold", Rule(tier="gold")),
        ("Gold or paid", Rule(tier="gold", paid=True)),
        ("金牌 或 付费", Rule(tier="gold", paid=True)),
        ("spend>=500 | tag:VIP", Rule(spend_yuan=500, label="vip")),
        ("silver or gold", Rule(tier="silver")),
    ],
)
def test_a_rule_is_read_from_words(words: str, rule: Rule) -> None:
    parsed = parse_rule(words, DEFAULT_TIERS)
    assert parsed == rule
    assert Rule.stored(parsed.text()) == parsed


@pytest.mark.parametrize(("words", "reason"), [("", "empty"), ("platinum", "tier")])
def test_a_rule_that_is_none_says_why(words: str, reason: str) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(words, DEFAULT_TIERS)
    assert raised.value.reason == reason


def test_who_qualifies_and_what_the_others_lack() -> None:
    rule = Rule(tier="gold", paid=True)
    gold = Account(tier="gold", figure=2100, spent_yuan=0)
    short = Account(tier="silver", figure=1620, spent_yuan=0)
    assert qualifies(rule, gold, DEFAULT_TIERS)
    assert not qualifies(rule, short, DEFAULT_TIERS)
    assert qualifies(rule, Account(tier=None, figure=0, spent_yuan=0, paid=True), DEFAULT_TIERS)
    lacks = shortfall(rule, short, DEFAULT_TIERS, "points")
    assert (lacks.points, lacks.tier and lacks.tier.key, lacks.paid) == (380, "gold", True)


@pytest.fixture
async def factory(chat: int, session_pool: async_sessionmaker[AsyncSession]) -> ServiceFactory:
    services = ServiceFactory(FrozenClock(NOW), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        await ensure_members(session, [(GROUP, BOB), (GROUP, CLEO)])
        await services.points(session).change(GROUP, BOB, 10, reason="admin", key="seed:bob")
    return services


async def gold_plan(services: ServiceFactory, session: AsyncSession, points: int = 50) -> int:
    ladder = await TierService(session).ladder(GROUP)
    gold = next(t for t in ladder if t.key == "gold")
    plan = await services.vip(session).add_plan(GROUP, "Gold Club", 100, gold, points, by=1)
    return plan.id


async def test_a_payment_is_recorded_once_and_a_renewal_extends_the_membership(
    factory: ServiceFactory, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    ends = NOW + PERIOD
    async with session_pool() as session, session.begin():
        plan_id = await gold_plan(factory, session)
        vip = factory.vip(session)
        plan = await vip.plan_named(GROUP, "gold club")
        assert plan is not None
        assert plan.id == plan_id
        first = await vip.record_payment(BOB, payload_of(plan), "c1", 100, ends, first=True)
        again = await vip.record_payment(BOB, payload_of(plan), "c1", 100, ends, first=True)
    assert first is not None
    assert first.new
    assert again is not None
    assert not again.new
    async with session_pool() as session, session.begin():
        vip = factory.vip(session)
        renewed = await vip.record_payment(
            BOB, f"vip:{plan_id}", "c2", 100, ends + PERIOD, first=False
        )
        assert renewed is not None
        assert renewed.new
        (held,) = await vip.active(GROUP, BOB)
        assert held.expires_at == ends + PERIOD
        balance = await factory.points(session).member(GROUP, BOB)
        assert balance is not None
        assert balance.points == 110
        assert balance.tier == "gold"  # held by the plan, whatever the points
        figures = await vip.figures(GROUP, NOW - timedelta(days=1))
    assert (figures.active, figures.new, figures.renewed, figures.stars) == (
        [("Gold Club", 1)], 1, 1, 200,
    )  # fmt: skip
    async with session_pool() as session:
        assert await audit_payments(session) == []


async def test_the_held_tier_gives_its_perks_and_a_refund_takes_them_back(
    factory: ServiceFactory, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    async with session_pool() as session, session.begin():
        tiers = factory.tiers(session)
        await tiers.set(GROUP, "Gold", 2000, "discount=20% multiplier=1.5")
        plan_id = await gold_plan(factory, session, points=0)
        vip = factory.vip(session)
        await vip.record_payment(BOB, f"vip:{plan_id}", "c1", 100, NOW + PERIOD, first=True)
    async with session_pool() as session, session.begin():
        points = factory.points(session)
        tier, _ladder = await member_tier(factory.tiers(session), points, GROUP, BOB)
        assert tier is not None
        assert tier.discount == 20
        multipliers = await points.tier_multipliers([(GROUP, BOB), (GROUP, CLEO)])
        assert multipliers == {(GROUP, BOB): 150}
        refunded = await factory.vip(session).refunded("c1", "asked", by=1)
        assert refunded is not None
        assert await factory.vip(session).refunded("c1", "asked", by=1) is None  # once
    async with session_pool() as session:
        member = await session.get(Member, (GROUP, BOB))
        assert member is not None
        assert member.tier == "member"
        assert await factory.vip(session).active(GROUP, BOB) == []
        assert await audit_payments(session) == []


async def test_a_membership_not_renewed_lapses_and_the_tier_drops(
    factory: ServiceFactory, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    async with session_pool() as session, session.begin():
        plan_id = await gold_plan(factory, session)
        await factory.vip(session).record_payment(
            BOB, f"vip:{plan_id}", "c1", 100, NOW + PERIOD, first=True
        )
    renewing = ServiceFactory(FrozenClock(NOW + PERIOD + timedelta(minutes=1)), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        assert await renewing.vip(session).lapse_due() == []  # Telegram's renewal may be coming
    later = ServiceFactory(
        FrozenClock(NOW + PERIOD + RENEWAL_WAIT + timedelta(minutes=1)), "Asia/Shanghai"
    )
    async with session_pool() as session, session.begin():
        (lapsed,) = await later.vip(session).lapse_due()
        assert lapsed.user_id == BOB
        assert lapsed.status == "lapsed"
    async with session_pool() as session:
        member = await session.get(Member, (GROUP, BOB))
        assert member is not None
        assert member.tier == "member"
        assert await audit_payments(session) == []
        # The audit sees a membership whose end is not its payments'.
        await session.execute(
            update(VipMembership).values(status="active", expires_at=NOW + 3 * PERIOD)
        )
        problems = await audit_payments(session)
        assert len(problems) == 1
        assert "paid until" in problems[0]


async def test_a_cancelled_membership_lapses_at_its_end_without_waiting_for_a_renewal(
    factory: ServiceFactory, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    async with session_pool() as session, session.begin():
        plan_id = await gold_plan(factory, session)
        await factory.vip(session).record_payment(
            BOB, f"vip:{plan_id}", "c1", 100, NOW + PERIOD, first=True
        )
        membership = await session.scalar(select(VipMembership))
        assert membership is not None
        await factory.vip(session).mark_canceled(membership)
    ended = ServiceFactory(FrozenClock(NOW + PERIOD + timedelta(minutes=1)), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        (lapsed,) = await ended.vip(session).lapse_due()
        assert lapsed.user_id == BOB


async def test_a_room_warns_who_stopped_qualifying_and_invites_who_qualifies(
    factory: ServiceFactory, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    async with session_pool() as session, session.begin():
        rooms = factory.vip_rooms(session)
        room = await rooms.make(GROUP, GROUP, Rule(tier="silver"), by=1)
        look = await rooms.look(room)
        assert look.warn == [BOB, CLEO]  # 10 points and 0: neither is Silver
        await rooms.mark(GROUP, look.warn, warned_at=NOW, grace_until=look.grace_until)
        await factory.points(session).change(GROUP, CLEO, 600, reason="admin", key="up:cleo")
        again = await rooms.look(room)
        assert (again.warn, again.remove, again.cleared) == ([], [], [CLEO])
        verdict = await rooms.verdict(room, BOB)
        assert not verdict.admitted
        assert verdict.short.points == 490
    later = ServiceFactory(FrozenClock(NOW + timedelta(days=3, minutes=1)), "Asia/Shanghai")
    async with session_pool() as session:
        due = await later.vip_rooms(session).look(room)
        assert due.remove == [BOB]


async def test_a_paid_gold_gets_golds_entry_reward_once(
    factory: ServiceFactory, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    async with session_pool() as session, session.begin():
        pack = await factory.shop(session).add(GROUP, 1, RewardSpec("Gold pack", 0, kind="perk"))
        await factory.tiers(session).set(GROUP, "Gold", 2000, f"entry_reward={pack.id}")
        plan_id = await gold_plan(factory, session, points=0)
        vip = factory.vip(session)
        await vip.record_payment(BOB, f"vip:{plan_id}", "c1", 100, NOW + PERIOD, first=True)
        await vip.refunded("c1", "asked", by=1)
        await vip.record_payment(BOB, f"vip:{plan_id}", "c2", 100, NOW + PERIOD, first=True)
    async with session_pool() as session:
        received = await factory.shop(session).received(GROUP, BOB)
        assert [(r.source, reward.name) for r, reward, _code in received] == [("tier", "Gold pack")]
        assert await audit_payments(session) == []
