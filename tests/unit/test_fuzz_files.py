"""Any file an admin sends gets a reading or a refusal, never an exception: the order export
reader (`/orders import`) and the code file reader (`/reward codes`, the console's code upload)
under Hypothesis with random bytes, five encodings (mixed line by line too), sizes, fields over
the csv module's limit, numbers and quotes nested in quotes; and what they read, recorded on a
real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), leaves `fanbot audit`
clean."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import _audit
from infrastructure.config import load_settings
from services.clock import FrozenClock
from services.files import NotText, encoding_of
from services.order_files import (
    MAX_AMOUNT_FEN,
    MAX_BUYER,
    MAX_ORDER_ID,
    OrderFileError,
    OrderLine,
    RefusedLine,
    read_orders,
)
from services.order_rules import OrderRules
from services.orders import CHUNK, OrderService, Source
from services.points import PointsService
from services.reward_codes import MAX_CODE, CodeFile, read_codes
from services.reward_specs import RewardSpec, ShopInputError
from services.shop import ShopService
from tests.support.telegram import TOKEN
from tests.unit.conftest import GROUP

SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16")
HEADERS = (
    "order_id,buyer,amount,paid_at,status,coupon,refund",
    "订单编号,买家会员名,买家实际支付金额,订单付款时间,订单状态,优惠券,退款金额",
    "code",
    "券码,备注",
    "",
)
# What shop files hold: ids, nicknames, sums, dates, statuses, Excel's forms, and worse.
PIECES = st.sampled_from(
    ["T1001", '="3012345678901"', "'3012", "\t3012", "小明", "小红", "bob", "ＡＢＣ", "🎧",
     "199.00", "¥1,299.5", "￥88", "0", "-5", "1e9", "99999999999", "10**30", "NaN",
     "2026-11-28 10:00:00", "2026/11/28 10:00", "2099-01-01", "not a date", "交易成功",
     "交易关闭", "等待买家付款", "paid", "refunded", "unpaid", "FAN-7K3M-Q9XD", "=1+1",
     '"', '""', '"a,b"', "\n", "\r", ",", "[[[", "]]]", "{", "\\", "\u3000", "\ufeff", "\x01"]
)  # fmt: skip
LONG_FIELD = st.sampled_from([131_073, 140_000]).map("x".__mul__)  # past csv's field limit
CELL = st.one_of(
    PIECES,
    st.text(max_size=12),
    st.integers(-(2**70), 2**70).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.recursive(PIECES, lambda inner: inner.map(lambda c: '"' + c.replace('"', '""') + '"')),
)


def mostly(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`good`, and one time in eight any cell instead."""
    return st.integers(0, 7).flatmap(lambda n: CELL if n == 0 else good)


# An order as the headers above have it (order id, buyer, amount, paid at, status, coupon,
# refund), a field now and then something else; or any cells at all.
ORDER_ROW = st.tuples(
    mostly(st.integers(1, 10**6).map(lambda n: f"T{n}")),
    mostly(st.sampled_from(["小明", "小红", "bob", "Ｂob", "李雷"])),
    mostly(st.integers(0, 10**7).map(lambda fen: f"{fen / 100:.2f}")),
    mostly(st.sampled_from(["2026-11-28 10:00:00", "2026/11/30 23:59", ""])),
    mostly(st.sampled_from(["paid", "refunded", "交易成功", "交易关闭", ""])),
    mostly(st.just("")),
    st.one_of(st.integers(0, 10**5).map(lambda fen: f"{fen / 100:.2f}"), st.just("")),
).map(",".join)
ROW = st.one_of(ORDER_ROW, st.lists(CELL, max_size=8).map(",".join))
EOL = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def files(draw: st.DrawFn, headers: tuple[str, ...] = HEADERS) -> bytes:
    """A shop file: a header and rows, in one encoding or one per line, a long field now and
    then, some random bytes spliced in; or random bytes alone."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=600))
    lines = [draw(st.sampled_from(headers)), *draw(st.lists(ROW, max_size=12))]
    if draw(st.integers(0, 5)) == 0:  # a row (or the header) with a field too long
        lines.insert(draw(st.integers(0, len(lines))), f"T9,{draw(LONG_FIELD)},1.00")
    eol = draw(EOL)
    if draw(st.booleans()):  # one encoding throughout
        encoding = draw(st.sampled_from(ENCODINGS))
        data = (eol.join(lines) + eol).encode(encoding, errors="replace")
    else:  # each line its own (UTF-8 rows pasted into a GBK export)
        data = b"".join(
            (line + eol).encode(draw(st.sampled_from(("utf-8", "gbk"))), errors="replace")
            for line in lines
        )
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


def read_order_file(data: bytes) -> list[OrderLine | RefusedLine]:
    """The file's lines, or none when it is refused whole: OrderFileError is the only refusal."""
    with contextlib.suppress(OrderFileError):
        return list(read_orders(data, SHANGHAI))
    return []


