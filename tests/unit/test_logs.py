from __future__ import annotations

import logging

from infrastructure.logs import RedactFilter

TOKEN = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def test_token_never_reaches_a_log_line() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "GET %s failed", (f"/bot{TOKEN}/getMe",), None
    )
    RedactFilter(TOKEN).filter(record)
    assert TOKEN not in record.getMessage()
    assert "/bot***/getMe" in record.getMessage()


def test_token_is_removed_from_tracebacks_too() -> None:
    try:
        raise RuntimeError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    RedactFilter(TOKEN).filter(record)
    assert record.exc_info is None
    assert record.exc_text is not None
    assert TOKEN not in record.exc_text
