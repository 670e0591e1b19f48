"""`fanbot run | migrate | check | sandbox | audit | verify-draw | export | backup | restore`:
the command line, and its one-line failures."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import __version__
from infrastructure.config import ConfigError, Settings, load_settings
from infrastructure.logs import setup_logging
from services.clock import Clock
from services.export_columns import ExportKind

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fanbot", description="fanbot: the fan-group bot")
    parser.add_argument("--version", action="version", version=f"fanbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="apply migrations, then run the bot")
    commands.add_parser(
        "web", help="serve the web console, draw pages and Mini App alone (needs WEB_URL)"
    )
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("check", help="check settings, database and the Bot API, then exit")
    sandbox_command = commands.add_parser(
        "sandbox", help="try the bot offline: a local Bot API, the web console and a terminal"
    )
    sandbox_command.add_argument(
        "--web-port", type=int, help="the web console's port on 127.0.0.1 (default: a free one)"
    )
    commands.add_parser("audit", help="check every balance against its points ledger")
    verify = commands.add_parser(
        "verify-draw", help="recompute an ended draw's winners from its seed and entrants"
    )
    verify.add_argument("draw_id", type=int, help="the draw's number, as in /draws")
    export = commands.add_parser(
        "export",
        help="write a group's members, ledger, sign-ins, draw entries, redemptions or orders "
        "as CSV (headers in the group's language)",
    )
    export.add_argument("kind", choices=[kind.value for kind in ExportKind])
    export.add_argument("--chat", type=int, required=True, help="the group's id, e.g. -1001234")
    export.add_argument("--from", dest="first", help="first local day, YYYY-MM-DD")
    export.add_argument("--to", dest="last", help="last local day, YYYY-MM-DD (default: today)")
    export.add_argument("-o", "--output", help="the CSV file (default: <kind>-<chat>.csv)")
    backup_command = commands.add_parser(
        "backup", help="write a consistent copy of the database, also while the bot runs"
    )
    backup_command.add_argument(
        "path", nargs="?", help="the file or folder (default: BACKUP_DIR, else backups/)"
    )
    restore_command = commands.add_parser(
        "restore", help="put a backup in place of the database, migrate it and audit it"
    )
    restore_command.add_argument("file", help="a file `fanbot backup` wrote")
    restore_command.add_argument(
        "--force", action="store_true", help="replace a database that holds data"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            return backup(args.path)
        if args.command == "restore":
            return restore(args.file, force=args.force)
        if args.command == "verify-draw":
            return verify_draw(args.draw_id)
        if args.command == "sandbox":
            return sandbox(args.web_port)
        if args.command == "export":
            return export_csv(args.kind, args.chat, args.first, args.last, args.output)
        return COMMANDS[args.command]()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _settings() -> Settings:
    settings = load_settings()
    secrets = [settings.bot_token.get_secret_value()]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    setup_logging(settings.log_level, settings.log_format, *secrets)
    return settings


def _migrate(settings: Settings) -> None:
    import migrations

    check_sqlite_folder(settings.database_url)
    try:
        migrations.upgrade(settings.database_url)
    except Exception as error:  # noqa: BLE001 - every cause is reported the same way
        raise ConfigError(database_problem(settings.database_url, error)) from None


def check_sqlite_folder(url: str) -> None:
    """Say plainly that the folder is missing (the driver would only say "unable to open")."""
    database = make_url(url).database
    if not url.startswith("sqlite") or not database or database == ":memory:":
        return
    folder = Path(database).expanduser().resolve().parent
    if not folder.is_dir():
        raise ConfigError(
            database_problem(url, FileNotFoundError(f"the folder {folder} does not exist"))
        )
    if not os.access(folder, os.W_OK):
        raise ConfigError(
            database_problem(url, PermissionError(f"the folder {folder} is not writable"))
        )


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine for one CLI command; any failure becomes the one-line database error."""
    from models import create_engine

    engine = create_engine(url)
    try:
        yield engine
    except Exception as error:  # noqa: BLE001 - any failure means the database is not usable
        raise ConfigError(database_problem(url, error)) from None
    finally:
        await engine.dispose()


