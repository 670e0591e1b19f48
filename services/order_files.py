"""What a shop export file or a posted order says: each order, or why its line is refused.

A Taobao/Tmall seller-centre export (订单编号, 买家会员名, 买家实际支付金额 or 实付款,
订单状态, 订单付款时间, 宝贝标题 and 优惠券 when present; GBK or UTF-8), a Youzan one
(订单号, 商品名称, …) or a plain `order_id,buyer,amount,paid_at,status,coupon,title` file is
read row by row (`read_orders` yields as it goes, so a 100,000-row file is never held as
rows), each order or the reason its line was refused, by line number; a JSON order posted by
the shop is read the same way (`posted_order`). Amounts are kept in fen (分), exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.files import TableFileError, table_rows
from services.untrusted import json_id

MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_ROWS = 100_000
MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000: more is a typo, not an order
MAX_ORDER_ID = 64
MAX_BUYER = 64
MAX_TITLE = 255  # an order of several items has their titles joined: kept, cut to fit

# Each field, and the column names that carry it (Taobao's, Tmall's, the plain file's).
COLUMNS = {
    "order_id": ("订单编号", "订单号", "order_id", "order id"),
    "buyer": ("买家会员名", "买家昵称", "buyer", "buyer nickname"),
    "amount": ("买家实际支付金额", "实付款", "实付金额", "amount"),
    "status": ("订单状态", "status"),
    "paid_at": ("订单付款时间", "付款时间", "paid_at", "paid at"),
    "coupon": ("优惠券", "优惠券码", "coupon"),
    "title": ("宝贝标题", "商品标题", "商品名称", "title", "item"),
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


class OrderFileError(TableFileError):
    """An order export that cannot be read as a whole (`TableFileError`'s reasons)."""


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
    title: str | None = None  # the item title (宝贝标题), when the file or post has one

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
    header, rows = table_rows(data, MAX_FILE_BYTES, OrderFileError)
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
    return OrderLine(line, order_id, buyer, amount, status, paid_at, coupon, refunded,
                     item_title(cell("title")))  # fmt: skip


def item_title(text: str) -> str | None:
    """An item title as an order keeps it: one line, cut to `MAX_TITLE`; None for none."""
    title = " ".join(text.split())
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    return title or None


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


MAX_POSTED_BYTES = 64 * 1024


def posted_order(payload: object, timezone: str) -> tuple[int, OrderLine]:
    """(group id, order) of a posted JSON order; ValueError naming the field that is wrong."""
    if not isinstance(payload, dict):
        raise ValueError("body")
    group = json_id(payload.get("group"))
    if group is None:
        raise ValueError("group")
    row = []
    fields = ("order_id", "buyer", "amount", "status", "paid_at", "coupon", "refunded", "title")
    for name in fields:
        value = payload.get(name)
        if isinstance(value, (dict, list)):
            raise ValueError(name)  # a field is one value, never a structure to print
        row.append("" if value is None else str(value))
    # the posted `refunded` is the file's `refund` column
    where = {("refund" if name == "refunded" else name): i for i, name in enumerate(fields)}
    read = _order(0, row, where, ZoneInfo(timezone))
    if isinstance(read, RefusedLine):
        raise ValueError(read.reason)
    return group, read
