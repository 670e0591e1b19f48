"""What the bot says in the cases a new user met first: read without a database."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from types import ModuleType

import pytest

import handlers
from handlers.menu import COMMANDS
from handlers.start import help_for
from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.i18n import create_i18n
from models import Draw
from views.charts import cjk_font, warm_up
from views.draws import render_result
from views.numbers import number, signed


@pytest.fixture(params=["en", "zh"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale(request.param):
        yield request.param


def ended(winners: list[int], count: int) -> Draw:
    return Draw(
        id=3, chat_id=-1001, prize="Mug", winners=count, winner_ids=winners, claimed_ids=[],
        seed="00" * 32, commitment="11" * 32, status="ended",
        ends_at=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip


def test_as_many_entrants_as_prizes_is_not_called_fewer(language: str) -> None:
    text = render_result(ended([1, 2], 2), entrants=2, names={})
    assert ("As many entrants as prizes" in text) == (language == "en")
    assert "Fewer" not in text
    assert "README" not in text


def test_plural_forms_follow_the_count_in_english() -> None:
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        one = render_result(ended([1], 1), entrants=1, names={})
        many = render_result(ended([1], 1), entrants=1_200, names={})
    assert "1 entrant\n" in one
    assert "1,200 entrants" in many


def test_numbers_are_grouped_the_same_way_everywhere() -> None:
    assert (number(1_000_057), signed(1_200), signed(-20)) == ("1,000,057", "+1,200", "-20")


@pytest.mark.parametrize("name", [spec.name for spec in COMMANDS])
def test_a_usage_line_is_one_line_and_points_to_help_when_shortened(
    language: str, name: str
) -> None:
    line = usage_reply(name)
    shown = html.unescape(re.sub("<[^>]+>", "", line))  # what the member reads
    assert "\n" not in line
    assert len(shown) <= 110
    spec = next(spec for spec in COMMANDS if spec.name == name)
    if " · " in spec.usage or len(spec.usage) > 80:
        assert f"/help {name}" in line


def test_every_command_a_feature_declares_is_listed_once() -> None:
    declared = [
        spec
        for module in vars(handlers).values()
        if isinstance(module, ModuleType) and module.__name__.startswith("handlers.")
        for value in vars(module).values()
        for spec in (value if isinstance(value, tuple) else (value,))
        if isinstance(spec, CommandSpec)
    ]
    assert {id(spec) for spec in declared} == {id(spec) for spec in COMMANDS}
    assert len({spec.name for spec in COMMANDS}) == len(COMMANDS)


def test_help_for_a_command_shows_every_form(language: str) -> None:
    text = help_for("draw")
    assert "/draw end|cancel &lt;" in text
    assert "/help" in help_for("nosuchcommand")


async def test_the_chart_is_warmed_up_at_start_so_the_first_stats_does_not_wait() -> None:
    cjk_font.cache_clear()
    await warm_up()  # what start-up runs in the background
    assert "matplotlib.figure" in sys.modules
    assert cjk_font.cache_info().currsize == 1  # the font search, the slow part, is done
