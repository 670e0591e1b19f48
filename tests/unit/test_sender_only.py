"""EphemeralAnswers: a reply marked for its sender goes ephemeral in a group where the Bot API
allows it (the bot an admin, a press, an ephemeral command), and a server that has no ephemeral
messages is noticed once, its answers going to the group as before."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Message, ReplyParameters, User

from infrastructure.admins import AdminCache
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


class Admins(AdminCache):
    """The chats' admin lists as `getChatAdministrators` would give them, counting the asks."""

    def __init__(self, *admins: int) -> None:
        super().__init__(frozenset())
        self.admins, self.asked, self.dropped = frozenset(admins), 0, 0

    async def admins_of(self, bot: Bot, chat_id: int) -> frozenset[int]:
        self.asked += 1
        return self.admins

    async def invalidate(self, chat_id: int) -> None:
        self.dropped += 1


BOT_IS_ADMIN = Admins(BOT.id)


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
    open_scope(GROUP, BOB, admins=BOT_IS_ADMIN)
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
    open_scope(GROUP, BOB, admins=BOT_IS_ADMIN)
    with caplog.at_level(logging.WARNING):
        first = await answer(middleware, server, for_sender("✅ Signed in!"))
        second = await answer(middleware, server, for_sender("Usage: /top"))
    assert (first.message_id, second.message_id) == (1, 2)  # both to everyone, once each
    assert len(server.asked) == 2
    assert server.asked[1].ephemeral_message_parameters is None  # type: ignore[attr-defined]
    assert not support.available
    assert caplog.text.count("has no ephemeral messages") == 1


async def test_a_refusal_in_one_chat_never_switches_the_process_off() -> None:
    support, admins = EphemeralSupport(), Admins(BOT.id)  # a stale list: demoted meanwhile
    refusal = "Bad Request: ephemeral messages are not allowed: not enough rights"
    middleware, server = EphemeralAnswers(support), Server(refusal=refusal)
    open_scope(GROUP, BOB, admins=admins)
    sent = await answer(middleware, server, for_sender("✅ Signed in!"))
    assert sent.message_id > 0  # this answer went to the group
    assert [m.ephemeral_message_parameters is None for m in server.asked] == [False, True]  # type: ignore[attr-defined]
    assert support.available  # other chats still get theirs
    assert admins.dropped == 1  # the bot's status in this chat is asked anew next time
    other = await answer(EphemeralAnswers(support), Server(), for_sender("Usage: /top"))
    assert other.ephemeral_message_id == 3


async def test_a_refusal_about_one_member_falls_back_for_that_answer_only() -> None:
    support = EphemeralSupport()
    refusal = "Bad Request: receiver user is not a member of the chat"
    middleware, server = EphemeralAnswers(support), Server(refusal=refusal)
    open_scope(GROUP, BOB, admins=BOT_IS_ADMIN)
    sent = await answer(middleware, server, for_sender("✅ Signed in!"))
    assert sent.message_id > 0
    assert support.available


async def test_an_anonymous_admin_has_no_one_to_address() -> None:
    middleware, server = EphemeralAnswers(EphemeralSupport()), Server()
    open_scope(GROUP, User(id=1087968824, is_bot=True, first_name="Group"), admins=BOT_IS_ADMIN)
    sent = await answer(middleware, server, for_sender("Usage: /draw <prize>"))
    assert sent.message_id > 0


async def test_a_bursts_first_answer_finds_out_and_the_others_wait_for_it() -> None:
    support = EphemeralSupport()
    middleware, server = EphemeralAnswers(support), Server(ephemeral=False)
    open_scope(GROUP, BOB, admins=BOT_IS_ADMIN)
    texts = [for_sender(f"✅ Signed in! #{n}") for n in range(3)]
    await asyncio.gather(*(answer(middleware, server, text) for text in texts))
    asked = [m.ephemeral_message_parameters is not None for m in server.asked]  # type: ignore[attr-defined]
    assert asked == [True, False, False]  # one probe; the rest went as the group's, paced so
    assert not support.confirmed


async def test_a_confirmed_server_paces_answers_as_their_members() -> None:
    support = EphemeralSupport()
    middleware = EphemeralAnswers(support)
    open_scope(GROUP, BOB, admins=BOT_IS_ADMIN)
    await answer(middleware, Server(), for_sender("✅ Signed in!"))
    assert support.confirmed


