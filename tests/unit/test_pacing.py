"""The pacing layer against the sandbox's flood control, over real HTTP: no 429 at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SendMessage
from aiogram.types import EphemeralMessageParameters, ReplyParameters

from infrastructure.pacing import PacingMiddleware, SendPacer
from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN

PacedBot = Callable[[float, float, float], Bot]


@pytest.fixture
async def paced_bot(server: tuple[str, SandboxClient]) -> AsyncIterator[PacedBot]:
    """A Bot with fanbot's pacing, talking to the sandbox, for the given limits."""
    bots: list[Bot] = []

    def make(global_rate: float, chat_rate: float, group_per_minute: float) -> Bot:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server[0]))
        session.middleware(PacingMiddleware(SendPacer(global_rate, chat_rate, group_per_minute)))
        bots.append(Bot(DEFAULT_TOKEN, session=session))
        return bots[-1]

    yield make
    for bot in bots:
        await bot.session.close()


async def test_a_burst_to_many_chats_and_one_group_draws_no_429(
    server, paced_bot: PacedBot
) -> None:
    _, sandbox = server
    bot = paced_bot(30, 5, 600)
    owner = await sandbox.create_user("Owner")
    groups = [await sandbox.create_group(f"G{i}", creator=owner) for i in range(20)]
    await sandbox.set_limits(global_per_sec=30, chat_per_sec=5, group_per_min=600)
    sends = [bot.send_message(g.id, f"post {n}") for g in groups for n in range(2)]
    sends += [bot.send_message(groups[0].id, f"extra {n}") for n in range(8)]
    await asyncio.gather(*sends)
    stats = await sandbox.stats()
    assert stats["calls"]["send_message"] == 48
    assert stats["rejected_429"] == 0


async def test_messages_to_one_chat_keep_their_order(server, paced_bot: PacedBot) -> None:
    _, sandbox = server
    bot = paced_bot(30, 10, 600)
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.set_limits(chat_per_sec=10, group_per_min=600)
    await asyncio.gather(*(bot.send_message(group.id, f"step {n}") for n in range(12)))
    texts = [m["text"] for m in (await sandbox.chat(group.id))["messages"]]
    assert texts == [f"step {n}" for n in range(12)]


async def test_a_forced_429_holds_the_chat_and_the_message_goes_once(
    server, paced_bot: PacedBot
) -> None:
    _, sandbox = server
    bot = paced_bot(30, 1, 20)
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.add_fault("429", method="sendMessage", count=2, retry_after=1)
    await bot.send_message(group.id, "after two 429s")
    texts = [m["text"] for m in (await sandbox.chat(group.id))["messages"]]
    assert texts == ["after two 429s"]


async def test_an_ephemeral_send_is_not_one_of_the_groups_messages_a_minute(
    server, paced_bot: PacedBot
) -> None:
    _, sandbox = server
    bot = paced_bot(30, 20, 3)
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    group = await sandbox.create_group(creator=owner, members=[bob])
    await sandbox.set_limits(global_per_sec=30, chat_per_sec=20, group_per_min=3)
    for n in range(3):
        await bot.send_message(group.id, f"post {n}")  # the group's minute is spent
    fourth = asyncio.create_task(bot.send_message(group.id, "post 3"))
    only_bob = asyncio.create_task(
        bot.send_message(
            group.id,
            "✅ Signed in!",
            ephemeral_message_parameters=EphemeralMessageParameters(receiver_user_id=bob.id),
        )
    )
    done, _ = await asyncio.wait({fourth, only_bob}, return_when=asyncio.FIRST_COMPLETED)
    assert done == {only_bob}  # the fourth post waits for the minute; Bob's answer does not
    assert only_bob.result().ephemeral_message_id is not None
    fourth.cancel()
    assert (await sandbox.stats())["rejected_429"] == 0


class Lanes:
    """A pacer that lets every send go at once, noting the lane each was paced in."""

    def __init__(self) -> None:
        self.lanes: list[int | str] = []

    async def wait_turn(self, chat_id: int | str) -> Lanes:
        self.lanes.append(chat_id)
        return self

    async def hold(self, chat_id: int | str | None, seconds: float) -> None:
        return None

    async def done(self) -> None:
        return None


async def test_an_answer_within_the_15_seconds_is_paced_as_its_members() -> None:
    """A press's or an ephemeral command's answer never waits behind the group's minute, even
    before the server has shown it sends ephemeral messages; any other waits until then."""
    pacer = Lanes()
    middleware = PacingMiddleware(pacer, ephemeral_confirmed=lambda: False)
    bot = Bot(DEFAULT_TOKEN)
    group, bob = -100777, 7

    async def sent(_bot: Bot, method: object) -> bool:
        return True

    def to_bob(**extra: object) -> SendMessage:
        parameters = EphemeralMessageParameters(receiver_user_id=bob, **extra)  # type: ignore[arg-type]
        return SendMessage(chat_id=group, text="…", ephemeral_message_parameters=parameters)

    await middleware(sent, bot, to_bob(callback_query_id="press-1"))  # type: ignore[arg-type]
    reply = to_bob().model_copy(
        update={"reply_parameters": ReplyParameters(ephemeral_message_id=9)}
    )
    await middleware(sent, bot, reply)  # type: ignore[arg-type]
    await middleware(sent, bot, to_bob())  # type: ignore[arg-type]
    assert pacer.lanes == [bob, bob, group]
    middleware.ephemeral_confirmed = lambda: True
    await middleware(sent, bot, to_bob())  # type: ignore[arg-type]
    assert pacer.lanes[-1] == bob
