"""Paid membership and VIP rooms, the review's findings on a real database: a refund of an
earlier month's charge leaves the month paid since, a room follows its group into another
program, /forgetme clears what an admin wrote about a refund."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Chat, Member, VipPayment
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.members import ensure_members
from services.tiers import TierService
from services.vip import PERIOD
from services.vip_audit import audit_payments
from services.vip_rules import Rule
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
BOB = 11
OTHER = -100777  # another brand's founding group


async def services_with_bob(session_pool: async_sessionmaker[AsyncSession]) -> ServiceFactory:
    services = ServiceFactory(FrozenClock(NOW), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        await ensure_members(session, [(GROUP, BOB)])
    return services


async def gold_plan(services: ServiceFactory, session: AsyncSession, points: int = 50) -> int:
    gold = next(t for t in await TierService(session).ladder(GROUP) if t.key == "gold")
    plan = await services.vip(session).add_plan(GROUP, "Gold Club", 100, gold, points, by=1)
    return plan.id


async def test_refunding_last_months_charge_keeps_this_months_paid_membership(
    chat: int, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    services = await services_with_bob(session_pool)
    async with session_pool() as session, session.begin():
        plan_id = await gold_plan(services, session)
        vip = services.vip(session)
        await vip.record_payment(BOB, f"vip:{plan_id}", "c1", 100, NOW, first=True)
        await vip.record_payment(BOB, f"vip:{plan_id}", "c2", 100, NOW + PERIOD, first=False)
    async with session_pool() as session, session.begin():
        assert await services.vip(session).refunded("c1", "asked", by=1) is not None
    async with session_pool() as session:
        (held,) = await services.vip(session).active(GROUP, BOB)  # c2 still pays this month
        assert held.expires_at == NOW + PERIOD
        member = await session.get(Member, (GROUP, BOB))
        assert member is not None
        assert (member.points, member.tier) == (50, "gold")  # c1's 50 taken back, c2's kept
        assert await audit_payments(session) == []
    async with session_pool() as session, session.begin():
        assert await services.vip(session).refunded("c2", "asked", by=1) is not None
    async with session_pool() as session:
        assert await services.vip(session).active(GROUP, BOB) == []
        assert await audit_payments(session) == []


async def test_a_room_goes_by_the_program_its_group_is_in_now(
    chat: int, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    services = await services_with_bob(session_pool)
    async with session_pool() as session, session.begin():
        await services.points(session).change(GROUP, BOB, 2500, reason="admin", key="seed:bob")
        await services.vip_rooms(session).make(GROUP, GROUP, Rule(tier="gold"), by=1)
        await services.chats(session).ensure(OTHER, "supergroup", "Other brand")
        await ensure_members(session, [(OTHER, BOB)])
        # The room's group joins another brand's program: Bob has nothing there.
        await session.execute(update(Chat).where(Chat.id == GROUP).values(program_id=OTHER))
    async with session_pool() as session:
        rooms = services.vip_rooms(session)
        room = await rooms.room(GROUP)
        assert room is not None
        assert room.program_id == OTHER
        assert not (await rooms.verdict(room, BOB)).admitted
        assert [r.chat_id for r in await rooms.rooms(OTHER)] == [GROUP]
        assert await rooms.rooms(GROUP) == []


async def test_forgetme_clears_what_an_admin_wrote_of_a_refund_and_keeps_the_payment(
    chat: int, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    services = await services_with_bob(session_pool)
    async with session_pool() as session, session.begin():
        plan_id = await gold_plan(services, session)
        vip = services.vip(session)
        await vip.record_payment(BOB, f"vip:{plan_id}", "c1", 100, NOW + PERIOD, first=True)
        await vip.refunded("c1", "Bob says his card was stolen", by=1)
    async with session_pool() as session, session.begin():
        await services.erasure(session).erase(BOB, requested_by=BOB)
    async with session_pool() as session:
        payment = await services.vip(session).payment("c1")
        assert payment is not None
        assert (payment.stars, payment.refund_reason) == (100, None)
        assert payment.refunded_at is not None
        assert await session.get(VipPayment, payment.id) is not None


async def test_a_refund_takes_back_what_the_charge_paid_on_a_multiplying_tier(
    chat: int, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    services = await services_with_bob(session_pool)
    async with session_pool() as session, session.begin():
        await services.tiers(session).set(GROUP, "Gold", 2000, "multiplier=1.5")
        plan_id = await gold_plan(services, session, points=100)
        vip = services.vip(session)
        await vip.record_payment(BOB, f"vip:{plan_id}", "c1", 100, NOW, first=True)
        # Renewed while Gold (held by the plan): the plan pays its 100, not 150.
        await vip.record_payment(BOB, f"vip:{plan_id}", "c2", 100, NOW + PERIOD, first=False)
    async with session_pool() as session:
        member = await session.get(Member, (GROUP, BOB))
        assert member is not None
        assert member.points == 200
    async with session_pool() as session, session.begin():
        await services.vip(session).refunded("c2", "asked", by=1)
    async with session_pool() as session:
        member = await session.get(Member, (GROUP, BOB))
        assert member is not None
        assert member.points == 100  # what c1 paid, no more


async def test_a_warned_member_who_left_and_came_back_gets_a_fresh_grace_period(
    chat: int, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    services = await services_with_bob(session_pool)
    async with session_pool() as session, session.begin():
        rooms = services.vip_rooms(session)
        room = await rooms.make(GROUP, GROUP, Rule(tier="silver"), by=1)
        look = await rooms.look(room)
        assert look.warn == [BOB]
        await rooms.mark(GROUP, look.warn, warned_at=NOW, grace_until=look.grace_until)
        await session.execute(
            update(Member).where(Member.user_id == BOB).values(left_at=NOW + timedelta(hours=1))
        )
    later = ServiceFactory(FrozenClock(NOW + timedelta(hours=2)), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        rooms = later.vip_rooms(session)
        away = await rooms.look(room)  # he left: his warning goes with him
        assert away.cleared == [BOB]
        await rooms.mark(GROUP, away.cleared, warned_at=None, grace_until=None)
    back = ServiceFactory(FrozenClock(NOW + timedelta(days=10)), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        await session.execute(update(Member).where(Member.user_id == BOB).values(left_at=None))
    async with session_pool() as session:
        again = await back.vip_rooms(session).look(room)
        assert (again.warn, again.remove) == ([BOB], [])  # told again, not removed at once
