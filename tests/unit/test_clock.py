"""Durations as admins type them (`30s`, `10m`, `2h`, `7d`), and time zone names."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.clock import format_duration, is_timezone, parse_duration


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


@pytest.mark.parametrize(
    "name", ["", "Mars/Base", "a" * 300, "Asia/" + "x" * 256, "../../etc/passwd", "Asia\x00/x"]
)
def test_anything_but_a_zone_name_is_simply_not_a_time_zone(name: str) -> None:
    assert not is_timezone(name)


def test_real_zone_names_are_time_zones() -> None:
    assert is_timezone("Asia/Shanghai")
    assert is_timezone("America/New_York")
