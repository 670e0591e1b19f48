"""The console's bar charts (web/charts.py): every day of the period is a bar, dated, on a
y-axis of round grouped numbers; money is in yuan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from web.charts import bar_chart, daily_series, nice_step
from web.filters import utc_offset

LAST = date(2031, 3, 9)  # any day: nothing here depends on today


def test_a_week_with_one_day_of_data_is_seven_dated_bars_with_zeros() -> None:
    first = LAST - timedelta(days=6)
    chart = bar_chart("checkins", "Sign-ins", daily_series(first, 7, {LAST: 3}))
    assert [bar.value for bar in chart.bars] == [0, 0, 0, 0, 0, 0, 3]
    assert [label.label for label in chart.days] == ["03-03", "03-04", "03-05", "03-06",
                                                      "03-07", "03-08", "03-09"]  # fmt: skip
    assert [tick.label for tick in chart.ticks] == ["0", "1", "2", "3"]
    assert chart.bars[-1].height > 0
    assert chart.bars[0].x < chart.bars[-1].x  # left to right, oldest first
    assert chart.values_shown  # a week: each value printed above its bar


def test_ninety_days_are_dated_seven_times_ending_on_the_last_day() -> None:
    first = LAST - timedelta(days=89)
    chart = bar_chart("messages", "Messages", daily_series(first, 90, {first: 12_345}))
    assert len(chart.bars) == 90
    assert len(chart.days) <= 7
    assert chart.days[-1].label == "03-09"
    assert chart.days[-1].x <= chart.width - 16  # inside the frame
    assert [tick.label for tick in chart.ticks] == ["0", "5,000", "10,000", "15,000"]
    assert chart.total == "12,345"
    assert not chart.values_shown


def test_money_is_yuan_on_the_axis_and_in_the_values() -> None:
    chart = bar_chart("gmv", "GMV", [(LAST, 187_600)], money=True)
    assert chart.bars[0].shown == "¥1,876.00"
    assert chart.ticks[-1].label == "¥2,000"
    assert chart.total == "¥1,876.00"


def test_an_empty_period_still_has_an_axis() -> None:
    chart = bar_chart("joins", "Joins", daily_series(LAST, 1, {}))
    assert [tick.label for tick in chart.ticks] == ["0", "1"]
    assert chart.bars[0].height == 0


def test_steps_are_round() -> None:
    assert [nice_step(peak) for peak in (0, 3, 7, 160, 999, 12_345)] == [1, 1, 2, 50, 500, 5_000]


def test_a_zone_is_said_with_its_offset_at_the_moment() -> None:
    winter, summer = datetime(2031, 1, 15, tzinfo=UTC), datetime(2031, 7, 15, tzinfo=UTC)
    assert utc_offset("Asia/Shanghai", winter) == "UTC+8"
    assert utc_offset("Europe/London", winter) == "UTC"
    assert utc_offset("Europe/London", summer) == "UTC+1"
    assert utc_offset("Asia/Kolkata", winter) == "UTC+5:30"
    assert utc_offset("America/New_York", winter) == "UTC-5"
