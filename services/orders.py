"""Orders from the shop, first part: reading an order export.

A Taobao/Tmall seller-centre export (订单编号, 买家会员名, 买家实际支付金额 or 实付款,
订单状态, 订单付款时间, 优惠券 when present; GBK or UTF-8) or a plain
`order_id,buyer,amount,paid_at,status,coupon` file is read row by row (`read_orders`
yields as it goes, so a 100,000-row file is never held as rows), each order or the reason
its line was refused, by line number. Amounts are kept in fen (分), exactly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.files import NotText, decode_text

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
    rows, or columns (`missing` names the fields no column carries)."""

    def __init__(self, reason: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


@dataclass(frozen=True, slots=True)
class OrderLine:
    line: int
    order_id: str
    buyer: str
    amount_fen: int
    status: OrderStatus
    paid_at: datetime | None
    coupon: str | None


@dataclass(frozen=True, slots=True)
class RefusedLine:
    line: int
    reason: str  # order id, buyer, amount, status, paid at, twice


def read_orders(data: bytes, timezone: str) -> Iterator[OrderLine | RefusedLine]:
    """Each row of an export as an order or a refusal; OrderFileError before the first when
    the file cannot be read, or at the row past `MAX_ROWS` (an import reads the whole file
    before it commits). Times without a zone are the shop's (`timezone`). An order id
    seen twice in the file is refused the second time when its amount differs, and skipped
    when it is the same row again."""
    if len(data) > MAX_FILE_BYTES:
        raise OrderFileError("too big")
    try:
        text = decode_text(data)
    except NotText:
        raise OrderFileError("not text") from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise OrderFileError("empty")
    where = _columns(header)
    missing = tuple(name for name in REQUIRED if name not in where)
    if missing:
        raise OrderFileError("columns", missing)
    return _orders(rows, where, ZoneInfo(timezone))


def _orders(
    rows: Iterator[list[str]], where: dict[str, int], zone: ZoneInfo
) -> Iterator[OrderLine | RefusedLine]:
    seen: dict[str, int] = {}
    count = 0
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > MAX_ROWS:
            raise OrderFileError("too many rows")
        read = _order(line, row, where, zone)
        if isinstance(read, OrderLine):
            before = seen.get(read.order_id)
            if before is not None:
                if before != read.amount_fen:
                    yield RefusedLine(line, "twice")
                continue
            seen[read.order_id] = read.amount_fen
        yield read


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
    paid_at = None
    if paid := cell("paid_at"):
        try:
            paid_at = datetime.fromisoformat(paid.replace("/", "-"))
        except ValueError:
            return RefusedLine(line, "paid at")
        paid_at = paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=zone)
    coupon = cell("coupon") or None
    return OrderLine(line, order_id, buyer, amount, status, paid_at, coupon)


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
