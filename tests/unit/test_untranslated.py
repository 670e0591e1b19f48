"""The checker the zh tests use finds what a zh operator found left in English, and leaves alone
what a person types."""

from __future__ import annotations

from tests.support.untranslated import untranslated


def test_raw_keys_parser_forms_and_english_sentences_are_found() -> None:
    assert untranslated("等级：bronze · 状态 issued") == ["bronze", "issued"]
    assert untranslated("积分流水：shop · reward:1、checkin") == ["checkin", "reward:1", "shop"]
    assert untranslated("时长：30m / 2h / 24h / 3d") == ["24h", "2h", "30m", "3d"]
    assert untranslated("时间 HH:MM / off") == ["HH:MM", "off"]
    assert "as the file's caption, or in reply to it" in untranslated(
        "用法：/reward codes (as the file's caption, or in reply to it)"
    )
    segments = untranslated("分群：new, active, lapsed")
    assert segments == ["active", "lapsed", "new", "new, active, lapsed"]


def test_what_a_person_types_or_taps_is_left_alone() -> None:
    assert untranslated("用法：<code>/settings quiet off</code>，例如 <code>30m</code>") == []
    typed = "发送 /checkin 或 /me@fanbot_bot，链接 https://t.me/fanbot?start=ref_1"
    assert untranslated(typed) == []
    assert untranslated("@cleo_fan 加入了 #晒单") == []
    assert untranslated("奖品：Tea set", allow=["Tea set"]) == []
    assert untranslated("✅ 签到成功！连续 1 天 · +5 积分 · 今日第 1 名。") == []


def test_acronyms_zh_writers_use_are_not_keys() -> None:
    assert untranslated("⭐ KOL 候选 · VIP 专属") == []
    assert untranslated("等级：Member") == ["Member"]
