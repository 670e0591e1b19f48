"""Reading order exports: Taobao's seller-centre CSV (GBK, its own column names, Excel-safe
order ids) and the plain file; every refused line named with its reason."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.orders import (
    MAX_ROWS,
    OrderFileError,
    OrderLine,
    OrderStatus,
    RefusedLine,
    amount_in_fen,
    read_orders,
)

SHANGHAI = "Asia/Shanghai"
TAOBAO = Path(__file__).parent.parent / "fixtures" / "taobao_orders.csv"


def test_a_taobao_export_in_gbk_is_read_with_its_refusals_by_line() -> None:
    read = list(read_orders(TAOBAO.read_bytes(), SHANGHAI))
    orders = [r for r in read if isinstance(r, OrderLine)]
    refused = [(r.line, r.reason) for r in read if isinstance(r, RefusedLine)]
    assert [(o.line, o.order_id, o.buyer, o.amount_fen, o.status) for o in orders] == [
        (2, "3012345678901234567", "小明爱喝茶", 19_900, OrderStatus.PAID),
        (3, "3012345678901234568", "tea_lover_88", 8_800, OrderStatus.PAID),
        (4, "3012345678901234569", "小红", 5_990, OrderStatus.REFUNDED),
        (5, "3012345678901234570", "路人甲", 12_000, OrderStatus.UNPAID),
    ]
    assert orders[0].coupon == "FAN-7K3M-Q9XD"
    assert orders[0].paid_at == datetime(2026, 11, 28, 20, 1, 30, tzinfo=ZoneInfo(SHANGHAI))
    assert (orders[1].coupon, orders[3].paid_at) == (None, None)
    # line 6 is line 2 again (skipped); 10 reuses 3's id with another amount
    assert refused == [(7, "buyer"), (8, "amount"), (9, "status"), (10, "twice")]


def test_the_plain_file_reads_the_same_fields() -> None:
    plain = (
        "order_id,buyer,amount,paid_at,status,coupon\n"
        "A1,bob,¥1,299.5,2026-11-30T12:00:00+00:00,paid,\n"
    ).encode()
    with pytest.raises(OrderFileError):
        list(read_orders(b"order_id,buyer\nA1,bob\n", SHANGHAI))
    (line,) = read_orders(plain.replace(b"\xc2\xa51,299.5", b'"1,299.50"'), SHANGHAI)
    assert isinstance(line, OrderLine)
    assert (line.amount_fen, line.paid_at) == (129_950, datetime.fromisoformat("2026-11-30T12:00Z"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\n", "empty"),
        ("订单编号,买家会员名\n1,小明\n".encode("gbk"), "columns"),
        ("order_id\n".encode("utf-16"), "not text"),
        (b"x" * (20 * 1024 * 1024 + 1), "too big"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(OrderFileError) as bad:
        list(read_orders(data, SHANGHAI))
    assert bad.value.reason == reason
    if reason == "columns":
        assert bad.value.missing == ("amount",)


def test_a_header_only_file_has_no_orders_and_too_many_rows_stop_the_read() -> None:
    assert list(read_orders(b"order_id,buyer,amount\n", SHANGHAI)) == []
    rows = "".join(f"{n},b,1\n" for n in range(MAX_ROWS + 1))
    with pytest.raises(OrderFileError, match="too many rows"):
        list(read_orders(("order_id,buyer,amount\n" + rows).encode(), SHANGHAI))


@pytest.mark.parametrize(
    ("text", "fen"),
    [("199.00", 19_900), ("￥88", 8_800), ("0.5", 50), ("1,000,000", 100_000_000),
     ("1000000.01", None), ("-5", None), ("1e3", None), ("", None), ("12.345", None),
     ("１２", None)],
)  # fmt: skip
def test_amounts_are_read_exactly_in_fen(text: str, fen: int | None) -> None:
    assert amount_in_fen(text) == fen
