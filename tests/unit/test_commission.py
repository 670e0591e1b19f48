"""Distributors' commission (分销) on a real database: which orders are a distributor's (their
coupon, else their link within the window; the coupon wins a tie, and an order is never two
distributors'), the commission pending through the return window and paid after it as the
purchase points are, refunds cancelling or clawing it back in proportion, payouts bounded by
what is payable, and the audit balancing the commission ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Commission, CommissionEntry, Distributor
from services.channels import ChannelService
from services.clock import FrozenClock
from services.commission import PayoutRefused, Sums, commission_of, standing_part
from services.commission_figures import audit_commission, figures
from services.distribution_rules import set_link_days
from services.distributors import DistributorService, parse_rate
from services.factory import ServiceFactory
from services.member_data import MemberDataService
from services.order_files import OrderLine, OrderStatus
from services.order_rules import OrderRules
from services.orders import Source
from services.points_audit import audit
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ADMIN, ANN, BEN, BUYER, OTHER = 7, 11, 12, 42, 43
ANNS_LINK, BENS_LINK = "https://t.me/+ann", "https://t.me/+ben"
SHANGHAI = "Asia/Shanghai"
RULES = OrderRules()  # a return window of 7 days


def sale(order_id: str, fen: int, *, buyer: str = "小明", coupon: str | None = None,
         refunded: int = 0, paid_at: datetime = NOW) -> OrderLine:  # fmt: skip
    return OrderLine(0, order_id, buyer, fen, OrderStatus.PAID, paid_at, coupon, refunded)


async def distributor(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, rate: str,
    link: str | None = None, codes: tuple[str, ...] = (),
) -> None:  # fmt: skip
    rate_bp = parse_rate(rate)
    assert rate_bp is not None
    async with pool() as session, session.begin():
        service = DistributorService(session, clock)
        row, new = await service.add(GROUP, user, rate_bp, by=ADMIN)
        assert new
        if link is not None:
            channel = await ChannelService(session, clock).create(
                GROUP, GROUP, f"seller {user}", link, creates_join_request=False, by=ADMIN
            )
            assert channel is not None
            await service.set_link(row, channel.id)
        assert await service.add_codes(GROUP, user, codes) == []


async def join(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int,
               link: str) -> None:  # fmt: skip
    async with pool() as session, session.begin():
        assert await ChannelService(session, clock).joined(GROUP, GROUP, user, link, None)


async def record(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, *lines: OrderLine,
    user: int | None = BUYER,
) -> None:  # fmt: skip
    async with pool() as session, session.begin():
        orders = ServiceFactory(clock).orders(session)
        await orders.record(GROUP, lines, source=Source.ADMIN if user else Source.IMPORT,
                            rules=RULES, timezone=SHANGHAI, user_id=user)  # fmt: skip


async def refund(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, order_id: str,
                 fen: int | None) -> None:  # fmt: skip
    async with pool() as session, session.begin():
        done, _order = (
            await ServiceFactory(clock).orders(session).refund(GROUP, order_id, fen, SHANGHAI)
        )
        assert done == "refunded"


async def attributed(pool: async_sessionmaker[AsyncSession]) -> dict[int, tuple[int, str]]:
    """Order row → (distributor, via)."""
    async with pool() as session:
        rows = await session.scalars(select(Commission).order_by(Commission.order_row))
        return {row.order_row: (row.user_id, row.via) for row in rows}


async def sums(pool: async_sessionmaker[AsyncSession], user: int) -> Sums:
    async with pool() as session:
        row = await session.get(Distributor, (GROUP, user))
        assert row is not None
        return Sums(row.pending_fen, row.payable_fen, row.paid_fen)


async def confirm_due(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> int:
    async with pool() as session, session.begin():
        return await ServiceFactory(clock).commission(session).confirm_due()


async def payout(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int,
                 fen: int, reference: str) -> Sums:  # fmt: skip
    async with pool() as session, session.begin():
        return (
            await ServiceFactory(clock)
            .commission(session)
            .payout(GROUP, user, fen, reference, by=ADMIN)
        )


async def audited(pool: async_sessionmaker[AsyncSession]) -> None:
    async with pool() as session:
        assert await audit_commission(session) == []
        assert await audit(session) == []


def test_rates_read_as_basis_points_and_amounts_round_down() -> None:
    assert [parse_rate(t) for t in ("8%", "8", "7.5%", "0.25%", "50%")] == [800, 800, 750, 25, 5000]
    assert [parse_rate(t) for t in ("0", "51%", "-1%", "8.123%", "x", "", "１%")] == [None] * 7
    assert commission_of(19_900, 800) == 1_592
    assert standing_part(1_592, 19_900, 9_950) == 796
    assert standing_part(1_592, 19_900, 19_900) == 0


async def test_a_coupon_is_its_distributors_and_beats_another_distributors_link(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - 2 * DAY)
    await distributor(session_pool, clock, ANN, "10%", ANNS_LINK, codes=("ANN-1",))
    await distributor(session_pool, clock, BEN, "5%", BENS_LINK)
    await join(session_pool, clock, BUYER, BENS_LINK)  # Ben's link brought the buyer
    await join(session_pool, clock, OTHER, ANNS_LINK)
    clock.set(NOW)
    await record(session_pool, clock, sale("T1", 10_000, coupon="ANN-1"))  # Ann's coupon
    await record(session_pool, clock, sale("T2", 20_000))  # Ben's link, no coupon
    await record(session_pool, clock, sale("T3", 30_000, coupon="SHOP-OWN"), user=OTHER)
    await record(session_pool, clock, sale("T4", 5_000, coupon="NOBODYS"), user=None)
    assert list((await attributed(session_pool)).values()) == [
        (ANN, "coupon"), (BEN, "link"), (ANN, "link"),
    ]  # fmt: skip
    assert await sums(session_pool, ANN) == Sums(1_000 + 3_000, 0, 0)
    assert await sums(session_pool, BEN) == Sums(1_000, 0, 0)
    # told again (a redelivered import, a binding crediting it): nothing moves twice
    await record(session_pool, clock, sale("T1", 10_000, coupon="ANN-1"))
    assert await sums(session_pool, ANN) == Sums(4_000, 0, 0)
    async with session_pool() as session:
        board = await figures(session, GROUP)
    assert [(f.user_id, f.orders, f.gmv_fen, f.commission_fen) for f in board] == [
        (ANN, 2, 40_000, 4_000), (BEN, 1, 20_000, 1_000),
    ]  # fmt: skip
    await audited(session_pool)
    async with session_pool() as session:  # her earnings are her data (/mydata)
        mine = await MemberDataService(session, clock).export(ANN)
    assert [row["pending_fen"] for row in mine.rows("distributors")] == [4_000]
    assert mine.rows("distributor_codes")[0]["code"] == "ANN-1"
    assert len(mine.rows("commissions")) == len(mine.rows("commission_entries")) == 2
    assert "actor" not in mine.rows("commission_entries")[0]


async def test_a_link_counts_only_within_its_window_and_never_for_the_distributor_himself(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - 20 * DAY)
    await distributor(session_pool, clock, ANN, "8%", ANNS_LINK, codes=("ANN-1",))
    await join(session_pool, clock, BUYER, ANNS_LINK)
    clock.set(NOW)
    await record(session_pool, clock, sale("LATE", 10_000))  # 20 days on: past 15
    async with session_pool() as session, session.begin():
        await set_link_days(session, GROUP, 30)
    await record(session_pool, clock, sale("IN", 10_000))
    await record(session_pool, clock, sale("OWN", 10_000, coupon="ANN-1"), user=ANN)
    rows = await attributed(session_pool)
    assert list(rows.values()) == [(ANN, "link")]
    assert await sums(session_pool, ANN) == Sums(800, 0, 0)


async def test_commission_is_pending_through_the_window_then_payable_and_paid_out_bounded(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await distributor(session_pool, clock, ANN, "8%", codes=("ANN-1", "ANN-2"))
    await record(session_pool, clock, sale("A", 19_900, coupon="ANN-1"),
                 sale("B", 10_000, coupon="ANN-2"))  # fmt: skip
    assert await sums(session_pool, ANN) == Sums(1_592 + 800, 0, 0)
    with pytest.raises(PayoutRefused, match="nothing payable"):
        await payout(session_pool, clock, ANN, 100, "BANK-0")
    clock.set(NOW + 6 * DAY)
    assert await confirm_due(session_pool, clock) == 0
    await refund(session_pool, clock, "B", None)  # in the window, in full: cancelled
    clock.set(NOW + 7 * DAY)
    assert await confirm_due(session_pool, clock) == 1
    assert await confirm_due(session_pool, clock) == 0
    assert await sums(session_pool, ANN) == Sums(0, 1_592, 0)
    with pytest.raises(PayoutRefused, match="too much"):
        await payout(session_pool, clock, ANN, 1_593, "BANK-1")
    assert await payout(session_pool, clock, ANN, 1_000, "BANK-1") == Sums(0, 592, 1_000)
    with pytest.raises(PayoutRefused, match="already"):  # the same reference again
        await payout(session_pool, clock, ANN, 500, "bank-1")
    with pytest.raises(PayoutRefused, match="not a distributor"):
        await payout(session_pool, clock, BEN, 1, "BANK-2")
    await audited(session_pool)


async def test_a_partial_refund_cuts_pending_and_claws_back_paid_commission_in_proportion(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1", "ANN-2"))
    await record(session_pool, clock, sale("P", 20_000, coupon="ANN-1"),
                 sale("Q", 30_000, coupon="ANN-2"))  # fmt: skip
    await refund(session_pool, clock, "P", 5_000)  # a quarter, pending: 2,000 → 1,500
    assert await sums(session_pool, ANN) == Sums(1_500 + 3_000, 0, 0)
    clock.set(NOW + 8 * DAY)
    assert await confirm_due(session_pool, clock) == 2
    assert await sums(session_pool, ANN) == Sums(0, 4_500, 0)
    await payout(session_pool, clock, ANN, 4_000, "WX-9")
    await refund(session_pool, clock, "Q", 15_000)  # half, after the window: 1,500 back
    assert await sums(session_pool, ANN) == Sums(0, -1_000, 4_000)  # owed from what comes next
    with pytest.raises(PayoutRefused, match="nothing payable"):
        await payout(session_pool, clock, ANN, 1, "WX-10")
    await refund(session_pool, clock, "Q", None)  # the rest: 1,500 more
    assert await sums(session_pool, ANN) == Sums(0, -2_500, 4_000)
    await audited(session_pool)
    async with session_pool() as session, session.begin():  # the sums drift from the ledger
        row = await session.get(Distributor, (GROUP, ANN))
        assert row is not None
        row.payable_fen += 1
    async with session_pool() as session:
        (problem,) = await audit_commission(session)
    assert problem.startswith(f"distributor {ANN} of {GROUP}: pending, payable, paid")


async def test_an_order_waiting_for_its_buyer_is_the_links_once_the_nickname_is_bound(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - DAY)
    await distributor(session_pool, clock, ANN, "8%", ANNS_LINK)
    await join(session_pool, clock, BUYER, ANNS_LINK)
    clock.set(NOW)
    await record(session_pool, clock, sale("W", 10_000, buyer="小明"), user=None)
    assert await attributed(session_pool) == {}  # nobody knows whose order it is yet
    async with session_pool() as session, session.begin():
        bindings = ServiceFactory(clock).bindings(session)
        await bindings.bind(GROUP, BUYER, "小明", by=ADMIN, rules=RULES, timezone=SHANGHAI,
                            admin=True)  # fmt: skip
    assert list((await attributed(session_pool)).values()) == [(ANN, "link")]
    assert await sums(session_pool, ANN) == Sums(800, 0, 0)
    async with session_pool() as session, session.begin():  # removed: new orders are not hers
        assert await DistributorService(session, clock).remove(GROUP, ANN)
    clock.set(NOW + DAY)
    await record(session_pool, clock, sale("X", 10_000))
    assert len(await attributed(session_pool)) == 1
    await audited(session_pool)


async def test_a_distributors_own_order_bound_to_them_later_earns_them_nothing_back(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - 9 * DAY)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1", "ANN-2"))
    clock.set(NOW - 8 * DAY)
    await record(session_pool, clock, sale("OLD", 10_000, buyer="安", coupon="ANN-1",
                                           paid_at=NOW - 8 * DAY), user=None)  # fmt: skip
    clock.set(NOW)
    await record(session_pool, clock, sale("NEW", 20_000, buyer="安", coupon="ANN-2"), user=None)
    await confirm_due(session_pool, clock)  # OLD's window closed
    assert await sums(session_pool, ANN) == Sums(2_000, 1_000, 0)
    async with session_pool() as session, session.begin():  # the nickname was Ann's own
        bindings = ServiceFactory(clock).bindings(session)
        await bindings.bind(GROUP, ANN, "安", by=ADMIN, rules=RULES, timezone=SHANGHAI,
                            admin=True)  # fmt: skip
    assert await sums(session_pool, ANN) == Sums(0, 0, 0)
    async with session_pool() as session:
        states = list(
            await session.scalars(select(Commission.state).order_by(Commission.order_row))
        )
    assert states == ["void", "void"]
    await audited(session_pool)


async def test_an_order_written_past_its_window_is_payable_at_once_and_others_wait_for_the_check(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - 10 * DAY)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1",))
    clock.set(NOW - 8 * DAY)
    await record(session_pool, clock, sale("A", 10_000, coupon="ANN-1", paid_at=clock.now()))
    clock.set(NOW)  # A's window closed; the background check has not run yet
    await record(session_pool, clock, sale("LATE", 20_000, coupon="ANN-1", paid_at=NOW - 9 * DAY))
    assert await sums(session_pool, ANN) == Sums(1_000, 2_000, 0)  # LATE at once, A waits
    assert await confirm_due(session_pool, clock) == 1
    assert await sums(session_pool, ANN) == Sums(0, 3_000, 0)
    await audited(session_pool)


async def test_a_readded_distributor_earns_nothing_for_the_gap_and_keeps_their_rate(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - 3 * DAY)
    await distributor(session_pool, clock, ANN, "12%", codes=("ANN-1",))
    async with session_pool() as session, session.begin():
        service = DistributorService(session, clock)
        row, new = await service.add(GROUP, ANN, None, by=ADMIN)  # no rate=: hers stands
        assert (row.rate_bp, new) == (1_200, False)
        clock.set(NOW - 2 * DAY)
        assert await service.remove(GROUP, ANN)
    clock.set(NOW)
    async with session_pool() as session, session.begin():
        row, new = await DistributorService(session, clock).add(GROUP, ANN, None, by=ADMIN)
        assert (row.rate_bp, row.added_at, row.removed_at, new) == (1_200, NOW, None, False)
    await record(session_pool, clock, sale("GAP", 10_000, coupon="ANN-1", paid_at=NOW - DAY))
    await record(session_pool, clock, sale("BACK", 10_000, coupon="ANN-1"))
    assert await sums(session_pool, ANN) == Sums(1_200, 0, 0)  # BACK only


async def test_the_audit_finds_a_commission_apart_from_its_ledger_and_rows_of_nobody(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1",))
    await record(session_pool, clock, sale("M", 10_000, coupon="ANN-1"))
    await audited(session_pool)
    async with session_pool() as session, session.begin():  # the order's row drifts alone
        (row,) = await session.scalars(select(Commission))
        row.counted_fen += 1
        session.add(
            CommissionEntry(
                key="stray", program_id=GROUP, user_id=BEN, reason="accrue", pending_delta=0,
                payable_delta=0, paid_delta=0, created_at=NOW,
            )
        )  # fmt: skip
    async with session_pool() as session:
        problems = await audit_commission(session)
    assert [p.split(":")[0] for p in problems] == [
        f"commission of order row {row.order_row} (pending, 1001 fen standing)",
        f"commission ledger rows of {BEN} in {GROUP}, who is no distributor there",
    ]


async def test_the_leaderboard_leaves_out_an_order_refunded_in_full_after_its_window(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1",))
    await record(session_pool, clock, sale("K", 10_000, coupon="ANN-1"),
                 sale("R", 30_000, coupon="ANN-1"))  # fmt: skip
    clock.set(NOW + 8 * DAY)
    assert await confirm_due(session_pool, clock) == 2
    await refund(session_pool, clock, "R", None)  # all of it, clawed back
    async with session_pool() as session:
        (ann,) = await figures(session, GROUP)
    assert (ann.orders, ann.gmv_fen, ann.commission_fen) == (1, 10_000, 1_000)


async def test_a_payout_entered_twice_is_told_as_recorded_whatever_is_left(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1",))
    await record(session_pool, clock, sale("P1", 10_000, coupon="ANN-1"))
    clock.set(NOW + 8 * DAY)
    await confirm_due(session_pool, clock)
    assert await payout(session_pool, clock, ANN, 1_000, "WX-1") == Sums(0, 0, 1_000)
    with pytest.raises(PayoutRefused, match="already"):  # nothing payable now, but recorded
        await payout(session_pool, clock, ANN, 1_000, "WX-1")


async def test_a_coupon_whose_owner_cannot_be_paid_leaves_the_order_to_the_link(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - 2 * DAY)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1",))
    await distributor(session_pool, clock, BEN, "5%", BENS_LINK)
    await join(session_pool, clock, BUYER, BENS_LINK)
    await join(session_pool, clock, ANN, BENS_LINK)
    async with session_pool() as session, session.begin():
        assert await DistributorService(session, clock).remove(GROUP, ANN)
    clock.set(NOW)
    await record(session_pool, clock, sale("C1", 10_000, coupon="ANN-1"))  # Ann removed
    await record(session_pool, clock, sale("C2", 20_000, coupon="ANN-1"), user=ANN)  # her own
    assert list((await attributed(session_pool)).values()) == [(BEN, "link"), (BEN, "link")]
    assert await sums(session_pool, BEN) == Sums(500 + 1_000, 0, 0)
    await audited(session_pool)
