"""Recording the shop's orders: crediting them to members, purchase points, confirming, refunds.

Every source (an import, a posted order, an admin's /order) goes through `OrderService.record`,
keyed (group, order id); binding a nickname (`services/bindings.py`) credits the orders waiting
under it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import BuyerBinding, Campaign, Chat, Member, Order, Redemption, RewardCode
from models.base import UTCDateTime
from models.queries import insert_for
from services.clawbacks import take_back
from services.clock import Clock
from services.members import ensure_members
from services.order_events import OrderEvents
from services.order_files import OrderLine, OrderStatus, RefusedLine, buyer_key
from services.order_notes import OrderNotes
from services.order_rules import OrderRules
from services.points import Award, PointsService, times
from services.promotions import TierPromotions
from services.tiers import BY_SPEND


class Source(StrEnum):
    IMPORT = "import"
    HTTP = "http"
    ADMIN = "admin"


class PointsState(StrEnum):
    WAITING = "waiting"  # no member has bound the buyer yet
    PENDING = "pending"  # in the return window
    CONFIRMED = "confirmed"  # in the ledger
    VOID = "void"  # refunded within the window, or nothing to pay


COUNTS = ("new", "closed", "refunds", "same", "repeated", "unpaid", "credited", "waiting", "points")


@dataclass(slots=True)
class Tally:
    """What one import, post or command did, line by line: new paid orders; new orders closed
    or refunded in full before they came (交易关闭: recorded, no points); refunds applied to
    orders recorded before; orders recorded before, unchanged (`same`); a line repeating an
    order of the same file (`repeated`); not paid yet (skipped); ids reused with another
    amount (their lines); and of the new paid orders, those credited to a member now and
    those waiting for a nickname to be bound."""

    new: int = 0
    closed: int = 0
    refunds: int = 0
    same: int = 0
    repeated: int = 0
    unpaid: int = 0
    conflicts: list[int] = dataclass_field(default_factory=list)
    credited: int = 0
    waiting: int = 0
    points: int = 0  # purchase points of the orders credited now (pending or paid)

    @property
    def changes(self) -> int:
        return self.new + self.closed + self.refunds

    def add(self, other: Tally) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.conflicts += other.conflicts


@dataclass(slots=True)
class ImportReport:
    """A file's import: what it changed, and each line refused (line, reason)."""

    tally: Tally = dataclass_field(default_factory=Tally)
    refused: list[RefusedLine] = dataclass_field(default_factory=list)
    rows: int = 0


@dataclass(frozen=True, slots=True)
class MemberOrders:
    orders: int
    spent_fen: int
    pending_points: int
    owed: int
    nicknames: list[str]


def status_of(amount_fen: int, refunded_fen: int) -> str:
    """An order's `status`: refunded once all of it is, else paid (a part refunded or none)."""
    return "refunded" if refunded_fen >= amount_fen else "paid"


def payable(order: Order) -> int:
    """The points an order pays now: its points for what of its amount is not refunded."""
    if order.amount_fen <= 0:
        return 0
    return order.points * (order.amount_fen - order.refunded_fen) // order.amount_fen


CHUNK = 1_000  # orders a statement reads or writes at once


