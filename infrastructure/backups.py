"""Backups of the database while the bot runs, and their restore (issue 41).

SQLite: the online backup API, from a connection of its own to the DATABASE_URL file (in WAL
mode the bot keeps writing; the copy is the database as of one read transaction). PostgreSQL:
`pg_dump -Fc` (one snapshot), restored with `pg_restore`; the password goes by PGPASSWORD in
the tool's environment, never on its command line or in a log.

Everything here blocks: `fanbot backup|restore` call it directly, the daily job in a thread.
Files of ours are named `fanbot-YYYYmmdd-HHMMSS.db|dump` (UTC); retention removes only those.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, func, inspect, select, table
from sqlalchemy.engine import URL, Connection, make_url

from infrastructure.config import ConfigError

NAME = re.compile(r"^fanbot-(\d{8}-\d{6})\.(db|dump)$")
STAMP = "%Y%m%d-%H%M%S"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
VERSIONS = "alembic_version"


class BackupError(ConfigError):
    """A backup or restore that cannot go on: one line for the operator (exit code 2)."""


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def backup_name(now: datetime, database_url: str) -> str:
    suffix = "db" if is_sqlite(database_url) else "dump"
    return f"fanbot-{now.astimezone(UTC).strftime(STAMP)}.{suffix}"


def taken_at(path: Path) -> datetime | None:
    """When a file of ours was written (from its name); None for any other file."""
    match = NAME.match(path.name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)


def ours(folder: Path) -> list[Path]:
    """Our backups in the folder, oldest first."""
    if not folder.is_dir():
        return []
    found = [(when, path) for path in folder.iterdir() if (when := taken_at(path)) is not None]
    return [path for _, path in sorted(found)]


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove our backups beyond the newest `keep` (BACKUP_KEEP); other files stay."""
    found = ours(folder)
    old = found[: max(0, len(found) - keep)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def size_text(size: int) -> str:
    """`812 bytes`, `620.0 KB`, `12.4 MB`, `1.3 GB`."""
    if size < 1024:
        return f"{size} bytes"
    value, units = size / 1024, ["KB", "MB", "GB"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    return f"{value:.1f} {units[0]}"


# --- taking a backup -------------------------------------------------------------------


def sqlite_file(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("backup error: DATABASE_URL names no SQLite file")
    return Path(database).expanduser()


def backup(database_url: str, path: Path) -> Path:
    """Write a consistent copy of the database to `path` (through a `.part` file, renamed
    when complete, so a half-written backup never carries our name)."""
    if is_sqlite(database_url) and path.resolve() == sqlite_file(database_url).resolve():
        raise BackupError(f"backup refused: {path} is the database itself; name another file")
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.unlink(missing_ok=True)
        try:
            if is_sqlite(database_url):
                _sqlite_backup(sqlite_file(database_url), part)
            else:
                _pg_dump(database_url, part)
            part.replace(path)
        finally:
            part.unlink(missing_ok=True)
    except OSError as error:
        raise BackupError(f"backup error: cannot write {path}: {error.strerror or error}") from None
    return path


def _sqlite_backup(source_file: Path, target: Path) -> None:
    if not source_file.is_file():
        raise BackupError(f"backup error: there is no database file {source_file}")
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True, timeout=60)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)  # all pages in one step: one read transaction
        finally:
            destination.close()
    except sqlite3.Error as error:
        raise BackupError(f"backup error: {source_file}: {error}") from None
    finally:
        source.close()


@dataclass(frozen=True, slots=True)
class PgConnection:
    """The libpq options of DATABASE_URL: arguments without the password, and an environment
    that carries it."""

    args: tuple[str, ...]
    env: dict[str, str]
    database: str


def pg_connection(database_url: str) -> PgConnection:
    url: URL = make_url(database_url)
    args: list[str] = []
    host = url.host or _first(url.query.get("host"))
    if host:
        args += ["--host", host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    ssl = _first(url.query.get("sslmode")) or _first(url.query.get("ssl"))
    if ssl:
        env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(ssl, ssl)
    if not url.database:
        raise BackupError("backup error: DATABASE_URL names no database")
    return PgConnection(tuple(args), env, url.database)


def _first(value: str | tuple[str, ...] | None) -> str | None:
    return value[0] if isinstance(value, tuple) else value


def pg_tool(name: str) -> str:
    """`pg_dump` or `pg_restore`: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(re.sub(r"\D", "", Path(path).parents[1].name) or 0),
    )
    if candidates:
        return candidates[-1]
    raise BackupError(
        f"backup error: {name} was not found; install the PostgreSQL client tools "
        "(apt install postgresql-client) in the version of the server or newer"
    )


def _run(tool: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [pg_tool(tool), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {result.returncode}"
        raise BackupError(f"{tool} failed: {reason}")
    return result


def _pg_dump(database_url: str, target: Path) -> None:
    pg = pg_connection(database_url)
    _run(
        "pg_dump",
        ["--format=custom", "--no-password", *pg.args, "--file", str(target), pg.database],
        pg.env,
    )


def pg_dump_command(database_url: str) -> str:
    """The command `fanbot backup` runs, as the README shows it (no password in it)."""
    pg = pg_connection(database_url)
    return " ".join(["pg_dump", "--format=custom", "--no-password", *pg.args, "--file", "FILE",
                     pg.database])  # fmt: skip


# --- checking and restoring ----------------------------------------------------------------


def check(database_url: str, path: Path) -> str:
    """The backup's schema revision, once the file is whole and of this DATABASE_URL's kind;
    BackupError says what is wrong with it."""
    if not path.is_file():
        raise BackupError(f"restore refused: there is no file {path}")
    if is_sqlite(database_url) and path.resolve() == sqlite_file(database_url).resolve():
        raise BackupError(f"restore refused: {path} is the database itself")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if is_sqlite(database_url):
        if head.startswith(PG_MAGIC):
            raise BackupError(
                f"restore refused: {path} is a PostgreSQL dump; DATABASE_URL is SQLite"
            )
        return _check_sqlite(path)
    if head.startswith(SQLITE_MAGIC):
        raise BackupError(f"restore refused: {path} is a SQLite file; DATABASE_URL is PostgreSQL")
    return _check_pg(database_url, path)


def _check_sqlite(path: Path) -> str:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise BackupError(f"restore refused: {path} is damaged: {verdict[0]}")
            has_versions = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSIONS,)
            ).fetchone()
            if has_versions is None:
                raise BackupError(f"restore refused: {path} has no {VERSIONS}: not a fanbot backup")
            row = connection.execute(f"SELECT version_num FROM {VERSIONS}").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(
            f"restore refused: {path} is not a whole SQLite database: {error}"
        ) from None
    if row is None:
        raise BackupError(f"restore refused: {path} has no schema revision: not a fanbot backup")
    return str(row[0])


def _check_pg(database_url: str, path: Path) -> str:
    pg = pg_connection(database_url)
    try:
        listing = _run("pg_restore", ["--list", str(path)], pg.env).stdout
        # The table of contents comes first: a cut or damaged file can still list. Reading
        # every block (into no database) finds it before anything is dropped.
        _run("pg_restore", ["--file", os.devnull, str(path)], pg.env)
    except BackupError as error:
        raise BackupError(f"restore refused: {path} is not a whole dump: {error}") from None
    if f"TABLE DATA public {VERSIONS}" not in listing:
        raise BackupError(f"restore refused: {path} has no {VERSIONS}: not a fanbot backup")
    script = _run(
        "pg_restore", ["--data-only", "--table", VERSIONS, "--file", "-", str(path)], pg.env
    ).stdout.splitlines()
    for number, line in enumerate(script):
        if line.startswith("COPY ") and VERSIONS in line and number + 1 < len(script):
            value = script[number + 1].strip()
            if value and value != "\\.":
                return value
    raise BackupError(f"restore refused: {path} has no schema revision: not a fanbot backup")


def holds_data(connection: Connection) -> bool:
    """Has any table of the database a row (the schema alone, as `fanbot migrate` leaves a new
    database, counts as empty)?"""
    for name in inspect(connection).get_table_names():
        if name == VERSIONS:
            continue
        if connection.execute(select(func.count()).select_from(table(name))).scalar():
            return True
    return False


def drop_tables(connection: Connection) -> None:
    """Before a PostgreSQL restore: the target's tables go, so none of a newer schema stays."""
    metadata = MetaData()
    metadata.reflect(connection)
    metadata.drop_all(connection)


def restore(database_url: str, path: Path) -> None:
    """Put the backup in place of the database (checked first with `check`)."""
    if is_sqlite(database_url):
        target = sqlite_file(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            destination = sqlite3.connect(target, timeout=60)
            try:
                source.backup(destination)
            finally:
                destination.close()
        except sqlite3.Error as error:
            raise BackupError(f"restore error: {target}: {error}") from None
        finally:
            source.close()
        return
    pg = pg_connection(database_url)
    try:
        _restore_pg(pg, path)
    except BackupError as error:
        raise BackupError(
            f"restore error: {error}; the database's tables were dropped: restore a backup again"
        ) from None


def _restore_pg(pg: PgConnection, path: Path) -> None:
    _run(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", "--no-password", *pg.args, "--dbname", pg.database, str(path)],
        pg.env,
    )  # fmt: skip
