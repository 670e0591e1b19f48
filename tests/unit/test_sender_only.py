"""EphemeralAnswers: a reply marked for its sender goes ephemeral in a group, and a server
that has no ephemeral messages is noticed once, its answers going to the group as before."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Message, User

from infrastructure.sender_only import (
    EphemeralAnswers,
    EphemeralSupport,
    for_sender,
    open_scope,
)
from services.chats import ChatProfile

GROUP = ChatProfile(-100123, "supergroup", "Fans", "Asia/Shanghai", "en", True)
BOB = User(id=7, is_bot=False, first_name="Bob")
BOT = Bot("123456789:" + "A" * 35)


class Server:
    """Answers sends as a Bot API server of a given age, recording what it was asked."""

    def __init__(self, *, ephemeral: bool = True, refusal: str | None = None) -> None:
        self.ephemeral, self.refusal = ephemeral, refusal
        self.asked: list[TelegramMethod[Any]] = []

    async def __call__(self, bot: Bot, method: TelegramMethod[Any]) -> Message:
        self.asked.append(method)
        parameters = getattr(method, "ephemeral_message_parameters", None)
        if parameters is not None and self.refusal is not None:
            raise TelegramBadRequest(method, self.refusal)
        chat = Chat(id=GROUP.id, type="supergroup")
        when = datetime.now(UTC)
        if parameters is not None and self.ephemeral:
            return Message(message_id=0, date=when, chat=chat, ephemeral_message_id=3)
        return Message(message_id=len(self.asked), date=when, chat=chat)


async def answer(middleware: EphemeralAnswers, server: Server, text: str) -> Message:
    # aiogram hands the method's result down the chain, whatever the annotation says.
    sent: object = await middleware(server, BOT, SendMessage(chat_id=GROUP.id, text=text))
    assert isinstance(sent, Message)
    return sent


async def test_a_marked_reply_goes_to_its_sender_only_and_others_to_the_group() -> None:
    middleware, server = EphemeralAnswers(EphemeralSupport()), Server()
    open_scope(GROUP, BOB)
    sent = await answer(middleware, server, for_sender("✅ Signed in!"))
    assert sent.ephemeral_message_id == 3
    parameters = server.asked[0].ephemeral_message_parameters  # type: ignore[attr-defined]
    assert parameters.receiver_user_id == BOB.id
    public = await answer(middleware, server, "🎉 Draw #1 ends!")
    assert public.message_id > 0
    assert server.asked[1].ephemeral_message_parameters is None  # type: ignore[attr-defined]


async def test_an_older_server_is_noticed_once_and_answers_go_to_the_group(
    caplog: pytest.LogCaptureFixture,
) -> None:
    support = EphemeralSupport()
    middleware, server = EphemeralAnswers(support), Server(ephemeral=False)
    open_scope(GROUP, BOB)
    with caplog.at_level(logging.WARNING):
        first = await answer(middleware, server, for_sender("✅ Signed in!"))
        second = await answer(middleware, server, for_sender("Usage: /top"))
    assert (first.message_id, second.message_id) == (1, 2)  # both to everyone, once each
    assert len(server.asked) == 2
    assert server.asked[1].ephemeral_message_parameters is None  # type: ignore[attr-defined]
    assert not support.available
    assert caplog.text.count("has no ephemeral messages") == 1


async def test_a_refusal_of_ephemeral_messages_falls_back_for_good() -> None:
    support = EphemeralSupport()
    refusal = "Bad Request: ephemeral messages are not supported"
    middleware, server = EphemeralAnswers(support), Server(refusal=refusal)
    open_scope(GROUP, BOB)
    sent = await answer(middleware, server, for_sender("✅ Signed in!"))
    assert sent.message_id > 0
    assert [m.ephemeral_message_parameters is None for m in server.asked] == [False, True]  # type: ignore[attr-defined]
    assert not support.available


async def test_a_refusal_about_one_member_falls_back_for_that_answer_only() -> None:
    support = EphemeralSupport()
    refusal = "Bad Request: receiver user is not a member of the chat"
    middleware, server = EphemeralAnswers(support), Server(refusal=refusal)
    open_scope(GROUP, BOB)
    sent = await answer(middleware, server, for_sender("✅ Signed in!"))
    assert sent.message_id > 0
    assert support.available


async def test_an_anonymous_admin_has_no_one_to_address() -> None:
    middleware, server = EphemeralAnswers(EphemeralSupport()), Server()
    open_scope(GROUP, User(id=1087968824, is_bot=True, first_name="Group"))
    sent = await answer(middleware, server, for_sender("Usage: /draw <prize>"))
    assert sent.message_id > 0


async def test_a_bursts_first_answer_finds_out_and_the_others_wait_for_it() -> None:
    support = EphemeralSupport()
    middleware, server = EphemeralAnswers(support), Server(ephemeral=False)
    open_scope(GROUP, BOB)
    texts = [for_sender(f"✅ Signed in! #{n}") for n in range(3)]
    await asyncio.gather(*(answer(middleware, server, text) for text in texts))
    asked = [m.ephemeral_message_parameters is not None for m in server.asked]  # type: ignore[attr-defined]
    assert asked == [True, False, False]  # one probe; the rest went as the group's, paced so
    assert not support.confirmed


async def test_a_confirmed_server_paces_answers_as_their_members() -> None:
    support = EphemeralSupport()
    middleware = EphemeralAnswers(support)
    open_scope(GROUP, BOB)
    await answer(middleware, Server(), for_sender("✅ Signed in!"))
    assert support.confirmed