async def test_where_the_bot_is_no_admin_an_answer_goes_to_the_group_in_one_call() -> None:
    support, admins = EphemeralSupport(), Admins(42)
    middleware, server = EphemeralAnswers(support), Server()
    open_scope(GROUP, BOB, admins=admins)
    sent = await answer(middleware, server, for_sender("✅ Signed in!"))
    assert sent.message_id == 1
    assert len(server.asked) == 1
    assert server.asked[0].ephemeral_message_parameters is None  # type: ignore[attr-defined]
    assert admins.asked == 1  # read from the admin cache, not a getChatMember per answer
    assert support.available
    assert not support.decided


async def test_a_press_is_answered_ephemerally_by_a_bot_that_is_no_admin() -> None:
    middleware, server = EphemeralAnswers(EphemeralSupport()), Server()
    open_scope(GROUP, BOB, "press-1", admins=Admins())
    sent = await answer(middleware, server, for_sender("🎟 Your tickets: 3 …" * 30))
    assert sent.ephemeral_message_id == 3
    parameters = server.asked[0].ephemeral_message_parameters  # type: ignore[attr-defined]
    assert parameters.callback_query_id == "press-1"


def ephemeral_command(text: str) -> Message:
    chat = Chat(id=GROUP.id, type="supergroup")
    when = datetime.now(UTC)
    return Message(message_id=0, date=when, chat=chat, from_user=BOB, text=text,
                   ephemeral_message_id=9)  # fmt: skip


async def test_an_ephemeral_command_is_answered_in_reply_to_it_by_any_bot() -> None:
    middleware, server = EphemeralAnswers(EphemeralSupport()), Server()
    command = ephemeral_command("/me")
    open_scope(GROUP, BOB, admins=Admins(), incoming=command)
    await middleware(server, BOT, command.answer(for_sender("💰 Points: 5")))
    asked = server.asked[0]
    assert asked.ephemeral_message_parameters.receiver_user_id == BOB.id  # type: ignore[attr-defined]
    reply = asked.reply_parameters  # type: ignore[attr-defined]
    assert (reply.ephemeral_message_id, reply.message_id) == (9, None)


async def test_aiogram_s_own_reply_to_an_ephemeral_command_drops_what_the_docs_rule_out() -> None:
    middleware, server = EphemeralAnswers(EphemeralSupport()), Server()
    await middleware(server, BOT, ephemeral_command("/me").reply("💰 Points: 5"))
    reply = server.asked[0].reply_parameters  # type: ignore[attr-defined]
    assert reply.ephemeral_message_id == 9
    # Not the bot's default True: "always False for sent ephemeral messages".
    assert reply.allow_sending_without_reply is None
    assert reply.chat_id is None
    assert reply.quote is None


async def test_an_ephemeral_reply_keeps_its_message_id_and_drops_the_rest() -> None:
    middleware, server = EphemeralAnswers(EphemeralSupport()), Server()
    open_scope(GROUP, BOB, admins=BOT_IS_ADMIN)
    quoted = ReplyParameters(message_id=41, chat_id=GROUP.id, quote="签到")
    method = SendMessage(
        chat_id=GROUP.id, text=for_sender("✅ Signed in!"), reply_parameters=quoted
    )
    await middleware(server, BOT, method)
    reply = server.asked[0].reply_parameters  # type: ignore[attr-defined]
    assert reply.message_id == 41
    assert (reply.chat_id, reply.allow_sending_without_reply, reply.quote) == (None, None, None)
    assert method.reply_parameters is quoted  # the caller's method is left as it was


class CommandDeleted(Server):
    async def __call__(self, bot: Bot, method: TelegramMethod[Any]) -> Message:
        reply = getattr(method, "reply_parameters", None)
        if method.ephemeral_message_parameters is not None and reply is not None:  # type: ignore[attr-defined]
            self.asked.append(method)
            raise TelegramBadRequest(method, "Bad Request: message to be replied not found")
        return await super().__call__(bot, method)


async def test_an_answer_to_a_deleted_command_goes_ephemeral_without_its_reply() -> None:
    support = EphemeralSupport()
    middleware, server = EphemeralAnswers(support), CommandDeleted()
    open_scope(GROUP, BOB, admins=BOT_IS_ADMIN)
    method = SendMessage(
        chat_id=GROUP.id,
        text=for_sender("✅ Signed in!"),
        reply_parameters=ReplyParameters(message_id=41),
    )
    sent: object = await middleware(server, BOT, method)
    assert isinstance(sent, Message)
    assert sent.ephemeral_message_id == 3
    assert len(server.asked) == 2
    assert server.asked[1].reply_parameters is None  # type: ignore[attr-defined]
