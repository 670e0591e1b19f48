"""`fanbot backup` and `fanbot restore` on the test's database (SQLite, or PostgreSQL with
TEST_DATABASE_URL when pg_dump and pg_restore are installed), and the daily backup's job."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import MetaData, select, text
from sqlalchemy.engine import Connection

import migrations
from bot.app import Resources, create_dispatcher
from infrastructure import backups
from infrastructure.config import load_settings
from models import LedgerEntry, OutboxMessage, create_engine, create_session_pool
from scheduler.backups import BackupJobs
from scheduler.core import Jobs
from services.chats import ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.order_files import OrderLine, OrderStatus
from services.order_rules import OrderRules
from services.orders import OrderService, Source
from services.outbox import Deletion, OutboxService
from services.reward_specs import RewardSpec
from tests.conftest import PG_URL
from tests.unit.conftest import GROUP
from tests.unit.test_cli import TOKEN, fanbot
from tests.unit.test_shop import NOW, grant, new_reward, redeem

LOADED = 424_242  # the member the writer keeps paying while the backup is taken
SUFFIX = "db" if PG_URL is None else "dump"
# What paying LOADED writes: its ledger rows, its member row, its period sums, the day's stats.
LOADED_TABLES = ("points_ledger", "members", "points_periods", "daily_stats")

if PG_URL is not None:
    try:
        backups.pg_tool("pg_dump"), backups.pg_tool("pg_restore")
    except backups.BackupError:
        pytest.skip("pg_dump and pg_restore are not installed", allow_module_level=True)


def cli(*args: str, url: str, tmp_path: Path) -> tuple[int, list[str], list[str]]:
    result = fanbot(
        *args, tmp_path=tmp_path, BOT_TOKEN=TOKEN, DATABASE_URL=url, LOG_LEVEL="WARNING"
    )
    return result.returncode, result.stdout.splitlines(), result.stderr.strip().splitlines()


async def populate(url: str) -> list[int]:
    """Members with points, ledger rows, an order, reward codes (two issued) and outbox rows,
    some sent: the ids of those still pending."""
    engine = create_engine(url)
    pool = create_session_pool(engine)
    clock = FrozenClock(NOW)
    async with pool() as session, session.begin():
        await ChatService(session, clock, "Asia/Shanghai").ensure(GROUP, "supergroup", "Fans")
    for user in (1, 2, 3):
        await grant(pool, user, 100 * user)
    await grant(pool, LOADED, 100_000)  # at the top tier: paying it more promotes no one
    coffee = await new_reward(pool, RewardSpec("Coffee", 10), codes=3)
    await redeem(pool, coffee, "r1", user=1)
    await redeem(pool, coffee, "r2", user=2)
    async with pool() as session, session.begin():
        points = ServiceFactory(clock).points(session)
        line = OrderLine(2, "3012345678901234567", "小明", 19_900, OrderStatus.PAID, NOW, None,
                         title="礼盒")  # fmt: skip
        await OrderService(session, clock, points).record(
            GROUP, [line], source=Source.IMPORT, rules=OrderRules(), timezone="Asia/Shanghai"
        )
        outbox = OutboxService(session, clock)
        for n in range(4):
            await outbox.add(GROUP, Deletion(message_ids=(100 + n,)), key=f"backup-test:{n}")
    async with pool() as session, session.begin():
        outbox = OutboxService(session, clock)
        ids = list(await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
        await outbox.sent(ids[:-2], message_id=555)  # the older sent, the last two not yet
        pending = ids[-2:]
    await engine.dispose()
    return pending


def rows(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    metadata = MetaData()
    metadata.reflect(connection)
    return {
        name: sorted(map(tuple, connection.execute(table.select())), key=repr)
        for name, table in metadata.tables.items()
    }


async def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        found = await connection.run_sync(rows)
    await engine.dispose()
    return found


async def wipe(url: str) -> None:
    if PG_URL is None:
        for path in Path(backups.sqlite_file(url)).parent.glob(backups.sqlite_file(url).name + "*"):
            path.unlink()
        return
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def test_a_backup_under_load_restores_every_row_balance_and_the_outbox_as_they_were(
    database_url: str, tmp_path: Path
) -> None:
    pending = await populate(database_url)
    before = await snapshot(database_url)
    engine = create_engine(database_url)
    pool = create_session_pool(engine)
    written, started, stop = 0, asyncio.Event(), asyncio.Event()

    async def keep_writing() -> None:
        nonlocal written
        while not stop.is_set() or written < 6:
            async with pool() as session, session.begin():
                await (
                    ServiceFactory(FrozenClock(NOW))
                    .points(session)
                    .change(GROUP, LOADED, 1, reason="admin", key=f"load:{written}")
                )
            written += 1
            if written == 3:
                started.set()
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    await started.wait()
    at_backup = written
    code, out, err = await asyncio.to_thread(cli, "backup", "kept/", url=database_url,
                                             tmp_path=tmp_path)  # fmt: skip
    stop.set()
    await writer
    await engine.dispose()
    assert code == 0, err
    (file,) = (tmp_path / "kept").iterdir()
    assert backups.NAME.match(file.name)
    assert file.suffix == f".{SUFFIX}"
    assert out[0].startswith(f"backup written to kept/{file.name} (")

    await wipe(database_url)
    code, out, err = await asyncio.to_thread(cli, "restore", str(file), url=database_url,
                                             tmp_path=tmp_path)  # fmt: skip
    assert code == 0, (out, err)
    assert out == [
        f"restored {file}, schema {migrations.current_head()}",
        "ok: every balance matches its ledger",
        "ok: the shop's stock and codes add up",
    ]
    after = await snapshot(database_url)
    # Every row as it was, but for what the writer had paid by then: a run of its changes.
    for name in LOADED_TABLES:
        old, new = before.pop(name), after.pop(name)
        if name != "daily_stats":
            assert [r for r in new if LOADED not in r] == [r for r in old if LOADED not in r]
    assert after == before
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        keys = set(
            await connection.scalars(
                select(LedgerEntry.idempotency_key).where(
                    LedgerEntry.idempotency_key.like("load:%")
                )
            )
        )
        balance = (
            await connection.execute(
                text("SELECT points FROM members WHERE chat_id = :c AND user_id = :u"),
                {"c": GROUP, "u": LOADED},
            )
        ).scalar()
    assert at_backup <= len(keys) <= written
    assert keys == {f"load:{n}" for n in range(len(keys))}
    assert balance == 100_000 + len(keys)
    # The outbox resumes with what was not sent, and only that.
    async with create_session_pool(engine)() as session, session.begin():
        due = await OutboxService(session, FrozenClock(NOW + timedelta(minutes=1))).claim()
    await engine.dispose()
    assert sorted(row.id for row in due) == pending


async def test_restore_refuses_a_database_that_holds_data_without_force(
    database_url: str, tmp_path: Path
) -> None:
    await populate(database_url)
    code, out, err = await asyncio.to_thread(cli, "backup", "x." + SUFFIX, url=database_url,
                                             tmp_path=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = await asyncio.to_thread(cli, "restore", "x." + SUFFIX, url=database_url,
                                             tmp_path=tmp_path)  # fmt: skip
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith("restore refused: the database at DATABASE_URL=")
    assert err[0].endswith("holds data; add --force to replace it")
    code, out, err = await asyncio.to_thread(cli, "restore", "x." + SUFFIX, "--force",
                                             url=database_url, tmp_path=tmp_path)  # fmt: skip
    assert code == 0, (out, err)
    assert out[-2:] == [
        "ok: every balance matches its ledger",
        "ok: the shop's stock and codes add up",
    ]


async def test_restore_refuses_a_damaged_file_and_one_that_is_no_backup(
    database_url: str, tmp_path: Path
) -> None:
    await populate(database_url)
    code, _, err = await asyncio.to_thread(cli, "backup", "whole." + SUFFIX, url=database_url,
                                           tmp_path=tmp_path)  # fmt: skip
    assert code == 0, err
    whole = (tmp_path / f"whole.{SUFFIX}").read_bytes()
    (tmp_path / f"cut.{SUFFIX}").write_bytes(whole[: len(whole) // 2])
    (tmp_path / f"junk.{SUFFIX}").write_bytes(b"not a backup at all\n" * 100)
    await wipe(database_url)
    for name in ("cut", "junk"):
        code, out, err = await asyncio.to_thread(cli, "restore", f"{name}.{SUFFIX}", "--force",
                                                 url=database_url, tmp_path=tmp_path)  # fmt: skip
        assert code == 2, (name, out, err)
        assert len(err) == 1, err
        assert err[0].startswith(f"restore refused: {name}.{SUFFIX} "), err
    assert (await snapshot(database_url)).get("members", []) == []  # nothing was written


async def test_an_older_backup_is_migrated_forward_and_a_newer_one_refused(
    empty_database_url: str, database_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(migrations.upgrade, empty_database_url, "0020_member_tags")
    code, _, err = await asyncio.to_thread(cli, "backup", "old." + SUFFIX, url=empty_database_url,
                                           tmp_path=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = await asyncio.to_thread(cli, "restore", "old." + SUFFIX, url=database_url,
                                             tmp_path=tmp_path)  # fmt: skip
    assert code == 0, (out, err)
    head = migrations.current_head()
    assert out[0] == f"restored old.{SUFFIX}, migrated from 0020_member_tags to {head}"
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        version = (
            await connection.execute(text("SELECT version_num FROM alembic_version"))
        ).scalar()
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    await engine.dispose()
    assert version == head
    code, _, err = await asyncio.to_thread(cli, "backup", "new." + SUFFIX, url=database_url,
                                           tmp_path=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = await asyncio.to_thread(cli, "restore", "new." + SUFFIX, "--force",
                                             url=database_url, tmp_path=tmp_path)  # fmt: skip
    assert code == 2
    assert err == [
        f"restore refused: new.{SUFFIX} is at schema 9999_future, newer than this fanbot's "
        f"{head}; restore it with the fanbot that wrote it"
    ]


async def test_the_daily_backup_is_due_a_day_after_the_newest_and_keeps_backup_keep(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "daily"
    clock = FrozenClock(datetime(2026, 12, 7, 3, 0, tzinfo=UTC))
    jobs = BackupJobs(database_url, folder, keep=2, clock=clock)
    assert jobs.due(clock.now()) == clock.now()  # none yet: at once
    folder.mkdir()
    for day in (3, 4, 5):
        (folder / f"fanbot-202612{day:02}-030000.{SUFFIX}").write_bytes(b"old")
    (folder / "notes.txt").write_text("the operator's")
    (folder / "fanbot-latest.db").write_bytes(b"not ours")
    assert jobs.due(clock.now()) == clock.now()  # the bot was down past the 6th
    written = await jobs.take()
    assert written is not None
    assert written.name == f"fanbot-20261207-030000.{SUFFIX}"
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [f"fanbot-20261205-030000.{SUFFIX}", written.name, "fanbot-latest.db", "notes.txt"]
    )
    assert jobs.due(clock.now()) == datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    assert backups.check(database_url, written) == migrations.current_head()


def test_the_postgresql_password_goes_by_the_environment_never_the_command_line() -> None:
    url = "postgresql+asyncpg://fan:s3cret@db.example:6543/fanbot?ssl=require"
    pg = backups.pg_connection(url)
    assert pg.args == ("--host", "db.example", "--port", "6543", "--username", "fan")
    assert pg.database == "fanbot"
    assert (pg.env["PGPASSWORD"], pg.env["PGSSLMODE"]) == ("s3cret", "require")
    assert "s3cret" not in backups.pg_dump_command(url)
    assert os.environ.get("PGPASSWORD") != "s3cret"


async def test_the_daily_backup_is_planned_once_and_not_again_while_it_runs(
    database_url: str, tmp_path: Path
) -> None:
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    daily = BackupJobs(database_url, tmp_path, keep=7, clock=FrozenClock(now))
    (tmp_path / f"fanbot-20261206-120000.{SUFFIX}").write_bytes(b"yesterday's")
    scheduler = AsyncIOScheduler(timezone=UTC)  # not started: the jobs a plan adds, kept
    jobs = Jobs(scheduler, now=now)
    await daily.plan(None, jobs, now)  # type: ignore[arg-type]
    (job,) = scheduler.get_jobs()
    assert (job.id, job.trigger.run_date) == ("backup:daily", datetime(2026, 12, 7, 12, tzinfo=UTC))
    daily._running = True  # a rebuild while the copy is under way keeps it, adds none
    scheduler.remove_all_jobs()
    again = Jobs(scheduler, now=now)
    await daily.plan(None, again, now)  # type: ignore[arg-type]
    assert again.planned == {"backup:daily"}
    assert scheduler.get_jobs() == []


@pytest.mark.parametrize("folder", [None, "kept"])
async def test_the_bot_backs_up_daily_only_once_backup_dir_is_set(
    database_url: str, tmp_path: Path, folder: str | None
) -> None:
    settings = load_settings(
        bot_token=TOKEN, database_url=database_url,
        backup_dir=None if folder is None else str(tmp_path / folder), backup_keep=3,
    )  # fmt: skip
    engine = create_engine(database_url)
    app = create_dispatcher(Resources(settings, engine, create_session_pool(engine)))
    daily = [s for s in app["scheduler"].sources if isinstance(s, BackupJobs)]
    await engine.dispose()
    if folder is None:
        assert daily == []
    else:
        (jobs,) = daily
        assert (jobs.folder, jobs.keep) == (tmp_path / folder, 3)


def test_a_sqlite_backup_is_never_written_over_the_database_nor_restored_from_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fanbot.db"
    with pytest.raises(backups.BackupError, match="is the database itself"):
        backups.backup(url, tmp_path / "fanbot.db")
    (tmp_path / "fanbot.db").write_bytes(b"")
    with pytest.raises(backups.BackupError, match="is the database itself"):
        backups.check(url, tmp_path / "fanbot.db")