def read_code_file(data: bytes) -> CodeFile | None:
    try:
        return read_codes(data)
    except ShopInputError as refused:
        if refused.part != "file":  # a file is refused as a file, never as another part
            raise
        return None


FUZZ = settings(max_examples=150, deadline=None, database=None)


@FUZZ
@given(files())
@example("order_id,buyer,amount\nT1,小明,1.00\n".encode() + "T2,小红,2.00\n".encode("gbk"))
@example(b"order_id,buyer,amount\nT1," + b"x" * 140_000 + b",1.00\nT2,bob,2.00\n")
def test_any_file_reads_as_orders_or_is_refused_whole_or_by_line(data: bytes) -> None:
    with contextlib.suppress(NotText):
        assert encoding_of(data) in ("utf-8-sig", "gb18030")
    for read in read_order_file(data):
        if isinstance(read, RefusedLine):
            continue
        assert 0 < len(read.order_id) <= MAX_ORDER_ID
        assert read.order_id.isprintable()
        assert 0 < len(read.buyer) <= MAX_BUYER
        assert 0 <= read.refunded <= read.amount_fen <= MAX_AMOUNT_FEN


@FUZZ
@given(files())
@example(b"code\nA1\n" + b"x" * 140_000 + b"\nA2\n")
@example("甲券01\n".encode("gbk") + "乙券02\n".encode())
def test_any_file_reads_as_codes_or_is_refused(data: bytes) -> None:
    file = read_code_file(data)
    if file is not None:
        assert all(0 < len(code) <= MAX_CODE and code.isprintable() for _, code in file.codes)
        lines = [line for line, _ in file.codes] + [line for line, _ in file.refused]
        assert len(lines) == len(set(lines))  # each line read once: a code or a refusal


MEMBERS = itertools.count(500)


@settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(orders=files(HEADERS[:2]), codes=files(HEADERS[2:]), credit=st.booleans())
async def test_what_any_file_adds_to_the_database_leaves_the_audit_clean(
    session_pool: async_sessionmaker[AsyncSession],
    database_url: str,
    chat: int,
    orders: bytes,
    codes: bytes,
    credit: bool,
) -> None:
    """Orders credited to a member at once (no return window: their points are paid now, and a
    refund in the file takes them back) and codes added to a coupon: the balances still match
    the ledger and the shop adds up, as `fanbot audit` checks them."""
    clock = FrozenClock(NOW)
    lines = [read for read in read_order_file(orders) if isinstance(read, OrderLine)]
    file = read_code_file(codes)
    member = next(MEMBERS) if credit else None
    event("orders recorded" if lines else "no order recorded")  # --hypothesis-show-statistics
    event("codes added" if file is not None and file.codes else "no code added")
    for start in range(0, len(lines), CHUNK):
        async with session_pool() as session, session.begin():
            service = OrderService(session, clock, PointsService(session, clock))
            await service.record(
                GROUP, lines[start : start + CHUNK], source=Source.IMPORT,
                rules=OrderRules(return_days=0), timezone=SHANGHAI, user_id=member,
            )  # fmt: skip
    if file is not None:
        async with session_pool() as session, session.begin():
            shop = ShopService(session, clock, PointsService(session, clock))
            reward = await shop.add(GROUP, 1, RewardSpec("Coupon", 10))
            await shop.add_codes(GROUP, reward.id, file)
    assert await _audit(load_settings(bot_token=TOKEN, database_url=database_url)) == 0
