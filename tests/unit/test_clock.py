"""Durations as admins type them: `30s`, `10m`, `2h`, `7d`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.clock import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "length"),
    [("30s", timedelta(seconds=30)), ("10m", timedelta(minutes=10)), (" 2H ", timedelta(hours=2)),
     ("7d", timedelta(days=7)), ("10", None), ("m", None), ("-5m", None), ("1.5h", None),
     ("100000s", None)],
)  # fmt: skip
def test_durations_are_read_or_refused(text: str, length: timedelta | None) -> None:
    assert parse_duration(text) == length


@pytest.mark.parametrize("seconds", [5, 90, 600, 7200, 86_400, 90_000])
def test_a_formatted_duration_reads_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == timedelta(seconds=seconds)
    assert format_duration(600) == "10m"
