"""Failures of what fanbot stands on (the database, Redis, Telegram still refusing after the
pacer's retries), not of the update itself.

Such an update is not lost: it is left for Telegram to deliver again (a webhook answers 500,
so Telegram retries it), or handled again by the poller after a pause. Every write it makes is
idempotent, so trying again pays nothing twice. Any other failure is the update's own: it is
logged and answered with an apology, and not tried again (it would fail the same way).
"""

from __future__ import annotations

import asyncpg
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# PostgreSQL's "try again" classes: a serialization failure and a deadlock.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient(error: BaseException) -> bool:
    if isinstance(error, RedisConnectionError | RedisTimeoutError | PoolTimeoutError):
        return True
    if isinstance(error, TelegramRetryAfter | TelegramServerError):
        return True  # a 429 storm or a Bot API outage outlasted the pacer's retries
    if isinstance(error, DBAPIError):
        if error.connection_invalidated or isinstance(error, OperationalError | InterfaceError):
            return True
        return getattr(error.orig, "sqlstate", None) in RETRY_SQLSTATES
    return isinstance(
        error, ConnectionError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError
    )