def database_problem(url: str, error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    safe_url = make_url(url).render_as_string(hide_password=True)
    return f"database error: cannot use DATABASE_URL={safe_url}: {reason}"


def stacks_on_signal() -> None:
    """`kill -USR2 <pid>`: every thread's stack on standard error, even while the event loop
    is blocked or the migrations run (unhandled, the signal would end the process)."""
    if hasattr(signal, "SIGUSR2"):  # not on Windows
        faulthandler.register(signal.SIGUSR2, all_threads=True)


def run() -> int:
    stacks_on_signal()
    settings = _settings()
    _migrate(settings)
    from bot.serve import serve  # aiogram takes seconds to import: only once settings are good

    asyncio.run(serve(settings))
    return 0


def web() -> int:
    stacks_on_signal()
    settings = _settings()
    if settings.web_url is None:
        raise ConfigError("config error: WEB_URL is not set; the web console needs its address")
    _migrate(settings)
    from bot.serve import serve

    asyncio.run(serve(settings, web_only=True))
    return 0


def migrate() -> int:
    settings = _settings()
    _migrate(settings)
    print("database is up to date")
    return 0


def check() -> int:
    settings = _settings()
    return asyncio.run(_check(settings))


async def _check(settings: Settings) -> int:
    from aiogram.exceptions import TelegramUnauthorizedError

    from bot.app import Resources, create_bot

    async with open_database(settings.database_url) as engine, engine.connect() as connection:
        migrated = await connection.run_sync(
            lambda sync: inspect(sync).has_table("alembic_version")
        )
        query = text("SELECT version_num FROM alembic_version")
        revision = (await connection.execute(query)).scalar() if migrated else None
    services = Resources.create(settings)
    bot = create_bot(settings, services)
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        raise ConfigError(
            "config error: BOT_TOKEN was rejected by Telegram (401 Unauthorized)"
        ) from None
    except Exception as error:  # noqa: BLE001 - any failure means the Bot API did not answer
        raise ConfigError(
            f"bot api error: {settings.telegram_api_url} did not answer: {error}"
        ) from None
    finally:
        await bot.session.close()
        await services.close()
    print(
        f"ok: @{me.username} (id {me.id}); "
        f"database at revision {revision or 'none: run fanbot migrate'}"
    )
    return 0


def sandbox(web_port: int | None = None) -> int:
    from sandbox.launch import main as sandbox_main

    return asyncio.run(sandbox_main(web_port=web_port))


def audit() -> int:
    """Exit 1 and list the members whose balances differ from their ledger, and what in the
    shop does not add up (stock against its start and redemptions, codes issued and held)."""
    settings = _settings()
    return asyncio.run(_audit(settings))


async def _audit(settings: Settings) -> int:
    from models import create_session_pool
    from services.commission_figures import audit_commission
    from services.games import audit_games
    from services.points_audit import audit as find_mismatches
    from services.quests_audit import audit_quests
    from services.shop import audit_shop
    from services.vip_audit import audit_payments

    async with (
        open_database(settings.database_url) as engine,
        create_session_pool(engine)() as session,
    ):
        mismatches = await find_mismatches(session)
        shop_problems = await audit_shop(session) + await audit_games(session)
        shop_problems += await audit_quests(session)  # missions too
        commission_problems = await audit_commission(session)
        payment_problems = await audit_payments(session)  # said only when there are some
    for m in mismatches:
        print(
            f"chat {m.chat_id} user {m.user_id}: points {m.points}, ledger says {m.ledger_points}; "
            f"lifetime {m.lifetime_points}, ledger says {m.ledger_lifetime}"
        )
    print(
        f"{len(mismatches)} mismatch(es)" if mismatches else "ok: every balance matches its ledger"
    )
    for problem in shop_problems:
        print(f"shop: {problem}")
    print(
        "ok: the shop's stock and codes add up" if not shop_problems else "the shop does not add up"
    )
    for problem in commission_problems:
        print(f"commission: {problem}")
    if commission_problems:
        print("the commission ledger does not add up")
    for problem in payment_problems:
        print(f"payments: {problem}")
    return 1 if mismatches or shop_problems or commission_problems or payment_problems else 0


def verify_draw(draw_id: int) -> int:
    """Exit 0 when the draw's winners follow from its revealed seed, 1 when not (or unknown)."""
    settings = _settings()
    return asyncio.run(_verify_draw(settings, draw_id))


async def _verify_draw(settings: Settings, draw_id: int) -> int:
    from models import create_session_pool
    from services.draws import DrawClosed, DrawNotFound
    from services.factory import ServiceFactory

    async with (
        open_database(settings.database_url) as engine,
        create_session_pool(engine)() as session,
    ):
        draws = ServiceFactory(Clock()).draws(session)
        try:
            check = await draws.verify(None, draw_id)
        except DrawNotFound:
            print(f"there is no draw {draw_id}")
            return 1
        except DrawClosed as closed:
            print(f"draw {draw_id} is {closed.status}: only an ended draw can be checked")
            return 1
        entrants = await draws.entrants(draw_id)
    draw = check.draw
    print(f"draw {draw.id}: {draw.prize}")
    print(f"seed       {draw.seed}")
    print(f"commitment {draw.commitment} ({'matches' if check.seed_matches else 'DOES NOT match'})")
    print(f"entrants   {len(entrants)}; rerolls {len(draw.rerolls)}")
    print(f"winners    {' '.join(map(str, draw.winner_ids)) or '-'}")
    print(f"recomputed {' '.join(map(str, check.expected)) or '-'}")
    print("ok: the winners follow from the seed" if check.ok else "MISMATCH")
    return 0 if check.ok else 1


def export_csv(
    kind: str, chat_id: int, first: str | None, last: str | None, output: str | None
) -> int:
    """Write the export with a progress bar on stderr; exit 1 on an unknown chat or bad days."""
    settings = _settings()
    return asyncio.run(_export_csv(settings, kind, chat_id, first, last, output))


async def _export_csv(
    settings: Settings,
    kind: str,
    chat_id: int,
    first: str | None,
    last: str | None,
    output: str | None,
) -> int:
    from models import Chat, create_session_pool
    from services.exports import ENCODING, count_rows, write_csv
    from services.stats import BadRange, parse_range

    path = output or f"{kind}-{chat_id}.csv"
    async with (
        open_database(settings.database_url) as engine,
        create_session_pool(engine)() as session,
    ):
        chat = await session.get(Chat, chat_id)
        if chat is None:
            print(f"there is no chat {chat_id} in this database", file=sys.stderr)
            return 1
        timezone = chat.timezone or settings.default_timezone
        language = chat.language or settings.default_language  # as the group is answered
        days = [day for day in (first, last) if day is not None]
        if last is not None and first is None:
            print("--to needs --from", file=sys.stderr)
            return 1
        try:
            start, end = parse_range(days, Clock().today_in(timezone))
        except BadRange as bad:
            print(f"bad range: {bad} (days are YYYY-MM-DD, at most a year)", file=sys.stderr)
            return 1
        export = ExportKind(kind)
        total = await count_rows(session, export, chat_id, start, end, timezone)
        bar = ProgressBar(total, sys.stderr)
        with open(path, "w", encoding=ENCODING, newline="") as out:  # noqa: ASYNC230 (a CLI)
            written = await write_csv(
                session, out, export, chat_id, timezone, start, end, progress=bar.update,
                language=language,
            )  # fmt: skip
        bar.done()
    print(f"{written:,} row{'' if written == 1 else 's'} written to {path}")
    return 0


def backup(path: str | None) -> int:
    """Write the copy (`infrastructure/backups.py`) and say where and how large."""
    from infrastructure import backups

    settings = _settings()
    check_sqlite_folder(settings.database_url)
    target = backup_target(settings, path, Clock().now())
    written = backups.backup(settings.database_url, target)
    print(f"backup written to {written} ({backups.size_text(written.stat().st_size)})")
    return 0


def backup_target(settings: Settings, path: str | None, now: datetime) -> Path:
    """The file to write: `path` as given, our timestamped name inside a folder (`path` when
    it is one, else BACKUP_DIR, else backups/)."""
    from infrastructure.backups import backup_name

    if path is not None and not (path.endswith(("/", os.sep)) or Path(path).is_dir()):
        return Path(path)
    folder = Path(path or settings.backup_dir or "backups")
    return folder / backup_name(now, settings.database_url)


def restore(file: str, *, force: bool = False) -> int:
    """Check the backup, refuse a database that holds data (without --force) and a schema newer
    than this code, restore, migrate forward, then audit: exit 0 when the audit is clean."""
    import migrations
    from infrastructure import backups

    settings = _settings()
    check_sqlite_folder(settings.database_url)
    path = Path(file)
    revision = backups.check(settings.database_url, path)
    head = migrations.current_head()
    if not migrations.is_known(revision):
        raise backups.BackupError(
            f"restore refused: {path} is at schema {revision}, newer than this fanbot's "
            f"{head}; restore it with the fanbot that wrote it"
        )
    return asyncio.run(_restore(settings, path, revision, force=force))


async def _restore(settings: Settings, path: Path, revision: str, *, force: bool) -> int:
    import migrations
    from infrastructure import backups

    url = settings.database_url
    async with open_database(url) as engine, engine.connect() as connection:
        holds_data = await connection.run_sync(backups.holds_data)
    if holds_data and not force:
        safe_url = make_url(url).render_as_string(hide_password=True)
        raise backups.BackupError(
            f"restore refused: the database at DATABASE_URL={safe_url} holds data; "
            "add --force to replace it"
        )
    if not backups.is_sqlite(url):  # none of a newer schema's tables stays behind
        async with open_database(url) as engine, engine.begin() as connection:
            await connection.run_sync(backups.drop_tables)
    await asyncio.to_thread(backups.restore, url, path)
    await asyncio.to_thread(_migrate, settings)
    head = migrations.current_head()
    moved = f", migrated from {revision} to {head}" if revision != head else f", schema {head}"
    print(f"restored {path}{moved}")
    return await _audit(settings)


class ProgressBar:
    """`[#####-----]  50%  500,000/1,000,000 rows` on one line, redrawn in place on a terminal
    (a line each 10% elsewhere)."""

    WIDTH = 30

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out = total, out
        self.tty = out.isatty()
        self._shown = -1

    def update(self, done: int) -> None:
        share = done / self.total if self.total else 1.0
        step = int(share * 100) if self.tty else int(share * 10) * 10
        if step == self._shown:
            return
        self._shown = step
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"[{bar}] {share:4.0%}  {done:,}/{self.total:,} rows"
        self.out.write(f"\r{line}" if self.tty else f"{line}\n")
        self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")


COMMANDS = {
    "run": run,
    "web": web,
    "migrate": migrate,
    "check": check,
    "audit": audit,
}
