"""Distributors when one program joins another (`/program join`), on a real database: their rows,
codes, commissions and commission ledger move to the program that stays; a distributor of both
has their sums added up; a code held in both stays where it was and is reported; the commission
of an order kept apart as a copy is voided, so one real order pays commission once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Commission, Distributor, DistributorCode
from services.chats import ChatService
from services.clock import FrozenClock
from services.commission import Sums
from services.commission_figures import audit_commission
from services.distributors import DistributorService
from services.factory import ServiceFactory
from services.order_files import OrderLine, OrderStatus
from services.order_rules import OrderRules
from services.orders import Source
from services.points_audit import audit
from tests.unit.conftest import GROUP

SECOND = -100_2  # a second group of the brand, a program of its own until it joins
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
ADMIN, ANN, BEN, BUYER = 7, 11, 12, 42
RULES = OrderRules()


async def seller(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, program: int,
                 user: int, rate_bp: int, *codes: str) -> None:  # fmt: skip
    async with pool() as session, session.begin():
        service = DistributorService(session, clock)
        await service.add(program, user, rate_bp, by=ADMIN)
        assert await service.add_codes(program, user, codes) == []


async def sold(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, program: int,
               order_id: str, fen: int, coupon: str) -> None:  # fmt: skip
    line = OrderLine(0, order_id, "小明", fen, OrderStatus.PAID, clock.now(), coupon, 0)
    async with pool() as session, session.begin():
        await ServiceFactory(clock).orders(session).record(
            program, [line], source=Source.ADMIN, rules=RULES, timezone="Asia/Shanghai",
            user_id=BUYER,
        )  # fmt: skip


async def sums(pool: async_sessionmaker[AsyncSession], program: int, user: int) -> Sums:
    async with pool() as session:
        row = await session.get(Distributor, (program, user))
        assert row is not None
        return Sums(row.pending_fen, row.payable_fen, row.paid_fen)


async def audited(pool: async_sessionmaker[AsyncSession]) -> None:
    async with pool() as session:
        assert await audit_commission(session) == []
        assert await audit(session) == []


async def test_a_joining_programs_distributors_codes_and_commission_move_and_add_up(
    session_pool: async_sessionmaker[AsyncSession],
) -> None:
    clock = FrozenClock(NOW - timedelta(days=1))
    async with session_pool() as session, session.begin():
        chats = ChatService(session, clock, "Asia/Shanghai")
        await chats.ensure(GROUP, "supergroup", "Fans")
        await chats.ensure(SECOND, "supergroup", "Fans South")
    await seller(session_pool, clock, GROUP, ANN, 1_000, "ANN-1", "SHARED")
    await seller(session_pool, clock, SECOND, ANN, 1_000, "ANN-B", "SHARED")
    await seller(session_pool, clock, SECOND, BEN, 500, "BEN-1")
    clock.set(NOW)
    await sold(session_pool, clock, GROUP, "T1", 10_000, "ANN-1")
    await sold(session_pool, clock, GROUP, "DUP", 20_000, "ANN-1")
    await sold(session_pool, clock, SECOND, "DUP", 20_000, "ANN-B")  # the same order, again
    await sold(session_pool, clock, SECOND, "T2", 10_000, "BEN-1")
    assert await sums(session_pool, SECOND, ANN) == Sums(2_000, 0, 0)

    factory = ServiceFactory(clock, "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        report = await factory.program_join(session).join(GROUP, SECOND, by=ADMIN)
    factory.program_map.forget()
    assert report.kept_distributor_codes == ["SHARED"]
    assert report.duplicate_orders == ["DUP"]
    # Ann's sums added up, less the copy of DUP (its commission voided); Ben's moved whole
    assert await sums(session_pool, GROUP, ANN) == Sums(1_000 + 2_000, 0, 0)
    assert await sums(session_pool, GROUP, BEN) == Sums(500, 0, 0)
    assert await sums(session_pool, SECOND, ANN) == Sums(0, 0, 0)
    async with session_pool() as session:
        codes = set((await session.execute(
            select(DistributorCode.code, DistributorCode.program_id)
        )).all())  # fmt: skip
        programs = set(await session.scalars(select(Commission.program_id)))
        standings = await DistributorService(session, clock).standings(ANN)
    assert codes == {("ANN-1", GROUP), ("ANN-B", GROUP), ("BEN-1", GROUP), ("SHARED", GROUP),
                     ("SHARED", SECOND)}  # fmt: skip
    assert programs == {GROUP}
    assert [(s.program_id, s.sums) for s in standings] == [(GROUP, Sums(3_000, 0, 0))]
    await audited(session_pool)

    # Ben's code counts in the program now; a sweep after the join moves nothing twice
    await sold(session_pool, clock, GROUP, "T3", 20_000, "BEN-1")
    assert await sums(session_pool, GROUP, BEN) == Sums(1_500, 0, 0)
    async with session_pool() as session, session.begin():
        await factory.program_join(session).sweep()
    assert await sums(session_pool, GROUP, ANN) == Sums(3_000, 0, 0)
    assert await sums(session_pool, GROUP, BEN) == Sums(1_500, 0, 0)
    await audited(session_pool)
