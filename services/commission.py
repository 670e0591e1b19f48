"""Distributors (分销员) and their commission: money, not points, in fen.

An order is a distributor's when it names one of their coupon codes, or when its buyer joined
the program through their link (a channel) and paid within the link window; the coupon wins a
tie, and an order's commission, once written, never moves (one row per order). The commission
lives as the order's purchase points do (`services/orders.py`, told through `OrderEvents`):
pending for the return window, cut in proportion by a refund (void when refunded in full),
confirmed after the window, then clawed back in proportion by a later refund. Every move is a
row of the commission ledger (`commission_entries`), keyed, and the distributor's three sums
follow it: `audit_commission` checks they do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    ChannelJoin,
    Chat,
    Commission,
    CommissionEntry,
    Distributor,
    DistributorCode,
    Order,
)
from models.queries import insert_for
from services.clock import Clock
from services.distribution_rules import DistributionRules
from services.order_rules import OrderRules

CHUNK = 500
Batch = dict[tuple[int, int], list[int]]  # (program, distributor) -> pending, payable, paid
logger = logging.getLogger(__name__)


class State(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    VOID = "void"


class Reason(StrEnum):
    ACCRUE = "accrue"  # an order attributed: pending
    CANCEL = "cancel"  # refunded in the window: pending shrinks
    CONFIRM = "confirm"  # the window closed: pending becomes payable
    CLAWBACK = "clawback"  # refunded after it: payable shrinks
    PAYOUT = "payout"  # an admin paid: payable becomes paid


class PayoutRefused(ValueError):
    """`not a distributor`, `too much` (more than payable), `nothing payable`, `already`
    (that reference was recorded for them before)."""


@dataclass(frozen=True, slots=True)
class Sums:
    pending_fen: int
    payable_fen: int
    paid_fen: int


def commission_of(order_fen: int, rate_bp: int) -> int:
    return order_fen * rate_bp // 10_000


def standing_part(amount_fen: int, order_fen: int, refunded_fen: int) -> int:
    """What of a commission stands after a refund: in proportion, as `orders.payable` does."""
    if order_fen <= 0:
        return 0
    return amount_fen * max(order_fen - refunded_fen, 0) // order_fen


class CommissionService:
    """Distributors and the commission ledger. Free of aiogram; the caller commits."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # --- attribution (OrderEvents) --------------------------------------------------------

    async def arrived(self, program_id: int, orders: Sequence[Order], rules: OrderRules) -> None:
        """Attribute the orders not yet anyone's: by coupon code, else by link and window."""
        live = [o for o in orders if o.refunded_fen < o.amount_fen]
        if not live or not await self._has_distributors(program_id):
            return
        taken = dict(
            (
                await self.session.execute(
                    select(Commission.order_row, Commission.user_id).where(
                        Commission.order_row.in_([o.id for o in live])
                    )
                )
            ).all()
        )
        sums: Batch = {}
        for order in sorted(live, key=lambda o: o.id):  # bound since to its distributor:
            if order.id in taken and order.user_id == taken[order.id]:  # their own, unearned
                row = await self.session.get(
                    Commission, order.id, with_for_update=True, populate_existing=True
                )
                if row is not None:
                    await self.void(row, f"commission-own:{order.id}", sums)
        live = [o for o in live if o.id not in taken]
        if live:
            await self._attribute(program_id, live, rules, sums)
        await self.apply(sums)

    async def _attribute(
        self, program_id: int, live: Sequence[Order], rules: OrderRules, sums: Batch
    ) -> None:
        sellers = {
            d.user_id: d
            for d in await self.session.scalars(
                select(Distributor).where(Distributor.program_id == program_id)
            )
        }
        by_code = await self._code_owners(
            program_id, {o.coupon_code for o in live if o.coupon_code}
        )
        joins = await self._link_joins(program_id, {o.user_id for o in live if o.user_id})
        window = timedelta(days=await self._link_days(program_id))
        now = self.clock.now()
        for order in live:
            # The coupon first; a coupon whose owner cannot be paid for it (removed, not yet
            # added, or the buyer themself) leaves the order to the link that brought the buyer.
            claims = [(sellers.get(by_code.get(order.coupon_code or "", 0)), "coupon")]
            if order.user_id in joins:
                seller_id, joined_at = joins[order.user_id]
                if joined_at <= order.paid_at <= joined_at + window:
                    claims.append((sellers.get(seller_id), "link"))
            seller, via = next(
                ((s, how) for s, how in claims if s is not None and self._pays(s, order)),
                (None, ""),
            )
            if seller is None:
                continue
            amount = commission_of(order.amount_fen, seller.rate_bp)
            counted = standing_part(amount, order.amount_fen, order.refunded_fen)
            if counted <= 0:
                continue
            confirm_at = order.paid_at + timedelta(days=rules.return_days)
            due = confirm_at <= now  # its window closed already: payable at once
            made = await self.session.scalar(
                insert_for(self.session, Commission)
                .values(
                    order_row=order.id, program_id=program_id, user_id=seller.user_id, via=via,
                    rate_bp=seller.rate_bp, order_fen=order.amount_fen, amount_fen=amount,
                    counted_fen=counted,
                    state=(State.CONFIRMED if due else State.PENDING).value,
                    confirm_at=confirm_at, created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["order_row"])
                .returning(Commission.order_row)
            )  # fmt: skip
            if made is None:
                continue  # another worker attributed it just now
            await self._move(
                program_id, seller.user_id, Reason.ACCRUE, f"commission:{order.id}",
                pending=counted, order_row=order.id, sums=sums,
            )  # fmt: skip
            if due:
                await self._move(
                    program_id, seller.user_id, Reason.CONFIRM, f"commission-confirm:{order.id}",
                    pending=-counted, payable=counted, order_row=order.id, sums=sums,
                )  # fmt: skip

    async def refunded(self, order: Order) -> None:
        """The order's refund grew: its commission shrinks in proportion, pending or paid."""
        commission = await self.session.scalar(
            select(Commission)
            .where(Commission.order_row == order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if commission is None or commission.state == State.VOID:
            return
        standing = standing_part(commission.amount_fen, commission.order_fen, order.refunded_fen)
        taken = commission.counted_fen - standing
        if taken <= 0:
            return
        key = f"commission-refund:{order.id}:{order.refunded_fen}"
        commission.counted_fen = standing
        if commission.state == State.PENDING:
            if standing == 0:
                commission.state = State.VOID.value
            await self._move(commission.program_id, commission.user_id, Reason.CANCEL, key,
                             pending=-taken, order_row=order.id)  # fmt: skip
        else:
            await self._move(commission.program_id, commission.user_id, Reason.CLAWBACK, key,
                             payable=-taken, order_row=order.id)  # fmt: skip
        await self.session.flush()

    async def void(self, commission: Commission, key: str, sums: Batch | None = None) -> None:
        """The commission stands no more (not the distributor's to earn): cancelled while
        pending, clawed back once confirmed, once (`key`); the sums moved now, or added to
        `sums` for the caller to apply."""
        if commission.state == State.VOID or commission.counted_fen <= 0:
            return
        counted, row = commission.counted_fen, commission.order_row
        pending = commission.state == State.PENDING
        commission.counted_fen, commission.state = 0, State.VOID.value
        await self._move(
            commission.program_id, commission.user_id,
            Reason.CANCEL if pending else Reason.CLAWBACK, key,
            pending=-counted if pending else 0, payable=0 if pending else -counted,
            order_row=row, sums=sums,
        )  # fmt: skip
        await self.session.flush()

    async def confirm_due(self, limit: int = CHUNK) -> int:
        """Commissions whose return window closed become payable, once each (their key)."""
        query = (
            select(Commission)
            .where(Commission.state == State.PENDING, Commission.confirm_at <= self.clock.now())
            .order_by(Commission.order_row)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        due = list(await self.session.scalars(query))
        sums: Batch = {}
        for commission in due:
            commission.state = State.CONFIRMED.value
            await self._move(
                commission.program_id, commission.user_id, Reason.CONFIRM,
                f"commission-confirm:{commission.order_row}", pending=-commission.counted_fen,
                payable=commission.counted_fen, order_row=commission.order_row, sums=sums,
            )  # fmt: skip
        await self.apply(sums)
        await self.session.flush()
        return len(due)

    # --- payouts --------------------------------------------------------------------------

    async def payout(
        self, program_id: int, user_id: int, amount_fen: int, reference: str, *, by: int
    ) -> Sums:
        """Record money paid to the distributor outside the bot, never more than payable."""
        seller = await self.session.get(
            Distributor, (program_id, user_id), with_for_update=True, populate_existing=True
        )
        if seller is None:
            raise PayoutRefused("not a distributor")
        key = f"payout:{program_id}:{user_id}:{reference.casefold()}"[:160]
        if await self.session.scalar(  # a double entry: told so, not "too much"
            select(CommissionEntry.id).where(CommissionEntry.key == key)
        ):
            raise PayoutRefused("already")
        if seller.payable_fen <= 0:
            raise PayoutRefused("nothing payable")
        if amount_fen > seller.payable_fen:
            raise PayoutRefused("too much")
        moved = await self._move(
            program_id, user_id, Reason.PAYOUT, key, payable=-amount_fen, paid=amount_fen,
            reference=reference, actor=by,
        )  # fmt: skip
        if not moved:
            raise PayoutRefused("already")
        await self.session.refresh(seller)
        return Sums(seller.pending_fen, seller.payable_fen, seller.paid_fen)

    # --- the ledger -----------------------------------------------------------------------

    async def _move(
        self,
        program_id: int,
        user_id: int,
        reason: Reason,
        key: str,
        *,
        pending: int = 0,
        payable: int = 0,
        paid: int = 0,
        order_row: int | None = None,
        reference: str | None = None,
        actor: int | None = None,
        sums: Batch | None = None,
    ) -> bool:
        """One ledger row and the distributor's sums with it (now, or added to `sums` for
        `apply`); False when `key` moved before."""
        written = await self.session.scalar(
            insert_for(self.session, CommissionEntry)
            .values(
                key=key, program_id=program_id, user_id=user_id, reason=reason.value,
                pending_delta=pending, payable_delta=payable, paid_delta=paid,
                order_row=order_row, reference=reference, actor=actor,
                created_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(CommissionEntry.id)
        )  # fmt: skip
        if written is None:
            return False
        moves = sums if sums is not None else {}
        total = moves.setdefault((program_id, user_id), [0, 0, 0])
        total[0], total[1], total[2] = total[0] + pending, total[1] + payable, total[2] + paid
        if sums is None:
            await self.apply(moves)
        return True

    async def apply(self, sums: Batch) -> None:
        """The distributors' sums moved, each row once, in (program, user) order: two workers
        moving the same distributors lock them in the same order (no deadlock)."""
        for (program_id, user_id), (pending, payable, paid) in sorted(sums.items()):
            if pending or payable or paid:
                await self.session.execute(
                    update(Distributor)
                    .where(Distributor.program_id == program_id, Distributor.user_id == user_id)
                    .values(
                        pending_fen=Distributor.pending_fen + pending,
                        payable_fen=Distributor.payable_fen + payable,
                        paid_fen=Distributor.paid_fen + paid,
                    )
                )
        sums.clear()

    # --- reading --------------------------------------------------------------------------

    async def _has_distributors(self, program_id: int) -> bool:
        found = await self.session.scalar(
            select(Distributor.user_id).where(Distributor.program_id == program_id).limit(1)
        )
        return found is not None

    @classmethod
    def _pays(cls, seller: Distributor, order: Order) -> bool:
        """The order may be theirs: they sold for the program when it was paid, and it is not
        their own (a distributor's own order earns them no commission)."""
        return cls._active_at(seller, order.paid_at) and order.user_id != seller.user_id

    @staticmethod
    def _active_at(seller: Distributor, moment: datetime) -> bool:
        return seller.added_at <= moment and (
            seller.removed_at is None or moment < seller.removed_at
        )

    async def _code_owners(self, program_id: int, codes: set[str]) -> dict[str, int]:
        if not codes:
            return {}
        rows = await self.session.execute(
            select(DistributorCode.code, DistributorCode.user_id).where(
                DistributorCode.program_id == program_id, DistributorCode.code.in_(sorted(codes))
            )
        )
        return dict(rows.all())

    async def _link_joins(
        self, program_id: int, user_ids: set[int]
    ) -> dict[int, tuple[int, datetime]]:
        """Buyers a distributor's link brought to the program: buyer → (distributor, joined)."""
        if not user_ids:
            return {}
        rows = await self.session.execute(
            select(ChannelJoin.user_id, Distributor.user_id, ChannelJoin.joined_at)
            .join(Distributor, Distributor.channel_id == ChannelJoin.channel_id)
            .where(ChannelJoin.program_id == program_id, Distributor.program_id == program_id)
            .where(ChannelJoin.user_id.in_(sorted(user_ids)))
        )
        return {buyer: (seller, joined) for buyer, seller, joined in rows}

    async def _link_days(self, program_id: int) -> int:
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == program_id))
        return DistributionRules.from_settings(settings or {}).link_days


async def confirm_commission_due(pool: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Every commission whose return window closed becomes payable, a batch a transaction
    (a background check's)."""
    total = 0
    while True:
        async with pool() as session, session.begin():
            confirmed = await CommissionService(session, clock).confirm_due()
        total += confirmed
        if confirmed < CHUNK:
            break
    if total:
        logger.info("made the commission of %s orders payable", total)
    return total
