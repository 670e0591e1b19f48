"""Orders from the shop: reading an export, recording sales, purchase points and refunds.

A Taobao/Tmall seller-centre export (订单编号, 买家会员名, 买家实际支付金额 or 实付款,
订单状态, 订单付款时间, 优惠券 when present; GBK or UTF-8) or a plain
`order_id,buyer,amount,paid_at,status,coupon` file is read row by row (`read_orders`
yields as it goes, so a 100,000-row file is never held as rows), each order or the reason
its line was refused, by line number. Amounts are kept in fen (分), exactly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    BindTry,
    BuyerBinding,
    Campaign,
    Chat,
    LedgerEntry,
    Member,
    Order,
    OutboxMessage,
    Redemption,
    Reward,
    RewardCode,
)
from models.base import UTCDateTime
from models.queries import insert_for
from services.chats import OrderRules
from services.clock import Clock
from services.files import MixedEncoding, NotText, csv_rows, text_stream
from services.members import ensure_members
from services.outbox import Kind, OutboxRow, OutboxService
from services.points import TAKEN_BACK, Award, PointsService, times
from services.tiers import BY_POINTS, BY_SPEND, TierService, tier_figure
from services.untrusted import json_id, same_secret

MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_ROWS = 100_000
MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000: more is a typo, not an order
MAX_ORDER_ID = 64
MAX_BUYER = 64

# Each field, and the column names that carry it (Taobao's, Tmall's, the plain file's).
COLUMNS = {
    "order_id": ("订单编号", "订单号", "order_id", "order id"),
    "buyer": ("买家会员名", "买家昵称", "buyer", "buyer nickname"),
    "amount": ("买家实际支付金额", "实付款", "实付金额", "amount"),
    "status": ("订单状态", "status"),
    "paid_at": ("订单付款时间", "付款时间", "paid_at", "paid at"),
    "coupon": ("优惠券", "优惠券码", "coupon"),
    "refund": ("退款金额", "refund", "refunded"),  # a partial refund, when the file has it
}
REQUIRED = ("order_id", "buyer", "amount")
# Excel-safe forms of a long number: ="2026…", '2026…, a tab before it.
EXCEL_TEXT = re.compile(r'^=?"(.*)"$')


class OrderStatus(StrEnum):
    PAID = "paid"
    REFUNDED = "refunded"  # closed after payment, or refunded
    UNPAID = "unpaid"  # waiting for payment: not a sale yet


STATUSES = {
    "交易成功": OrderStatus.PAID,
    "买家已付款，等待卖家发货": OrderStatus.PAID,
    "卖家已发货，等待买家确认": OrderStatus.PAID,
    "等待卖家发货": OrderStatus.PAID,
    "等待买家确认收货": OrderStatus.PAID,
    "交易关闭": OrderStatus.REFUNDED,
    "退款成功": OrderStatus.REFUNDED,
    "等待买家付款": OrderStatus.UNPAID,
    "paid": OrderStatus.PAID,
    "refunded": OrderStatus.REFUNDED,
    "unpaid": OrderStatus.UNPAID,
}


class OrderFileError(ValueError):
    """The file as a whole cannot be read: `reason` is too big, not text, empty, too many
    rows, columns (`missing` names the fields no column carries), mixed encoding (`line` is
    the first not in `encoding`, the file's) or too long (a field of the header, `line` 1)."""

    def __init__(
        self, reason: str, missing: tuple[str, ...] = (), *, line: int = 0, encoding: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.line = line
        self.encoding = encoding


@dataclass(frozen=True, slots=True)
class OrderLine:
    line: int
    order_id: str
    buyer: str
    amount_fen: int
    status: OrderStatus
    paid_at: datetime | None
    coupon: str | None
    refunded_fen: int = 0  # of a paid order: refunded in part; of a refunded one, 0 is all

    @property
    def refunded(self) -> int:
        """What of the amount is refunded, in fen."""
        if self.status is OrderStatus.REFUNDED and not 0 < self.refunded_fen < self.amount_fen:
            return self.amount_fen
        return min(self.refunded_fen, self.amount_fen)


@dataclass(frozen=True, slots=True)
class RefusedLine:
    line: int
    reason: str  # order id, buyer, amount, status, paid at, refund, twice, too long


def read_orders(data: bytes, timezone: str) -> Iterator[OrderLine | RefusedLine]:
    """Each row of an export as an order or a refusal; OrderFileError before the first when
    the file cannot be read, or at the row past `MAX_ROWS` (an import reads the whole file
    before it commits). Times without a zone are the shop's (`timezone`). An order id
    seen twice in the file is refused the second time when its amount differs, and skipped
    when it is the same row again."""
    if len(data) > MAX_FILE_BYTES:
        raise OrderFileError("too big")
    try:
        rows = csv_rows(text_stream(data))
    except MixedEncoding as mixed:
        raise OrderFileError("mixed encoding", line=mixed.line, encoding=mixed.encoding) from None
    except NotText:
        raise OrderFileError("not text") from None
    header = next(rows, [])
    if header is None:
        raise OrderFileError("too long", line=1)
    if not any(cell.strip() for cell in header):
        raise OrderFileError("empty")
    where = _columns(header)
    missing = tuple(name for name in REQUIRED if name not in where)
    if missing:
        raise OrderFileError("columns", missing)
    return _orders(rows, where, ZoneInfo(timezone))


def _orders(
    rows: Iterator[list[str] | None], where: dict[str, int], zone: ZoneInfo
) -> Iterator[OrderLine | RefusedLine]:
    count = 0
    for line, row in enumerate(rows, start=2):
        if row is not None and not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > MAX_ROWS:
            raise OrderFileError("too many rows")
        yield RefusedLine(line, "too long") if row is None else _order(line, row, where, zone)


def _columns(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lstrip("\ufeff").casefold() for cell in header]
    where: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.casefold() in names:
                where[field] = names.index(alias.casefold())
                break
    return where


def _order(
    line: int, row: list[str], where: dict[str, int], zone: ZoneInfo
) -> OrderLine | RefusedLine:
    def cell(field: str) -> str:
        index = where.get(field)
        value = row[index].strip() if index is not None and index < len(row) else ""
        found = EXCEL_TEXT.match(value)
        return (found[1] if found else value).lstrip("'\t").strip()

    order_id = cell("order_id")
    if not order_id or len(order_id) > MAX_ORDER_ID or not order_id.isprintable():
        return RefusedLine(line, "order id")
    buyer = cell("buyer")
    if not buyer or len(buyer) > MAX_BUYER:
        return RefusedLine(line, "buyer")
    amount = amount_in_fen(cell("amount"))
    if amount is None:
        return RefusedLine(line, "amount")
    status_text = cell("status")
    status = STATUSES.get(status_text.casefold()) if status_text else OrderStatus.PAID
    if status is None:
        return RefusedLine(line, "status")
    if amount == 0 and status is OrderStatus.PAID:
        return RefusedLine(line, "amount")  # paid ¥0 is no sale (a closed or unpaid one may be)
    paid_at = None
    if paid := cell("paid_at"):
        try:
            paid_at = datetime.fromisoformat(paid.replace("/", "-"))
        except ValueError:
            return RefusedLine(line, "paid at")
        paid_at = paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=zone)
    coupon = cell("coupon") or None
    refunded = 0
    if refund := cell("refund"):
        refunded = amount_in_fen(refund) or 0
        if amount_in_fen(refund) is None or refunded > amount:
            return RefusedLine(line, "refund")
    return OrderLine(line, order_id, buyer, amount, status, paid_at, coupon, refunded)


def amount_in_fen(text: str) -> int | None:
    """`199.00`, `¥1,299.5`, `￥88` → fen; None for anything else, a negative or an absurd sum."""
    cleaned = text.removeprefix("¥").removeprefix("￥").replace(",", "").strip()
    if not re.fullmatch(r"[0-9]{1,9}(?:\.[0-9]{1,2})?", cleaned):  # ASCII digits only
        return None
    try:
        fen = int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return None
    return fen if fen <= MAX_AMOUNT_FEN else None


def buyer_key(nickname: str) -> str:
    """A shop nickname as bindings compare it: full-width forms folded, case and spaces
    around ignored (淘宝 nicknames are case-insensitive)."""
    return unicodedata.normalize("NFKC", nickname).strip().casefold()[:MAX_BUYER]


class Source(StrEnum):
    IMPORT = "import"
    HTTP = "http"
    ADMIN = "admin"


class PointsState(StrEnum):
    WAITING = "waiting"  # no member has bound the buyer yet
    PENDING = "pending"  # in the return window
    CONFIRMED = "confirmed"  # in the ledger
    VOID = "void"  # refunded within the window, or nothing to pay


@dataclass(slots=True)
class Tally:
    """What one import, post or command did: orders new, refunds applied, the same again,
    not paid yet (skipped), ids reused with another amount (their lines), and of the new,
    those credited to a member now and those waiting for a nickname to be bound."""

    new: int = 0
    refunds: int = 0
    same: int = 0
    unpaid: int = 0
    conflicts: list[int] = dataclass_field(default_factory=list)
    credited: int = 0
    waiting: int = 0
    points: int = 0  # purchase points of the orders credited now (pending or paid)

    @property
    def changes(self) -> int:
        return self.new + self.refunds

    def add(self, other: Tally) -> None:
        for name in ("new", "refunds", "same", "unpaid", "credited", "waiting", "points"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.conflicts += other.conflicts


@dataclass(slots=True)
class ImportReport:
    """A file's import: what it changed, and each line refused (line, reason)."""

    tally: Tally = dataclass_field(default_factory=Tally)
    refused: list[RefusedLine] = dataclass_field(default_factory=list)
    rows: int = 0


MAX_BIND_TRIES = 5  # a member's proofs of a shop nickname a day, right or wrong


class BindStatus(StrEnum):
    BOUND = "bound"
    ALREADY = "already"  # to this member before
    TAKEN = "taken"  # another member's: refused (an admin may move it)
    MOVED = "moved"  # an admin moved it from another member
    NO_MATCH = "no match"  # the proof is no order of that nickname here: refused


class BindProof(StrEnum):
    """How a binding was made (`BuyerBinding.proof`)."""

    ORDER = "order"  # the number and amount of one of the nickname's orders
    ADMIN = "admin"
    UNPROVEN = "unproven"  # a member's word alone, before proof was asked


@dataclass(frozen=True, slots=True)
class OrderProof:
    """What a member gives to bind a nickname: one of its orders' number (订单编号) and amount."""

    order_id: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Bound:
    status: BindStatus
    chat_id: int
    buyer: str
    credited: int = 0  # waiting orders now theirs
    points: int = 0
    holder: int | None = None  # who holds it (taken) or held it (moved)
    holder_proof: str | None = None  # how the holder bound it (taken)


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

    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def record(
        self,
        chat_id: int,
        lines: Sequence[OrderLine],
        *,
        source: Source,
        rules: OrderRules,
        timezone: str,
        user_id: int | None = None,
    ) -> Tally:
        """Record up to `CHUNK` orders (an import calls this per chunk): new ones inserted and
        credited, a refund applied once, the same again counted, an id with another amount
        refused. `user_id` (an admin's /order) credits them to that member directly."""
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
        for line in lines:
            order = known.get(line.order_id)
            row = fresh.get(line.order_id)
            if row is not None:  # twice in this chunk (another chunk's are `known`)
                if row["amount_fen"] != line.amount_fen:
                    tally.conflicts.append(line.line)
                else:
                    tally.same += 1
                    if line.refunded > row["refunded_fen"]:  # refunded further down the file
                        row["refunded_fen"] = line.refunded
                        row["status"] = status_of(line.amount_fen, line.refunded)
            elif order is not None:
                if order.amount_fen != line.amount_fen:
                    tally.conflicts.append(line.line)
                elif line.refunded > order.refunded_fen:
                    await self._refund(order, line.refunded, timezone)
                    tally.refunds += 1
                else:
                    tally.same += 1
            elif line.status is OrderStatus.UNPAID:
                tally.unpaid += 1
            else:
                refunded = line.refunded
                fresh[line.order_id] = {
                    "chat_id": chat_id, "order_id": line.order_id, "buyer": line.buyer,
                    "buyer_key": buyer_key(line.buyer), "user_id": None,
                    "amount_fen": line.amount_fen, "refunded_fen": refunded,
                    "status": status_of(line.amount_fen, refunded),
                    "paid_at": line.paid_at or now, "source": source.value,
                    "coupon_code": line.coupon, "points": 0,
                    "points_state": PointsState.WAITING.value, "clawed_back": 0,
                    "created_at": now, "updated_at": now,
                }  # fmt: skip
        if not fresh:
            return tally
        inserted_ids = list(
            await self.session.scalars(
                insert_for(self.session, Order)
                .on_conflict_do_nothing(index_elements=["chat_id", "order_id"])
                .returning(Order.id),
                list(fresh.values()),
            )
        )
        tally.same += len(fresh) - len(inserted_ids)  # another worker wrote them just now
        tally.new += len(inserted_ids)
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
        tally.waiting += len(orders) - len(credited)
        tally.credited += len(credited)
        tally.points += await self._credit(chat_id, credited, owners, rules, timezone)
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

    async def _credit(
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
        await self._move_tiers(chat_id, sorted(spent), timezone, BY_SPEND)
        await self.confirm([order for order in orders if order.paid_at + window <= now], timezone)
        await self._tell_pending(
            [order for order in orders if order.points_state == PointsState.PENDING], language
        )
        return total

    async def _tell_pending(self, orders: Sequence[Order], language: str | None) -> None:
        """A member who started the bot hears privately what an order earned and when it
        counts (an import of old orders, paid at once, tells nobody), in `language` when the
        member's is known (they bound the nickname just now), else the bot's default."""
        private = set(
            await self.session.scalars(
                select(Chat.id).where(
                    Chat.id.in_(sorted({order.user_id for order in orders if order.user_id})),
                    Chat.type == "private", Chat.active.is_(True),
                )
            )
        )  # fmt: skip
        outbox = OutboxService(self.session, self.clock)
        await outbox.add_many([
            OutboxRow(order.user_id, Kind.ORDER_POINTS, f"order_points:{order.id}",
                      {"order_id": order.id, "language": language})
            for order in orders
            if order.user_id in private
        ])  # fmt: skip

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
                await self.take_back(
                    order.chat_id, order.user_id, take,
                    key=f"clawback:{order.chat_id}:{order.order_id}:{refunded_fen}",
                    ref=order.order_id, timezone=timezone,
                )  # fmt: skip
        await self.session.flush()
        if before > payable(order):
            await self._tell_refunded(order, before - payable(order), state)
        gone = 1 if refunded_fen >= order.amount_fen else 0  # refunded in full: not an order
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == order.chat_id, Member.user_id == order.user_id)
            .values(  # its net was added when credited
                spent_fen=Member.spent_fen - grown, orders_paid=Member.orders_paid - gone
            )
        )
        await self._move_tiers(order.chat_id, [order.user_id], timezone, BY_SPEND)

    async def _tell_refunded(self, order: Order, points: int, state: str) -> None:
        """Privately, once per refund, what it took: points paid (taken back), or pending ones
        the member was told of (cancelled). Points nobody announced go quietly, as they came;
        in the language of the note that told of them."""
        note = (
            await self.session.execute(
                select(OutboxMessage.status, OutboxMessage.payload).where(
                    OutboxMessage.key == f"order_points:{order.id}"
                )
            )
        ).one_or_none()
        paid = state == PointsState.CONFIRMED
        if not paid and (note is None or note.status != "sent"):
            return  # the note is not out: it will show the order as it is then
        if order.user_id is None or not await self._private_chats({order.user_id}):
            return
        await OutboxService(self.session, self.clock).add(
            order.user_id, Kind.ORDER_REFUNDED, f"order_refunded:{order.id}:{order.refunded_fen}",
            {"order_id": order.id, "refunded_fen": order.refunded_fen, "points": points,
             "paid": paid, "language": note.payload.get("language") if note else None},
        )  # fmt: skip

    async def take_back(
        self, chat_id: int, user_id: int, points: int, *, key: str, ref: str, timezone: str
    ) -> int:
        """Take `points` back, never below a zero balance: what the balance cannot pay is owed
        and taken from the next earnings. Returns what was taken now."""
        member = await self.session.scalar(
            select(Member)
            .where(Member.chat_id == chat_id, Member.user_id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert member is not None  # an order is credited to a member's row
        taken = min(member.points, points)
        if taken:
            balance = await self.points.change(
                chat_id, user_id, -taken, reason=TAKEN_BACK, key=key, ref=ref[:128],
                timezone=timezone, member_exists=True,
            )  # fmt: skip
            if not balance.applied:
                return 0  # this very refund was taken back before
        if points > taken:
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == user_id)
                .values(points_owed=Member.points_owed + (points - taken))
            )
        await self._move_tiers(chat_id, [user_id], timezone, BY_POINTS)
        return taken

    async def _move_tiers(
        self, chat_id: int, user_ids: Sequence[int], timezone: str, basis: str
    ) -> None:
        """Put the members on the tier their figure reaches, when the chat's tiers go by
        `basis`: a clawback lowers lifetime points, an order or a refund changes spend."""
        if await TierService(self.session, self.points.ladders).basis(chat_id) != basis:
            return
        members = await self.session.scalars(
            select(Member)
            .where(Member.chat_id == chat_id, Member.user_id.in_(list(user_ids)))
            .execution_options(populate_existing=True)  # after Core updates of their rows
        )
        await self.points.move_tiers(
            {chat_id: timezone},
            {(chat_id, m.user_id): (tier_figure(m, basis), m.tier) for m in members},
        )

    async def bind(
        self,
        chat_id: int,
        user_id: int,
        nickname: str,
        *,
        by: int,
        rules: OrderRules,
        timezone: str,
        admin: bool = False,
        proof: OrderProof | None = None,
        language: str | None = None,
    ) -> Bound:
        """Bind a shop nickname to a member: the orders waiting under it are credited to them
        now. A member proves it is theirs with one of its orders here (`NO_MATCH` when the
        proof is none of them: a nickname without orders cannot be proven yet); an admin
        needs no proof. A nickname held by another member is refused (`TAKEN`), unless an
        admin moves it (their orders credited before stay where they are)."""
        key = buyer_key(nickname)
        if not admin and (proof is None or not await self._proves(chat_id, key, proof)):
            return Bound(BindStatus.NO_MATCH, chat_id, nickname.strip())
        how = BindProof.ADMIN if admin else BindProof.ORDER
        proof_order = proof.order_id if proof is not None and not admin else None
        held = await self.session.scalar(
            select(BuyerBinding)
            .where(BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == key)
            .with_for_update()
        )
        if held is not None and held.user_id == user_id:
            if held.proof == BindProof.UNPROVEN:  # proven now, by its holder
                held.proof, held.proof_order = how.value, proof_order
            return Bound(BindStatus.ALREADY, chat_id, held.buyer, holder=user_id)
        if held is not None and not admin:
            return Bound(
                BindStatus.TAKEN, chat_id, held.buyer, holder=held.user_id, holder_proof=held.proof
            )
        now = self.clock.now()
        if held is not None:
            previous = held.user_id
            held.user_id, held.bound_by, held.created_at = user_id, by, now
            held.proof, held.proof_order = how.value, proof_order
            await self.session.flush()
        else:
            previous = None
            inserted = await self.session.scalar(
                insert_for(self.session, BuyerBinding)
                .values(
                    chat_id=chat_id, buyer_key=key, buyer=nickname.strip()[:MAX_BUYER],
                    user_id=user_id, bound_by=by, created_at=now, proof=how.value,
                    proof_order=proof_order,
                )
                .on_conflict_do_nothing(index_elements=["chat_id", "buyer_key"])
                .returning(BuyerBinding.user_id)
            )  # fmt: skip
            if inserted is None:  # another member bound it a moment ago
                return await self.bind(
                    chat_id, user_id, nickname, by=by, rules=rules, timezone=timezone,
                    admin=admin, proof=proof, language=language,
                )  # fmt: skip
        waiting = list(
            await self.session.scalars(
                select(Order)
                .where(Order.chat_id == chat_id, Order.buyer_key == key, Order.user_id.is_(None))
                .order_by(Order.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        owners = {order.id: user_id for order in waiting}
        points = await self._credit(
            chat_id, waiting, owners, rules, timezone, None if admin else language
        )
        status = BindStatus.MOVED if previous is not None else BindStatus.BOUND
        return Bound(status, chat_id, nickname.strip(), len(waiting), points, previous)

    async def _proves(self, chat_id: int, key: str, proof: OrderProof) -> bool:
        """One of the group's orders from the shop (imported or posted) has this number, this
        amount and this buyer. An admin's /order is not one: its buyer is the member's display
        name and its number and amount were said in the group, so anyone could repeat them."""
        found = await self.session.scalar(
            select(Order.id).where(
                Order.chat_id == chat_id, Order.order_id == proof.order_id,
                Order.buyer_key == key, Order.amount_fen == proof.amount_fen,
                Order.source != Source.ADMIN,
            )
        )  # fmt: skip
        return found is not None

    async def count_try(self, user_id: int, day: date) -> int:
        """Count one try at proving a nickname on `day` (before it is checked, so that tries
        side by side are counted too); how many the member has made that day."""
        table = BindTry.__table__.c
        tries = await self.session.scalar(
            insert_for(self.session, BindTry)
            .values(user_id=user_id, day=day, tries=1)
            .on_conflict_do_update(
                index_elements=["user_id"],
                set_={"tries": case((table.day == day, table.tries + 1), else_=1), "day": day},
            )
            .returning(BindTry.tries)
        )
        return int(tries or 0)

    async def tell_claimed(
        self, bound: Bound, claimant: int, *, admins: Collection[int], log_channel: int | None
    ) -> bool:
        """The admins hear, once per claimant and nickname, that a member proved a nickname
        another member holds: in the group's log channel when it has one, else privately, each
        admin who started the bot (never in the group). False when no admin can be told."""
        assert bound.holder is not None
        key = f"bind_claimed:{bound.chat_id}:{claimant}:{buyer_key(bound.buyer)}"
        payload = {"group": bound.chat_id, "holder": bound.holder, "claimant": claimant,
                   "buyer": bound.buyer, "holder_proof": bound.holder_proof}  # fmt: skip
        if log_channel is not None:
            rows = [OutboxRow(bound.chat_id, Kind.BIND_CLAIMED, key[:160], payload)]
        else:
            reachable = await self._private_chats(set(admins))
            rows = [
                OutboxRow(admin, Kind.BIND_CLAIMED, f"{key}:{admin}"[:160], payload)
                for admin in sorted(reachable)
            ]
        await OutboxService(self.session, self.clock).add_many(rows)
        return bool(rows)

    async def _private_chats(self, user_ids: set[int]) -> set[int]:
        """Those of the users who started the bot (their private chat is open)."""
        return set(
            await self.session.scalars(
                select(Chat.id).where(
                    Chat.id.in_(sorted(user_ids)), Chat.type == "private", Chat.active.is_(True)
                )
            )
        )

    async def holder(self, chat_id: int, nickname: str) -> int | None:
        """The member a nickname is bound to here, if any."""
        return await self.session.scalar(
            select(BuyerBinding.user_id).where(
                BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == buyer_key(nickname)
            )
        )

    async def unbind(self, chat_id: int, nickname: str) -> int | None:
        """Forget a binding (its credited orders stay credited); the member who held it."""
        key = buyer_key(nickname)
        held = await self.session.scalar(
            select(BuyerBinding.user_id).where(
                BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == key
            )
        )
        if held is not None:
            await self.session.execute(
                delete(BuyerBinding).where(
                    BuyerBinding.chat_id == chat_id, BuyerBinding.buyer_key == key
                )
            )
        return held

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


MAX_POSTED_BYTES = 64 * 1024
SIGNATURE_MAX_AGE = 300  # seconds either way: a replay later than this is refused


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>` with the shop's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_in_time(
    secret: str, timestamp: str | None, given: str | None, body: bytes, now: float
) -> bool:
    """The request carries our signature of this body, made in the last five minutes."""
    if not timestamp or len(timestamp) > 12 or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    return same_secret(signature(secret, timestamp, body), given)


def posted_order(payload: object, timezone: str) -> tuple[int, OrderLine]:
    """(group id, order) of a posted JSON order; ValueError naming the field that is wrong."""
    if not isinstance(payload, dict):
        raise ValueError("body")
    group = json_id(payload.get("group"))
    if group is None:
        raise ValueError("group")
    row = []
    for name in ("order_id", "buyer", "amount", "status", "paid_at", "coupon", "refunded"):
        value = payload.get(name)
        if isinstance(value, (dict, list)):
            raise ValueError(name)  # a field is one value, never a structure to print
        row.append("" if value is None else str(value))
    where = {name: i for i, name in enumerate(("order_id", "buyer", "amount", "status",
                                                 "paid_at", "coupon", "refund"))}  # fmt: skip
    read = _order(0, row, where, ZoneInfo(timezone))
    if isinstance(read, RefusedLine):
        raise ValueError(read.reason)
    return group, read


@dataclass(frozen=True, slots=True)
class BuyerFigures:
    """Sales to a set of buyers in a period (see `order_figures` for each figure's definition)."""

    orders: int
    gmv_fen: int
    buyers: int
    repeat_buyers: int

    @property
    def aov_fen(self) -> int:
        """客单价: GMV per buyer (销售额 ÷ 成交顾客数)."""
        return self.gmv_fen // self.buyers if self.buyers else 0

    @property
    def repeat_rate(self) -> float:
        return self.repeat_buyers / self.buyers if self.buyers else 0.0


@dataclass(frozen=True, slots=True)
class TierSales(BuyerFigures):
    tier: str | None  # None: no tier, or a buyer nobody has bound


@dataclass(frozen=True, slots=True)
class OrderFigures(BuyerFigures):
    """A period's sales, the sum of its tiers' (`by_tier`, most GMV first); `paying_members`:
    the buyers who are bound members (what conversion compares with active members)."""

    paying_members: int
    by_tier: list[TierSales]


@dataclass(frozen=True, slots=True)
class CouponFunnel:
    """Coupons of one reward or campaign handed out in a period → used → the sales naming them."""

    label: str
    issued: int
    used: int
    orders: int
    gmv_fen: int


def _net() -> Any:
    return Order.amount_fen - Order.refunded_fen


async def order_figures(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime
) -> OrderFigures:
    """The one definition of the sales figures, for /stats, the console and what the exports
    sum to. Orders: paid in [start, end), not wholly refunded. GMV (成交额): their amounts less
    refunds. Buyers (成交顾客数): a bound member once, whatever their nicknames; a nickname
    nobody has bound once by its key. AOV (客单价): GMV ÷ buyers. Repeat rate: buyers with two
    orders or more ÷ buyers. Each tier's figures are its buyers' (unbound: no tier), and the
    headline is their sum, so the two can never disagree."""
    unbound_key = case((Order.user_id.is_(None), Order.buyer_key))
    per_buyer = (
        select(
            Member.tier.label("tier"),
            Order.user_id.label("user_id"),
            func.count().label("orders"),
            func.sum(_net()).label("gmv"),
        )
        .outerjoin(Member, (Member.chat_id == Order.chat_id) & (Member.user_id == Order.user_id))
        .where(Order.chat_id == chat_id, Order.paid_at >= start, Order.paid_at < end)
        .where(Order.refunded_fen < Order.amount_fen)
        .group_by(Member.tier, Order.user_id, unbound_key)
        .subquery()
    )
    rows = await session.execute(
        select(
            per_buyer.c.tier, func.sum(per_buyer.c.orders), func.sum(per_buyer.c.gmv),
            func.count(), func.sum(case((per_buyer.c.orders >= 2, 1), else_=0)),
            func.count(per_buyer.c.user_id),
        )
        .group_by(per_buyer.c.tier)
        .order_by(func.sum(per_buyer.c.gmv).desc())
    )  # fmt: skip
    tiers, members = [], 0
    for tier, orders, gmv, buyers, repeat, bound in rows:
        tiers.append(TierSales(int(orders), int(gmv), int(buyers), int(repeat), tier))
        members += int(bound)
    return OrderFigures(
        sum(t.orders for t in tiers), sum(t.gmv_fen for t in tiers), sum(t.buyers for t in tiers),
        sum(t.repeat_buyers for t in tiers), members, tiers,
    )  # fmt: skip


async def coupon_funnels(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime, *, by: str
) -> list[CouponFunnel]:
    """Per reward (`by="reward"`) or per campaign (`by="campaign"`): coupons handed out in the
    period, how many were used, and the orders naming them (their GMV), most GMV first."""
    group_key = Redemption.reward_id if by == "reward" else Redemption.campaign_id
    label = Reward.name if by == "reward" else Campaign.name
    sales = (
        select(Order.redemption_id, func.count().label("orders"), func.sum(_net()).label("gmv"))
        .where(Order.chat_id == chat_id, Order.redemption_id.is_not(None))
        .group_by(Order.redemption_id)
        .subquery()
    )
    query = (
        select(
            label, func.count(), func.sum(case((Redemption.status == "used", 1), else_=0)),
            func.coalesce(func.sum(sales.c.orders), 0), func.coalesce(func.sum(sales.c.gmv), 0),
        )
        .select_from(Redemption)
        .join(Reward, Reward.id == Redemption.reward_id)
        .outerjoin(sales, sales.c.redemption_id == Redemption.id)
        .where(Redemption.chat_id == chat_id, Reward.kind == "coupon")
        .where(Redemption.created_at >= start, Redemption.created_at < end)
    )  # fmt: skip
    if by == "campaign":
        query = query.join(Campaign, Campaign.id == Redemption.campaign_id)
    rows = await session.execute(
        query.group_by(group_key, label).order_by(func.coalesce(func.sum(sales.c.gmv), 0).desc())
    )
    return [
        CouponFunnel(str(name), int(issued), int(used or 0), int(orders), int(gmv))
        for name, issued, used, orders, gmv in rows
    ]


@dataclass(frozen=True, slots=True)
class CampaignSales:
    """What a campaign brought: points paid under its multiplier, the members who earned them,
    its coupons' funnel, and every order attributed to it."""

    points: int
    members: int
    coupons: CouponFunnel | None
    orders: int
    gmv_fen: int


async def campaign_sales(session: AsyncSession, campaign: Campaign) -> CampaignSales:
    points, members = (
        await session.execute(
            select(func.coalesce(func.sum(LedgerEntry.delta), 0),
                   func.count(func.distinct(LedgerEntry.user_id)))
            .where(LedgerEntry.chat_id == campaign.chat_id,
                   LedgerEntry.campaign_id == campaign.id, LedgerEntry.delta > 0)
        )
    ).one()  # fmt: skip
    ever = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    funnels = await coupon_funnels(session, campaign.chat_id, *ever, by="campaign")
    coupons = next((f for f in funnels if f.label == campaign.name), None)
    orders, gmv = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(_net()), 0)).where(
                Order.chat_id == campaign.chat_id, Order.campaign_id == campaign.id
            )
        )
    ).one()
    return CampaignSales(int(points), int(members), coupons, int(orders), int(gmv))
