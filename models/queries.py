"""Small query helpers shared by services."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Session


def table_of(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def insert_for(session: AsyncSession | Session, model: type[DeclarativeBase]) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL do).

    It inserts into the model's table (Core), so a list of rows runs as one cached executemany
    (batched into multi-row INSERTs by the driver layer) instead of compiling a statement with
    a bind parameter per value, which costs milliseconds for a hundred rows.
    """
    return dialect_of(session).insert(table_of(model))


def dialect_of(session: AsyncSession | Session) -> Any:
    """The dialect module whose INSERT knows ON CONFLICT (PostgreSQL's, else SQLite's)."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


_BUILT: dict[tuple[str, str], Any] = {}


def built_once(session: AsyncSession | Session, name: str, build: Callable[[Any], Any]) -> Any:
    """The statement `build(dialect module)` makes, built once per dialect: an ON CONFLICT
    clause's `excluded` columns cost about a millisecond to set up each time, on paths that
    run it with every batch of messages."""
    dialect = dialect_of(session)
    key = (dialect.__name__, name)
    statement = _BUILT.get(key)
    if statement is None:
        statement = _BUILT[key] = build(dialect)
    return statement


async def upsert(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]] | dict[str, Any],
    *,
    keys: Iterable[str],
    update: Iterable[str] = (),
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update (or DO NOTHING), for one or many rows."""
    statement = insert_for(session, model)
    update = list(update)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={column: statement.excluded[column] for column in update},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    if isinstance(rows, dict):
        await session.execute(statement.values(rows))
    elif rows:
        await session.execute(statement, list(rows))
