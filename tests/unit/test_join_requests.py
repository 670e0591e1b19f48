"""A join request answered through the production Dispatcher (Telegram a recording double):
when Telegram refuses the approval or the decline, the requester is told what really happened,
never a false "approved"; a missing right is told to the admins once; a decline is logged only
once Telegram took it; an answer delivered twice approves once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Chat, ChatJoinRequest, Update, User
from sqlalchemy import select

from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from infrastructure.i18n import create_i18n
from models import ModAction, OutboxMessage, create_engine, create_session_pool
from services.captcha import add_question
from services.chats import ChatService
from services.clock import Clock
from services.moderation import JoinRequestAnswer
from services.moderation_settings import set_moderation
from services.rights_messages import RightsNotice
from tests.support.telegram import (
    TOKEN,
    RecordingSession,
    group,
    message_update,
    person,
    recording_bot,
)
from tests.support.untranslated import untranslated
from views.moderation import request_unanswered_text

FANS = group(-100_535, "Tea Fans")
NO_RIGHT = "not enough rights to manage chat join requests"  # tdlib's words
_update_ids = iter(range(90_000, 99_999))


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[Dispatcher, Resources]]:
    settings = load_settings(bot_token=TOKEN, database_url=database_url)
    engine = create_engine(database_url)
    resources = Resources(settings, engine, create_session_pool(engine))
    async with resources.session_pool() as session, session.begin():
        await ChatService(session, Clock(), "UTC").ensure(FANS.id, "supergroup", "Tea Fans")
        await add_question(session, FANS.id, "What do we sell? = tea")
        await set_moderation(session, FANS.id, {"verify": "question"})
    yield create_dispatcher(resources), resources
    await resources.close()


def asks_to_join(user: User) -> Update:
    request = ChatJoinRequest(
        chat=FANS, from_user=user, user_chat_id=user.id, date=datetime.now(UTC)
    )
    return Update(update_id=next(_update_ids), chat_join_request=request)


def types(user: User, text: str) -> Update:
    return message_update(Chat(id=user.id, type="private"), user, text)


def calls(telegram: RecordingSession, method: str) -> int:
    return sum(m.__api_method__ == method for m in telegram.requests)


async def answer(
    dispatcher: Dispatcher, bot: Bot, telegram: RecordingSession, user: User, *typed: str
) -> list[str]:
    """The requester is asked their question, and types `typed`: what they are told."""
    await dispatcher.feed_update(bot, asks_to_join(user))
    asked = len(telegram.sent_texts())
    for text in typed:
        await dispatcher.feed_update(bot, types(user, text))
    return telegram.sent_texts()[asked:]


async def logged(resources: Resources, action: str) -> list[int | None]:
    async with resources.session_pool() as session:
        found = await session.scalars(select(ModAction.target_id).where(ModAction.action == action))
        return list(found)


async def rights_notices(resources: Resources) -> list[object]:
    async with resources.session_pool() as session:
        found = await session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == RightsNotice.kind)
        )
        return list(found)


async def test_an_approval_refused_for_a_missing_right_is_said_and_told_to_the_admins_once(
    app: tuple[Dispatcher, Resources],
) -> None:
    dispatcher, resources = app
    bot, telegram = recording_bot()
    telegram.failures["approveChatJoinRequest"] = NO_RIGHT
    telegram.bot_rights = {"can_invite_users": False}
    eve, finn = person(501, name="Eve"), person(502, name="Finn")
    assert await answer(dispatcher, bot, telegram, eve, "tea") == [
        "✅ Right! But Tea Fans can't let you in just now: I lack a right there. The admins "
        "have been told; your request waits for them."
    ]
    assert await answer(dispatcher, bot, telegram, finn, "TEA") == [
        "✅ Right! But Tea Fans can't let you in just now: I lack a right there. The admins "
        "have been told; your request waits for them."
    ]
    assert await rights_notices(resources) == [{"rights": ["can_invite_users"]}]  # once


@pytest.mark.parametrize(
    ("refusal", "said"),
    [
        ("HIDE_REQUESTER_MISSING", "An admin of Tea Fans has already answered your request."),
        ("USER_ALREADY_PARTICIPANT", "✅ You're already in Tea Fans."),
    ],
)
async def test_an_approval_an_admin_overtook_says_so_and_nothing_is_told_to_the_admins(
    app: tuple[Dispatcher, Resources], refusal: str, said: str
) -> None:
    dispatcher, resources = app
    bot, telegram = recording_bot()
    telegram.failures["approveChatJoinRequest"] = refusal
    assert await answer(dispatcher, bot, telegram, person(503, name="Gus"), "tea") == [said]
    assert await rights_notices(resources) == []


async def test_a_decline_an_admin_overtook_is_not_logged_as_declined(
    app: tuple[Dispatcher, Resources],
) -> None:
    dispatcher, resources = app
    bot, telegram = recording_bot()
    telegram.failures["declineChatJoinRequest"] = "HIDE_REQUESTER_MISSING"
    hal = person(504, name="Hal")
    said = await answer(dispatcher, bot, telegram, hal, "coffee", "juice", "water")
    assert said[-1] == "An admin of Tea Fans has already answered your request."
    assert await logged(resources, "decline") == []
    # Without the right, the request waits for the admins, and they are told.
    telegram.failures["declineChatJoinRequest"] = NO_RIGHT
    telegram.bot_rights = {"can_invite_users": False}
    ivy = person(505, name="Ivy")
    said = await answer(dispatcher, bot, telegram, ivy, "coffee", "juice", "water")
    assert said[-1] == "❌ That's not it. Your request to join Tea Fans now waits for an admin."
    assert await rights_notices(resources) == [{"rights": ["can_invite_users"]}]
    # Declined by Telegram: logged.
    del telegram.failures["declineChatJoinRequest"]
    jon = person(506, name="Jon")
    said = await answer(dispatcher, bot, telegram, jon, "coffee", "juice", "water")
    assert said[-1].startswith("❌ That's not it. Your request to join Tea Fans is declined")
    assert await logged(resources, "decline") == [jon.id]


async def test_an_answer_delivered_twice_approves_once(app: tuple[Dispatcher, Resources]) -> None:
    dispatcher, resources = app
    bot, telegram = recording_bot()
    kim = person(507, name="Kim")
    await dispatcher.feed_update(bot, asks_to_join(kim))
    typed = types(kim, "tea")
    await dispatcher.feed_update(bot, typed)
    await dispatcher.feed_update(bot, typed)  # Telegram delivers it again
    assert calls(telegram, "approveChatJoinRequest") == 1
    assert telegram.sent_texts()[-1] == "✅ Thanks! Your request to join Tea Fans is approved."
    assert await logged(resources, "verify") == [kim.id]


def test_what_a_requester_is_told_reads_as_chinese() -> None:
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale("zh"):
        said = [
            request_unanswered_text(answer, "粉丝福利群", approving=approving)
            for answer in JoinRequestAnswer
            if answer is not JoinRequestAnswer.DONE
            for approving in (True, False)
        ]
    assert said[4] == (
        "✅ 答对了！但 粉丝福利群 暂时无法让你加入：我缺少相应权限。"
        "已通知管理员，你的申请将由他们处理。"
    )
    assert all(untranslated(text) == [] for text in said)
