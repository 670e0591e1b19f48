"""接龙 (solitaire order lists): the command's input, quantities, changes and cancels, the
limit, the end (once, by hand or when due), the paced edits and the CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Jielong, JielongEntry, OutboxMessage
from services.clock import FrozenClock
from services.jielong import (
    JielongClosed,
    JielongService,
    Pressed,
    close_due_jielong,
)
from services.jielong_specs import JielongInputError, JielongSpec, parse_jielong
from tests.unit.conftest import GROUP
from views.jielong import list_csv

NOW = datetime(2026, 11, 23, 9, 0, 1, tzinfo=UTC)
TZ = "Asia/Shanghai"
Pool = async_sessionmaker[AsyncSession]


def test_the_command_reads_title_and_options_in_any_order() -> None:
    spec = parse_jielong("周末团 T恤（限量）price=29.9 options=S|M|L limit=50 ends=2h", NOW, TZ)
    assert spec == JielongSpec(
        title="周末团 T恤（限量）", ends_at=NOW + timedelta(hours=2), limit=50,
        price_fen=2990, options=("S", "M", "L"),
    )  # fmt: skip
    assert parse_jielong("奶茶", NOW, TZ) == JielongSpec(title="奶茶")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ("", "title"),
        ("limit=5", "title"),
        ("T恤 limit=0", "limit"),
        ("T恤 price=free", "price"),
        ("T恤 options=S", "options"),
        ("T恤 options=S|S", "options"),
        ("T恤 ends=5s", "ends"),
        ("T恤 ends=2h more", "title"),
    ],
)
def test_bad_input_names_what_is_wrong(args: str, field: str) -> None:
    with pytest.raises(JielongInputError) as raised:
        parse_jielong(args, NOW, TZ)
    assert str(raised.value) == field


async def _open(pool: Pool, clock: FrozenClock, spec: JielongSpec) -> int:
    async with pool() as session, session.begin():
        return (await JielongService(session, clock).create(GROUP, 1, spec)).id


async def _press(
    pool: Pool, clock: FrozenClock, jielong_id: int, user: int, delta: int, choice: int = -1
) -> tuple[Pressed, dict[str, int]]:
    async with pool() as session, session.begin():
        press = await JielongService(session, clock).press(GROUP, jielong_id, user, delta, choice)
    return press.outcome, press.mine


async def _taken(pool: Pool, jielong_id: int) -> tuple[int, int]:
    """(the list's count, the entries' sum): always equal."""
    async with pool() as session:
        jielong = await session.get(Jielong, jielong_id)
        assert jielong is not None
        total = await session.scalar(
            select(func.coalesce(func.sum(JielongEntry.quantity), 0)).where(
                JielongEntry.jielong_id == jielong_id
            )
        )
        return jielong.taken, int(total or 0)


async def test_quantities_change_and_cancel_per_option(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    jl = await _open(session_pool, clock, JielongSpec(title="T恤", options=("S", "M")))
    assert await _press(session_pool, clock, jl, 7, 1, 1) == (Pressed.ADDED, {"M": 1})
    assert await _press(session_pool, clock, jl, 7, 1, 1) == (Pressed.ADDED, {"M": 2})
    assert await _press(session_pool, clock, jl, 7, 1, 0) == (Pressed.ADDED, {"M": 2, "S": 1})
    assert await _press(session_pool, clock, jl, 8, 1, 0) == (Pressed.ADDED, {"S": 1})
    assert await _taken(session_pool, jl) == (4, 4)
    # −1 without a choice takes from the last option put down; with one, from that option
    assert await _press(session_pool, clock, jl, 7, -1) == (Pressed.REMOVED, {"M": 2})
    assert await _press(session_pool, clock, jl, 7, -1, 1) == (Pressed.REMOVED, {"M": 1})
    assert await _taken(session_pool, jl) == (2, 2)
    assert await _press(session_pool, clock, jl, 7, 0) == (Pressed.CANCELLED, {})
    assert await _press(session_pool, clock, jl, 7, 0) == (Pressed.NOTHING, {})
    assert await _press(session_pool, clock, jl, 7, -1) == (Pressed.NOTHING, {})
    assert await _taken(session_pool, jl) == (1, 1)
    # a list with options takes no +1 without one, nor a choice it does not have
    assert (await _press(session_pool, clock, jl, 9, 1))[0] is Pressed.UNKNOWN
    assert (await _press(session_pool, clock, jl, 9, 1, 5))[0] is Pressed.UNKNOWN


async def test_the_limit_holds_when_many_press_at_once(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    jl = await _open(session_pool, clock, JielongSpec(title="限量", limit=10))
    outcomes = await asyncio.gather(
        *(_press(session_pool, clock, jl, user, 1) for user in range(100, 130))
    )
    assert sum(1 for outcome, _ in outcomes if outcome is Pressed.ADDED) == 10
    assert sum(1 for outcome, _ in outcomes if outcome is Pressed.FULL) == 20
    assert await _taken(session_pool, jl) == (10, 10)
    # one taking theirs back makes room for one more
    winner = next(100 + n for n, (outcome, _) in enumerate(outcomes) if outcome is Pressed.ADDED)
    assert (await _press(session_pool, clock, jl, winner, 0))[0] is Pressed.CANCELLED
    assert (await _press(session_pool, clock, jl, 200, 1))[0] is Pressed.ADDED
    assert (await _press(session_pool, clock, jl, 201, 1))[0] is Pressed.FULL


async def test_edits_are_paced_one_per_window(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    jl = await _open(session_pool, clock, JielongSpec(title="奶茶"))
    for user in range(1, 21):
        await _press(session_pool, clock, jl, user, 1)
    clock.set(NOW + timedelta(seconds=5))
    await _press(session_pool, clock, jl, 99, 1)
    async with session_pool() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert kinds == ["jielong_post", "jielong_edit", "jielong_edit"]


async def test_the_list_ends_once_and_takes_no_more(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    jl = await _open(session_pool, clock, JielongSpec(title="奶茶", price_fen=1500))
    await _press(session_pool, clock, jl, 7, 1)
    async with session_pool() as session, session.begin():
        await JielongService(session, clock).end(GROUP, jl)
    with pytest.raises(JielongClosed):
        async with session_pool() as session, session.begin():
            await JielongService(session, clock).end(GROUP, jl)
    assert await _press(session_pool, clock, jl, 8, 1) == (Pressed.CLOSED, {})
    assert await _press(session_pool, clock, jl, 7, 0) == (Pressed.CLOSED, {"": 1})
    async with session_pool() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind)))
    assert kinds.count("jielong_summary") == 1


async def test_a_list_closes_when_its_end_comes(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    ends = NOW + timedelta(hours=1)
    jl = await _open(session_pool, clock, JielongSpec(title="奶茶", ends_at=ends))
    assert await close_due_jielong(session_pool, clock) == 0
    clock.set(ends)
    assert await close_due_jielong(session_pool, clock) == 1
    assert await close_due_jielong(session_pool, clock) == 0
    async with session_pool() as session:
        jielong = await session.get(Jielong, jl)
        assert jielong is not None
        assert jielong.status == "ended"


async def test_the_csv_is_excel_safe_and_adds_up(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    jl = await _open(
        session_pool, clock, JielongSpec(title="T恤", price_fen=2990, options=("S", "M"))
    )
    await _press(session_pool, clock, jl, 7, 1, 0)
    await _press(session_pool, clock, jl, 7, 1, 0)
    await _press(session_pool, clock, jl, 8, 1, 1)
    async with session_pool() as session:
        service = JielongService(session, clock)
        jielong = await service.get(GROUP, jl)
        rows = await service.rows(jielong)
        data = list_csv(jielong, rows)
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode().lstrip("\ufeff"))))
    assert table[0] == [
        "user_id", "name", "username", "option", "quantity", "amount", "updated_utc",
    ]  # fmt: skip
    assert [row[3:6] for row in table[1:]] == [
        ["S", "2", "59.80"], ["M", "1", "29.90"], ["total", "3", "89.70"],
    ]  # fmt: skip