class OrderService:
    """Orders of a group's shop: recorded once per (group, order id) from any source, credited
    to the member who bound the buyer's nickname, paying purchase points after the return
    window, refunds cancelling or taking them back. Free of aiogram; the caller commits."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        points: PointsService,
        events: Sequence[OrderEvents] = (),  # who follows orders' lives (commission)
    ) -> None:
        self.session = session
        self.events = events
        self.clock = clock
        self.points = points
        self.promotions = TierPromotions(points)  # spend and clawbacks move tiers too
        self.notes = OrderNotes(session, clock)

    async def record(
        self,
        chat_id: int,
        lines: Sequence[OrderLine],
        *,
        source: Source,
        rules: OrderRules,
        timezone: str,
        user_id: int | None = None,
        earlier: Collection[str] = (),
    ) -> Tally:
        """Record up to `CHUNK` orders (an import calls this per chunk): new ones inserted and
        credited, a refund applied once, the same again counted, an id with another amount
        refused. `user_id` (an admin's /order) credits them to that member directly; `earlier`
        are the order ids of the file's chunks before this one (a line again is `repeated`)."""
        tally = Tally()
        ids = [line.order_id for line in lines]
        known = {
            order.order_id: order
            for order in await self.session.scalars(
                select(Order)
                .where(Order.chat_id == chat_id, Order.order_id.in_(ids))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        now = self.clock.now()
        fresh: dict[str, dict[str, Any]] = {}  # order id -> row, in the order read
        read: set[str] = set()  # with `earlier`, the file's ids so far: a line again repeats
        for line in lines:
            repeat = line.order_id in read or line.order_id in earlier
            read.add(line.order_id)
            order = known.get(line.order_id)
            row = fresh.get(line.order_id)
            if row is not None:  # twice in this chunk (another chunk's are `known`)
                if row["amount_fen"] != line.amount_fen:
                    tally.conflicts.append(line.line)
                else:
                    tally.repeated += 1
                    if line.refunded > row["refunded_fen"]:  # refunded further down the file
                        row["refunded_fen"] = line.refunded
                        row["status"] = status_of(line.amount_fen, line.refunded)
            elif order is not None:
                if order.amount_fen != line.amount_fen:
                    tally.conflicts.append(line.line)
                    continue
                if order.title is None and line.title:  # recorded before titles were kept
                    order.title = line.title
                if line.refunded > order.refunded_fen:
                    await self._refund(order, line.refunded, timezone)
                    tally.refunds += 1
                elif repeat:
                    tally.repeated += 1
                else:
                    tally.same += 1
            elif line.status is OrderStatus.UNPAID:
                tally.unpaid += 1
            else:
                refunded = line.refunded
                fresh[line.order_id] = {
                    "chat_id": chat_id, "order_id": line.order_id, "buyer": line.buyer,
                    "buyer_key": buyer_key(line.buyer), "title": line.title, "user_id": None,
                    "amount_fen": line.amount_fen, "refunded_fen": refunded,
                    "status": status_of(line.amount_fen, refunded),
                    "paid_at": line.paid_at or now, "source": source.value,
                    "coupon_code": line.coupon, "points": 0,
                    "points_state": PointsState.WAITING.value, "clawed_back": 0,
                    "created_at": now, "updated_at": now,
                }  # fmt: skip
        if not fresh:
            return tally
        for row in fresh.values():  # closed before it came (交易关闭): it will never pay
            if row["refunded_fen"] >= row["amount_fen"]:
                row["points_state"] = PointsState.VOID.value
        inserted_ids = list(
            await self.session.scalars(
                insert_for(self.session, Order)
                .on_conflict_do_nothing(index_elements=["chat_id", "order_id"])
                .returning(Order.id),
                list(fresh.values()),
            )
        )
        tally.same += len(fresh) - len(inserted_ids)  # another worker wrote them just now
        orders = list(
            await self.session.scalars(
                select(Order).where(Order.id.in_(inserted_ids)).order_by(Order.id)
            )
        )
        await self._attribute(chat_id, [order for order in orders if order.coupon_code])
        if user_id is not None:
            owners = {order.id: user_id for order in orders}
        else:
            bound = await self._bindings(chat_id, {order.buyer_key for order in orders})
            owners = {o.id: bound[o.buyer_key] for o in orders if o.buyer_key in bound}
        credited = [order for order in orders if order.id in owners]
        # A closed order is credited too (it is in the member's orders) but counts apart.
        paid = [order for order in orders if order.refunded_fen < order.amount_fen]
        tally.new += len(paid)
        tally.closed += len(orders) - len(paid)
        tally.credited += sum(1 for order in paid if order.id in owners)
        tally.waiting += sum(1 for order in paid if order.id not in owners)
        tally.points += await self.credit(chat_id, credited, owners, rules, timezone)
        for follower in self.events:  # the credited ones were told by `credit`
            await follower.arrived(chat_id, [o for o in orders if o.id not in owners], rules)
        return tally

    async def _bindings(self, chat_id: int, keys: set[str]) -> dict[str, int]:
        rows = await self.session.execute(
            select(BuyerBinding.buyer_key, BuyerBinding.user_id).where(
                BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key.in_(sorted(keys))
            )
        )
        return dict(rows.all())

    async def _attribute(self, chat_id: int, orders: Sequence[Order]) -> None:
        """An order naming one of the group's coupon codes marks it used and is attributed to
        where the coupon came from (the shop, a draw, a campaign, a tier's entry reward)."""
        if not orders:
            return
        codes = {order.coupon_code for order in orders if order.coupon_code}
        rows = await self.session.execute(
            select(RewardCode.code, Redemption)
            .join(Redemption, Redemption.code_id == RewardCode.id)
            .where(RewardCode.chat_id == chat_id, RewardCode.code.in_(sorted(codes)))
            .with_for_update(of=Redemption)
        )
        issued: dict[str, Redemption] = dict(rows.all())
        now = self.clock.now()
        for order in orders:
            redemption = issued.get(order.coupon_code or "")
            if redemption is None:
                continue  # the shop's own coupon, or a code fanbot never handed out
            order.redemption_id = redemption.id
            order.coupon_source = redemption.source
            order.campaign_id = redemption.campaign_id
            if redemption.status == "issued":
                redemption.status, redemption.used_at = "used", order.paid_at or now
        await self.session.flush()

    async def credit(
        self,
        chat_id: int,
        orders: Sequence[Order],
        owners: Mapping[int, int],
        rules: OrderRules,
        timezone: str,
        language: str | None = None,
    ) -> int:
        """Give each order to its member: its purchase points (per yuan, times the member's
        tier multiplier and the campaign running when it was paid) pending until the return
        window closes (paid at once when it closed already), its amount added to their spend."""
        if not orders:
            return 0
        now = self.clock.now()
        members = sorted({(chat_id, owners[order.id]) for order in orders})
        await ensure_members(self.session, members)
        tiered = await self.points.tier_multipliers(members)
        campaigns = list(
            await self.session.scalars(
                select(Campaign).where(Campaign.chat_id == chat_id, Campaign.deleted.is_(False))
            )
        )
        window = timedelta(days=rules.return_days)
        spent: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        last_paid: dict[int, datetime] = {}
        total = 0
        for order in orders:
            user_id = owners[order.id]
            running = next((c for c in campaigns if c.starts_at <= order.paid_at < c.ends_at), None)
            points = times(order.amount_fen * rules.purchase // 100, tiered.get((chat_id, user_id)))
            order.user_id = user_id
            order.points = times(points, running.multiplier_pct if running else None)
            order.points_campaign_id = running.id if running else None
            order.confirm_at = order.paid_at + window
            order.points_state = (
                PointsState.PENDING if payable(order) > 0 else PointsState.VOID
            ).value
            order.updated_at = now
            total += payable(order)
            spent[user_id][0] += order.amount_fen - order.refunded_fen
            spent[user_id][1] += 1 if order.refunded_fen < order.amount_fen else 0
            last_paid[user_id] = max(order.paid_at, last_paid.get(user_id, order.paid_at))
        await self.session.flush()
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id == bindparam("member"))
            .values(
                spent_fen=Member.spent_fen + bindparam("fen"),
                orders_paid=Member.orders_paid + bindparam("count"),
                last_order_at=bindparam("last", type_=UTCDateTime),
            )
            .execution_options(dml_strategy="core_only"),
            [
                {"member": user_id, "fen": fen, "count": count, "last": last_paid[user_id]}
                for user_id, (fen, count) in sorted(spent.items())
            ],
        )
        await self.promotions.settle(chat_id, sorted(spent), timezone, BY_SPEND)
        await self.confirm([order for order in orders if order.paid_at + window <= now], timezone)
        await self.notes.tell_pending(
            [order for order in orders if order.points_state == PointsState.PENDING], language
        )
        for follower in self.events:
            await follower.arrived(chat_id, orders, rules)
        return total

    async def confirm(self, orders: Sequence[Order], timezone: str) -> int:
        """Pay pending orders whose return window closed, once each (the ledger's key)."""
        due = [order for order in orders if order.points_state == PointsState.PENDING]
        if not due:
            return 0
        awards = [
            Award(order.chat_id, order.user_id, payable(order), "purchase",
                  f"purchase:{order.chat_id}:{order.order_id}", ref=order.order_id[:128],
                  campaign_id=order.points_campaign_id)
            for order in due
            if order.user_id is not None and payable(order) > 0
        ]  # fmt: skip
        await self.points.award_many(awards, {due[0].chat_id: timezone})
        now = self.clock.now()
        for order in due:
            order.clawed_back = order.points - payable(order)
            order.points_state = PointsState.CONFIRMED.value
            order.updated_at = now
        await self.session.flush()
        return len(due)

    async def confirm_due(self, limit: int = 500) -> int:
        """The pending orders of every group whose window closed by now: one batch (a second
        worker skips the rows this one holds)."""
        now = self.clock.now()
        orders = list(
            await self.session.scalars(
                select(Order)
                .where(Order.points_state == PointsState.PENDING, Order.confirm_at <= now)
                .order_by(Order.chat_id, Order.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        )
        confirmed = 0
        for chat_id in sorted({order.chat_id for order in orders}):
            timezone = await self.points.timezone_of(chat_id)
            confirmed += await self.confirm(
                [order for order in orders if order.chat_id == chat_id], timezone
            )
        return confirmed

    async def _refund(self, order: Order, refunded_fen: int, timezone: str) -> None:
        """Refunded up to `refunded_fen` (refunds only grow): still pending, its points shrink
        in proportion (to none); paid, that share is taken back. A member who was told of the
        points hears what the refund took."""
        grown = refunded_fen - order.refunded_fen
        before, state = payable(order), order.points_state
        order.refunded_fen = refunded_fen
        order.status = status_of(order.amount_fen, refunded_fen)
        order.updated_at = self.clock.now()
        for follower in self.events:
            await follower.refunded(order)
        if order.user_id is None:
            await self.session.flush()
            return
        if order.points_state == PointsState.PENDING and payable(order) == 0:
            order.points_state = PointsState.VOID.value
        elif order.points_state == PointsState.CONFIRMED:
            withheld = order.points - payable(order)
            take = withheld - order.clawed_back
            order.clawed_back = withheld
            if take > 0:
                await take_back(
                    self.promotions, order.chat_id, order.user_id, take,
                    key=f"clawback:{order.chat_id}:{order.order_id}:{refunded_fen}",
                    ref=order.order_id, timezone=timezone,
                )  # fmt: skip
        await self.session.flush()
        if before > payable(order):
            await self.notes.tell_refunded(
                order, before - payable(order), paid=state == PointsState.CONFIRMED
            )
        gone = 1 if refunded_fen >= order.amount_fen else 0  # refunded in full: not an order
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == order.chat_id, Member.user_id == order.user_id)
            .values(  # its net was added when credited
                spent_fen=Member.spent_fen - grown, orders_paid=Member.orders_paid - gone
            )
        )
        await self.promotions.settle(order.chat_id, [order.user_id], timezone, BY_SPEND)

    async def of_member(self, chat_id: int, user_id: int) -> MemberOrders:
        """A member's orders, spend, points still in the return window, and nicknames."""
        member = await self.points.member(chat_id, user_id)
        pending = await self.session.scalars(
            select(Order).where(
                Order.chat_id == chat_id, Order.user_id == user_id,
                Order.points_state == PointsState.PENDING,
            )
        )  # fmt: skip
        nicknames = await self.session.scalars(
            select(BuyerBinding.buyer)
            .where(BuyerBinding.chat_id == chat_id, BuyerBinding.user_id == user_id)
            .order_by(BuyerBinding.created_at)
        )
        return MemberOrders(
            member.orders_paid if member else 0,
            member.spent_fen if member else 0,
            sum(payable(order) for order in pending),
            member.points_owed if member else 0,
            list(nicknames),
        )

    async def groups_of(self, user_id: int) -> list[tuple[int, str]]:
        """The groups (id, title) the user is a member of, as far as the bot saw."""
        rows = await self.session.execute(
            select(Chat.id, Chat.title)
            .join(Member, Member.chat_id == Chat.id)
            .where(Member.user_id == user_id, Member.left_at.is_(None))
            .where(Chat.type.in_(("group", "supergroup")), Chat.active.is_(True))
            .order_by(Chat.title)
        )
        return [(chat_id, title) for chat_id, title in rows]

    async def programs_of(self, user_id: int) -> list[tuple[int, str]]:
        """The programs (id, title of the founding group) the user is in through any of their
        groups: a brand of several groups is one account, so one entry."""
        program = func.coalesce(Chat.program_id, Chat.id)
        ids = set(
            await self.session.scalars(
                select(program)
                .join(Member, Member.chat_id == Chat.id)
                .where(Member.user_id == user_id, Member.left_at.is_(None))
                .where(Chat.type.in_(("group", "supergroup")), Chat.active.is_(True))
            )
        )
        rows = await self.session.execute(
            select(Chat.id, Chat.title).where(Chat.id.in_(sorted(ids))).order_by(Chat.title)
        )
        return [(chat_id, title) for chat_id, title in rows]

    async def order(self, row_id: int) -> Order | None:
        return await self.session.get(Order, row_id)

    async def refund(
        self, chat_id: int, order_id: str, fen: int | None, timezone: str
    ) -> tuple[str, Order | None]:
        """An admin's refund of an order, in full or of `fen` more: `refunded`, `unknown`,
        `already` (refunded in full before) or `too much` (more than is left)."""
        order = await self.session.scalar(
            select(Order)
            .where(Order.chat_id == chat_id, Order.order_id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if order is None:
            return "unknown", None
        left = order.amount_fen - order.refunded_fen
        if left == 0:
            return "already", order
        if fen is not None and fen > left:
            return "too much", order
        await self._refund(order, order.refunded_fen + (fen or left), timezone)
        return "refunded", order
