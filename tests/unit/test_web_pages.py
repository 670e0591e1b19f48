"""What the console's pages show (web/charts.py, web/filters.py): every day of the period is a
bar, dated, on a y-axis of round grouped numbers, money in yuan; a zone is said with its offset;
a ledger row reads as what it is, in the bot's own words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from infrastructure.i18n import create_i18n
from models import LedgerEntry
from tests.support.untranslated import untranslated
from views.member_card import REASONS
from web.charts import bar_chart, daily_series, nice_step
from web.filters import ledger_reason, utc_offset

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


@pytest.fixture
def chinese() -> Iterator[None]:
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale("zh"):
        yield


def row(reason: str, ref: str | None) -> LedgerEntry:
    return LedgerEntry(chat_id=1, user_id=2, delta=-30, reason=reason, ref=ref)


@pytest.mark.usefixtures("chinese")
def test_a_ledger_row_reads_as_what_it_is() -> None:
    rewards = {1: "茶样"}
    assert ledger_reason(row("shop", "reward:1"), rewards) == "兑换 · 茶样"
    assert ledger_reason(row("shop", "reward:9"), rewards) == "兑换 · #9"  # a reward gone
    assert ledger_reason(row("checkin", None)) == "签到"
    assert ledger_reason(row("makeup", None)) == "补签"
    assert ledger_reason(row("draw", "draw:5")) == "抽奖 · #5"
    assert ledger_reason(row("refund", "draw:5")) == "退还 · 抽奖 #5"  # a cancelled draw's cost
    assert ledger_reason(row("admin", "欢迎礼")) == "管理员调整 · 欢迎礼"
    assert ledger_reason(row("purchase", "T-1876")) == "订单 · T-1876"
    assert ledger_reason(row("clawback", "ban")) == "封禁时收回"
    assert ledger_reason(row("referral", "12345")) == "邀请 · 好友 12345"
    assert untranslated(" ".join(ledger_reason(row(reason, None)) for reason in REASONS)) == []
