"""What 接龙 and 拼团 posts say, in both languages: a long list is cut to fit a message, the
group buy's price and what the next tier needs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infrastructure.i18n import create_i18n
from models import GroupBuy, Jielong
from services.jielong import ListRow
from views.group_buys import group_buy_keyboard, group_buy_post
from views.jielong import SHOWN, jielong_keyboard, jielong_post

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _jielong(taken: int, status: str = "open") -> Jielong:
    return Jielong(
        id=3, chat_id=-1, title="T恤", options="S|M", price_fen=2990, limit=None, taken=taken,
        status=status, ends_at=None, created_by=1, created_at=NOW,
    )  # fmt: skip


def _group_buy(joined: int, status: str = "open", price: int | None = None) -> GroupBuy:
    return GroupBuy(
        id=2, chat_id=-1, program_id=-1, item="耳机", tiers="2:9900,5:8900,10:7900",
        joined=joined, status=status, price_fen=price, ends_at=NOW, created_by=1,
        created_at=NOW,
    )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_long_list_shows_its_first_lines_and_counts_the_rest(language: str) -> None:
    rows = [ListRow(n, f"Fan{n}", None, "S", 1, NOW) for n in range(SHOWN + 7)]
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale(language):
        text = jielong_post(_jielong(len(rows)), rows, "Asia/Shanghai")
        closed = jielong_post(_jielong(len(rows), "ended"), rows, "Asia/Shanghai")
    lines = text.splitlines()
    assert lines[2] == "1. Fan0 S ×1"
    assert f"{SHOWN}. Fan{SHOWN - 1} S ×1" in lines
    assert f"Fan{SHOWN}" not in text
    assert lines[-2] == ("… and 7 more lines" if language == "en" else "……另有 7 条")
    assert lines[-1].endswith("¥1,704.30")  # 57 × ¥29.90
    assert len(text) < 4096
    assert jielong_keyboard(_jielong(1)) is not None
    assert jielong_keyboard(_jielong(1, "ended")) is None
    assert closed.splitlines()[-1] == ("Closed." if language == "en" else "已截止。")


def test_a_group_buy_post_shows_the_price_and_what_the_next_tier_needs() -> None:
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale("en"):
        below = group_buy_post(_group_buy(1), "Asia/Shanghai").splitlines()
        second = group_buy_post(_group_buy(6), "Asia/Shanghai").splitlines()
        formed = group_buy_post(_group_buy(6, "formed", 8900), "Asia/Shanghai").splitlines()
    with i18n.context(), i18n.use_locale("zh"):
        zh = group_buy_post(_group_buy(6), "Asia/Shanghai").splitlines()
    assert below[2:4] == ["1 joined so far · price now: not yet", "1 more for ¥99.00"]
    assert second[2:4] == ["6 joined so far · price now: ¥89.00", "4 more for ¥79.00"]
    assert formed[2] == "6 joined so far · formed at ¥89.00: codes sent privately."
    assert zh[2:4] == ["6 人已参团 · 当前价：¥89.00", "再差 4 人即享 ¥79.00"]
    assert group_buy_keyboard(_group_buy(6, "formed", 8900)) is None
