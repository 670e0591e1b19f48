"""What boosts and reactions say, in zh as a Chinese operator reads it and in en."""

from __future__ import annotations

from aiogram.utils.i18n import I18n

from infrastructure.i18n import create_i18n
from services.boosts import BoostFigures, BoostRules
from services.reactions import ReactionRules
from tests.support.untranslated import untranslated
from views.engagement import (
    boost_points_set,
    boost_settings,
    boost_stats_lines,
    reaction_points_set,
    reaction_settings,
)
from views.member_card import reason_detail, reason_label


def said(i18n: I18n, language: str) -> list[str]:
    with i18n.context(), i18n.use_locale(language):
        return [
            *boost_settings(BoostRules(2_000)), *boost_settings(BoostRules(0)),
            boost_points_set(1), boost_points_set(0),
            *reaction_settings(ReactionRules(2, 1_000)), *reaction_settings(ReactionRules()),
            reaction_points_set(ReactionRules(1, 5)), reaction_points_set(ReactionRules()),
            *boost_stats_lines(BoostFigures(active=3, added=2, added_before=1)),
            reason_label("boost", None), reason_label("reaction", "message:5"),
            reason_label("clawback", "boost"), reason_detail("reaction", "message:12", {}),
        ]  # fmt: skip


def test_boosts_and_reactions_read_as_chinese() -> None:
    zh = said(create_i18n("zh"), "zh")
    for text in zh:
        assert untranslated(text) == [], text
    assert zh[0] == "助力：成员每次助力得 2,000 积分，取消助力时收回"
    assert zh[8] == "🚀 助力：当前 3 个，新增 2 个（↑100%）"
    assert zh[-4:] == ["助力", "收到表情回应", "助力取消，收回", "消息 #12"]


def test_boosts_and_reactions_in_english() -> None:
    en = said(create_i18n("en"), "en")
    assert en[4] == (
        "Reactions: 2 points to the author for each member's reaction, up to 1,000 reactions a day"
    )
    assert en[8] == "🚀 Boosts: 3 now, 2 new (↑100%)"
    assert en[-2:] == ["boost removed", "message #12"]
