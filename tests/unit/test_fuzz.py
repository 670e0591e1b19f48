"""Any input gets an answer, never an exception: every command parser and every button's
callback data under Hypothesis, alone and through the production dispatcher on a real database
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from enum import Enum
from functools import partial

import pytest
from aiogram import Dispatcher
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Update
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import Resources, create_dispatcher
from handlers.menu import COMMANDS
from handlers.points import parse as parse_points
from infrastructure.commands import usage_reply
from infrastructure.config import load_settings
from infrastructure.i18n import create_i18n
from models import OutboxMessage, create_engine, create_session_pool
from services.cadence_rules import Cadence
from services.campaigns import CampaignInputError, parse_campaign
from services.chat_settings import BadSetting
from services.checkin_rules import CheckinRules
from services.clock import is_timezone, parse_duration
from services.draw_specs import DrawInputError, parse_draw
from services.faq import Faq
from services.posts import PostInputError, parse_post
from services.stats import BadRange, parse_range
from services.topic_specs import TopicInputError, parse_topic
from tests.support.telegram import TOKEN, group, message_update, person, recording_bot
from views.keyboards import Button

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
OWNER = 7
APOLOGY = "Sorry, something went wrong. Please try again later."
# What people type: words, numbers, options, Chinese, full-width forms, and the odd control byte.
PIECES = st.sampled_from(
    ["winners=", "ends=", "=", "2", "-1", "99999999999999", "10m", "2026-12-01", "20:00", "x2",
     "@bob", "+5", "|", ",", "，", "（限量）", "＝", "\u3000", "签到", "<b>", "del", "new", "end",
     "on", "off", "timezone", "Asia/Shanghai", "../../etc", "\x00", "a" * 300, "🎧"]
)  # fmt: skip
ARGS = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=6).map(" ".join)
FUZZ = settings(max_examples=60, deadline=None, database=None)


@FUZZ
@given(ARGS)
def test_every_parser_answers_any_text_with_a_result_or_its_own_error(text: str) -> None:
    parse_points(text)
    parse_duration(text)
    is_timezone(text)
    refusals: list[tuple[Callable[[], object], type[Exception]]] = [
        (lambda: parse_range(text.split(), date(2026, 12, 1)), BadRange),
        (lambda: parse_draw(text, NOW, "Asia/Shanghai", []), DrawInputError),
        (lambda: parse_topic(text), TopicInputError),
        (lambda: parse_post(text, NOW, "Asia/Shanghai"), PostInputError),
        (lambda: parse_campaign(text, date(2026, 12, 1)), CampaignInputError),
        (lambda: CheckinRules.parse(text.split(" ")[0], text), BadSetting),
        (lambda: Cadence.parse("morning", text), BadSetting),
        (lambda: Faq.parse(text), BadSetting),
    ]
    for parse, refusal in refusals:
        with contextlib.suppress(refusal):
            parse()


@FUZZ
@given(st.sampled_from([spec.name for spec in COMMANDS]), st.text(max_size=20))
def test_every_usage_line_is_one_short_line(name: str, form: str) -> None:
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        line = usage_reply(name, form or None)
    assert "\n" not in line
    assert len(line) < 160


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[Dispatcher]:
    config = load_settings(bot_token=TOKEN, database_url=database_url, owner_ids=str(OWNER))
    engine = create_engine(database_url)
    services = Resources(config, engine, create_session_pool(engine))
    dispatcher = create_dispatcher(services)
    dispatcher["outbox_rows"] = partial(outbox_rows, services)  # what it will post, on its own
    yield dispatcher
    await services.close()


async def outbox_rows(services: Resources) -> int:
    async with services.session_pool() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


# Commands whose every answer draws a chart or writes a file are left to their own tests, and
# /invite needs a real invite link (the recording double has none): the e2e suite covers them.
FUZZED = sorted(spec.name for spec in COMMANDS if spec.name not in ("stats", "export", "invite"))
MEMBERS = itertools.count(100)


@settings(
    max_examples=120, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(st.sampled_from(FUZZED), ARGS, st.booleans())
@example("draw", "\x00", True)  # found on PostgreSQL, whose text cannot hold U+0000
@example("unpin", "", True)  # an admin's tool asks Telegram for the sender's rights
@example("forget", "99999999999999999999999", True)  # an id no column holds names nobody
@example("tag", "² x", True)  # a digit int() cannot read
async def test_any_command_from_an_admin_or_a_member_gets_an_answer(
    app: Dispatcher, name: str, args: str, as_admin: bool
) -> None:
    bot, telegram = recording_bot()
    # A new member each time: one who sent 120 commands in a row would be slowed, rightly.
    sender = person(OWNER if as_admin else next(MEMBERS), "en")
    before, queued = len(telegram.requests), await app["outbox_rows"]()
    await app.feed_update(bot, message_update(group(), sender, f"/{name} {args}".strip()))
    answers = telegram.requests[before:]
    assert APOLOGY not in telegram.sent_texts()
    # A new draw's post, or a result, is the answer; the outbox sends it (not running here).
    assert answers or await app["outbox_rows"]() > queued, f"/{name} {args} got no answer"


@settings(
    max_examples=80, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(
    st.sampled_from(["draw", "claim", "checkin", "top", "newdraw", "nope"]),
    st.lists(st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(max_size=8)), max_size=4),
)
async def test_a_forged_button_is_answered_and_harms_nothing(
    app: Dispatcher, prefix: str, parts: list[str]
) -> None:
    bot, telegram = recording_bot()
    chat, fan = group(), person(11, "en")
    anchor = message_update(chat, fan, "hello").message
    assert anchor is not None
    data = ":".join([prefix, *parts])[:64]
    query = CallbackQuery(id="1", from_user=fan, chat_instance="1", message=anchor, data=data).as_(
        bot
    )
    await app.feed_update(bot, Update(update_id=1, callback_query=query))
    assert APOLOGY not in telegram.sent_texts()
    answered = [r for r in telegram.requests if r.__api_method__ == "answerCallbackQuery"]
    assert answered  # every press is answered, so the member's button stops spinning


def fanbot_buttons() -> list[type[CallbackData]]:
    """Every button's callback data the bot's routers take (creating a dispatcher imports them)."""

    def below(cls: type[CallbackData]) -> Iterator[type[CallbackData]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return [c for c in below(CallbackData) if c.__module__.startswith(("views.", "handlers."))]


def test_every_button_is_a_button_whose_numbers_fit_the_database() -> None:
    buttons = [b for b in fanbot_buttons() if b is not Button]
    assert len(buttons) >= 12
    assert [b.__name__ for b in buttons if not issubclass(b, Button)] == []


def oversized(button: type[CallbackData]) -> str:
    """The button's data with every number 20 digits long, every other field a fair value."""
    parts = [button.__prefix__]
    for field in button.model_fields.values():
        kind = field.annotation
        if kind in (int, "int"):
            parts.append("99999999999999999999")
        elif isinstance(kind, type) and issubclass(kind, Enum):
            parts.append(str(next(iter(kind)).value))
        else:
            parts.append("ok")
    return ":".join(parts)


@pytest.mark.parametrize(
    "button",
    [b for b in fanbot_buttons() if "int" in str(b.__annotations__)],
    ids=lambda b: b.__name__,
)
async def test_a_button_naming_a_number_no_database_holds_no_longer_works(
    app: Dispatcher, button: type[CallbackData]
) -> None:
    bot, telegram = recording_bot()
    chat, fan = group(), person(11, "en")
    anchor = message_update(chat, fan, "hello").message
    assert anchor is not None
    data = oversized(button)
    query = CallbackQuery(id="1", from_user=fan, chat_instance="1", message=anchor, data=data)
    await app.feed_update(bot, Update(update_id=1, callback_query=query.as_(bot)))
    (answer,) = [r for r in telegram.requests if r.__api_method__ == "answerCallbackQuery"]
    # /top's pages have their own word for a stale button; every other button the house one.
    stale = "This button is out of date." if button.__prefix__ == "top" else None
    assert answer.text == (stale or "This button no longer works."), data  # type: ignore[attr-defined]
