"""The brand question: answers compared folded (case, full-width forms, spaces), questions
read and refused, numbered and deleted on a real database, and a requester's waiting question
and wrong answers counted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.captcha import (
    BrandQuestion,
    CaptchaQuestions,
    add_question,
    delete_question,
    missed,
    parse_question,
    question_waiting,
)
from services.chat_settings import BadSetting
from services.chats import ChatService
from services.clock import FrozenClock
from services.moderation import ModerationService
from services.points import PointsService

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
SHOP = BrandQuestion(1, "我们店叫什么名字？", ("茶小铺", "Tea Shop"))


@pytest.mark.parametrize(
    ("typed", "right"),
    [
        ("茶小铺", True),
        ("茶 小 铺", True),
        ("茶小铺。", True),
        ("tea shop", True),
        ("ＴＥＡ　ＳＨＯＰ", True),  # full-width letters and the ideographic space
        ("TeaShop!", True),
        ("茶小", False),
        ("tea shops", False),
        ("", False),
        ("。。。", False),  # nothing left once folded is never an answer
    ],
)
def test_an_answer_is_compared_folded(typed: str, right: bool) -> None:
    assert SHOP.accepts(typed) is right


def test_questions_are_read_with_their_answers_and_refused_when_malformed() -> None:
    assert parse_question(" 我们店叫什么名字？ ＝ 茶小铺 ｜ Tea  Shop ") == (
        "我们店叫什么名字？",
        ["茶小铺", "Tea Shop"],
    )
    for bad, why in (("no answer here", "form"), ("Q = ", "form"), ("= A", "form"),
                     ("Q = a|b|c|d|e|f", "form"), ("Q = " + "x" * 61, "long"),
                     ("Q" * 201 + " = a", "long")):  # fmt: skip
        with pytest.raises(BadSetting, match=why):
            parse_question(bad)


async def test_questions_are_numbered_deleted_and_a_waiting_one_counts_wrong_answers(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        first = await add_question(session, chat, "店名？ = 茶小铺")
        second = await add_question(session, chat, "招牌茶？ = 凤凰单丛|单丛")
        assert (first.id, second.id) == (1, 2)
        assert await delete_question(session, chat, 1) == first
        assert await delete_question(session, chat, 1) is None
        third = await add_question(session, chat, "老板姓什么？ = 王")
        assert third.id == 3  # numbers are never given twice
        profile = await ChatService(session, clock, "Asia/Shanghai").profile(chat)
        assert profile is not None
        questions = profile.rules(CaptchaQuestions)
        assert [q.id for q in questions.questions] == [2, 3]
        moderation = ModerationService(session, clock, PointsService(session, clock, "UTC"))
        asked = await moderation.challenge(chat, 42, "request", "Eve", second.asked_as, 300)
        assert questions.asked(asked) == second
        assert await question_waiting(session, 42) is not None
        assert await question_waiting(session, 43) is None
        assert [await missed(session, chat, 42) for _ in range(3)] == [1, 2, 3]
        await moderation.settle(chat, 42, "failed")
        assert await missed(session, chat, 42) is None  # settled: nothing more is counted
        assert await question_waiting(session, 42) is None
