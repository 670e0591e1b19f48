"""The update's transaction, for code that must commit early or act only after the commit:
the session middleware (`infrastructure.middlewares.database`) opens it and runs what
`after_commit` queued once it is committed. No middleware here, so that workflows and handlers
import these without importing the middlewares."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from infrastructure.chat_cache import ChatCache

AFTER_COMMIT = "after_commit"
update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the update's transaction is committed (caches must not run ahead)."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


def forget_after_commit(session: AsyncSession, chat_cache: ChatCache, chat_id: int) -> None:
    """Drop the chat's cached profile once the change to it is committed (not before: a
    concurrent update would cache the old row again)."""
    after_commit(session, partial(chat_cache.forget, chat_id))


async def commit_so_far(session: AsyncSession) -> None:
    """Commit what the update wrote so far, before it waits on something else (see
    `infrastructure.middlewares.database`)."""
    if session.in_transaction():
        await session.commit()


async def commit_update_so_far() -> None:
    """Commit the current update's transaction, if any, before opening a session of one's own
    (on SQLite the update's transaction would hold the process's only connection)."""
    session = update_session.get()
    if session is not None:
        await commit_so_far(session)
