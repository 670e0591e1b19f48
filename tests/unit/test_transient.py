"""Which failures leave an update to be delivered again: the database's and Redis's, not the
update's own."""

from __future__ import annotations

import asyncpg
import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from infrastructure.transient import is_transient


class Serialization(Exception):
    sqlstate = "40001"


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (RedisConnectionError("Connection refused"), True),
        (ConnectionResetError(), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed"), True),
        (OperationalError("SELECT 1", {}, Exception("terminating connection")), True),
        (DBAPIError("SELECT 1", {}, Serialization(), connection_invalidated=False), True),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (ProgrammingError("SELECT", {}, Exception("syntax error")), False),
        (TelegramRetryAfter(SendMessage(chat_id=1, text="hi"), "Too Many Requests", 5), True),
        (TelegramServerError(SendMessage(chat_id=1, text="hi"), "Bad Gateway"), True),
        (TelegramBadRequest(SendMessage(chat_id=1, text="hi"), "chat not found"), False),
        (ValueError("bad amount"), False),
        (KeyError("chat"), False),
    ],
)
def test_only_what_fanbot_stands_on_is_transient(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
