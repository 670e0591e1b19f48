"""The acceptance check for replies (issue 34): what the bot says in a zh group holds no
untranslated key and no English a zh reader would meet, from every usage line to /settings,
/posts, the draw wizard, /push's refusals and the three private /start answers. What is typed
(code spans, /commands) is English on purpose and passes (`tests/support/untranslated.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from handlers.draw_dialogue import LENGTHS
from handlers.menu import COMMANDS
from handlers.settings import SECTIONS
from handlers.start import help_for
from infrastructure.commands import usage_reply
from infrastructure.i18n import create_i18n
from services.chats import ChatProfile
from services.guards import DEFAULT_RULES, ModerationRules
from services.member_card import GroupStanding
from services.pushes import Audience, Reach
from services.tiers import DEFAULT_TIERS
from tests.support.untranslated import untranslated
from views.help import MESSAGE_LIMIT, help_texts, shown_length
from views.moderation import moderation_settings
from views.posts import schedule_text
from views.pushes import audience_name, nobody_text, reach_text, unknown_audience_text
from views.settings import overview, section_page
from views.start import member_text, operator_text, stranger_text, unknown_link
from views.wording import duration

GROUP = "粉丝群"


@pytest.fixture(autouse=True)
def zh() -> Iterator[None]:
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale("zh"):
        yield


def profile(**changes: object) -> ChatProfile:
    fields: dict[str, object] = {
        "id": -1001, "type": "supergroup", "title": GROUP, "timezone": "Asia/Shanghai",
        "language": "zh", "active": True,
    }  # fmt: skip
    return ChatProfile(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_helper_flags_english_so_a_pass_means_something() -> None:
    assert untranslated("安静签到：auto") == ["auto"]
    assert untranslated("时长 30m") == ["30m"]
    assert untranslated("用法：<code>/settings quiet auto</code>") == []


@pytest.mark.parametrize("name", [spec.name for spec in COMMANDS])
def test_every_usage_line_and_help_page_reads_as_chinese(name: str) -> None:
    assert untranslated(usage_reply(name)) == []
    assert untranslated(help_for(name)) == []


@pytest.mark.parametrize("reader", ["member", "admin", "private"])
def test_help_reads_as_chinese_for_each_reader(reader: str) -> None:
    assert untranslated("\n".join(help_texts(reader))) == []


@pytest.mark.parametrize(
    "moderation",
    [DEFAULT_RULES, ModerationRules(verify="math", verify_seconds=120, flood_messages=8,
                                    flood_seconds=10, flood_mute=600, links=True)],
)  # fmt: skip
def test_settings_overview_and_every_section_read_as_chinese(moderation: ModerationRules) -> None:
    group = profile(moderation=moderation, language=None)
    assert untranslated(overview(group, SECTIONS)) == []
    for section in SECTIONS:
        assert untranslated(section_page(group, section)) == [], section.key
    assert untranslated("\n".join(moderation_settings(moderation))) == []


@pytest.mark.parametrize(
    "schedule",
    ["daily 10:00", "weekly mon,thu 20:00", "at 2026-12-24 20:00", "cron 0 9 * * 1-5"],
)
def test_a_post_schedule_reads_as_chinese(schedule: str) -> None:
    assert untranslated(schedule_text(schedule)) == []
    assert schedule_text("daily 10:00") == "每天 10:00"


def test_the_draw_wizards_lengths_read_as_chinese() -> None:
    labels = [duration(int(length.total_seconds())) for length in LENGTHS.values()]
    assert labels == ["30 分钟", "2 小时", "24 小时", "3 天"]
    assert duration(int(timedelta(minutes=2).total_seconds())) == "2 分钟"


def test_push_refusals_read_as_chinese() -> None:
    ladder = list(DEFAULT_TIERS)
    unknown = unknown_audience_text("vip", ladder, "zh")
    assert untranslated(unknown, allow=["vip"]) == []
    assert "付费" in unknown
    assert "金牌" in unknown
    paying = audience_name(Audience("segment", "paying"), ladder, "zh")
    gold = audience_name(Audience("tier", "gold"), ladder, "zh")
    assert (paying, gold) == ("付费", "金牌及以上")
    for name in (paying, gold):
        assert untranslated(nobody_text(name, Reach(0, 0, 10_000))) == []
        assert untranslated(nobody_text(name, Reach(0, 3, 10_000))) == []
        assert untranslated(reach_text(name, Reach(5, 2, 10_000))) == []


def test_the_three_private_starts_read_as_chinese() -> None:
    gold = next(tier for tier in DEFAULT_TIERS if tier.key == "gold")
    member = member_text("小明", [GroupStanding(GROUP, 2_000, gold)], "zh")
    assert "2,000 积分 · 金牌" in member
    operator = [operator_text("小明", [GROUP], missing) for missing in (True, False)]
    for text in (stranger_text("小明"), member, *operator, unknown_link()):
        assert untranslated(text) == []


def test_a_pushed_copy_names_its_group_and_keeps_its_formatting() -> None:
    from models import Push
    from views.pushes import push_message

    push = Push(
        id=1, chat_id=-1001, audience="segment:paying", text="新品上架", buttons=[],
        entities=[{"type": "bold", "offset": 0, "length": 2}],
    )  # fmt: skip
    copy = push_message(push, 42, GROUP)
    assert copy.text == "📣 来自「粉丝群」：\n新品上架"
    (bold,) = copy.entities or []
    assert (
        copy.text.encode("utf-16-le")[bold.offset * 2 : (bold.offset + 2) * 2].decode("utf-16-le")
        == "新品"
    )  # the entity still covers the admin's words, past the heading
    assert untranslated(copy.text) == []


def test_the_daily_posts_read_as_chinese_with_grouped_numbers() -> None:
    from datetime import UTC, datetime

    from services.digest import DayFigures
    from services.standings import Ranked
    from views.cadence import render, render_digest

    figures = DayFigures(
        new_members=12, messages=12_345, active_members=1_024, sign_ins=2_048,
        points_issued=30_000, top_earners=[Ranked(1, "小明", 1_200)], draws_ended=1,
        tomorrow=[], skipped=[],
    )  # fmt: skip
    digest = render_digest(profile(), figures)
    assert "💬 消息：12,345 条，来自 1,024 位成员" in digest
    assert "🥇 小明 +1,200" in digest
    morning = datetime(2026, 12, 7, 1, tzinfo=UTC)
    for part in ("morning", "reminder"):
        text, _keyboard = render(part, profile(), morning, 2_048, None)
        assert untranslated(text) == []
    assert untranslated(digest) == []


@pytest.mark.parametrize("reader", ["member", "admin", "private"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_help_message_fits_in_a_telegram_message(reader: str, language: str) -> None:
    """An admin's /help outgrew Telegram's 4,096 characters in English (issue 36's commands):
    it is sent as the member and admin lists, each within the limit."""
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale(language):
        texts = help_texts(reader)
    assert all(0 < shown_length(text) <= MESSAGE_LIMIT for text in texts)
    assert len(texts) == 1 or reader == "admin"
