"""The pacing layer against the sandbox's flood control, over real HTTP: no 429 at all."""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.pacing import PacingMiddleware, SendPacer
from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN, start_sandbox


async def test_a_burst_to_many_chats_and_one_group_draws_no_429() -> None:
    runner, url = await start_sandbox()
    sandbox = SandboxClient(url)
    session = AiohttpSession(api=TelegramAPIServer.from_base(url))
    session.middleware(
        PacingMiddleware(SendPacer(global_rate=30, chat_rate=5, group_per_minute=600))
    )
    bot = Bot(DEFAULT_TOKEN, session=session)
    try:
        owner = await sandbox.create_user("Owner")
        groups = [await sandbox.create_group(f"G{i}", creator=owner) for i in range(20)]
        await sandbox.set_limits(global_per_sec=30, chat_per_sec=5, group_per_min=600)
        sends = [bot.send_message(g.id, f"post {n}") for g in groups for n in range(2)]
        sends += [bot.send_message(groups[0].id, f"extra {n}") for n in range(8)]
        await asyncio.gather(*sends)
        stats = await sandbox.stats()
        assert stats["calls"]["send_message"] == 48
        assert stats["rejected_429"] == 0
    finally:
        await bot.session.close()
        await sandbox.close()
        await runner.cleanup()


async def test_messages_to_one_chat_keep_their_order() -> None:
    runner, url = await start_sandbox()
    sandbox = SandboxClient(url)
    session = AiohttpSession(api=TelegramAPIServer.from_base(url))
    session.middleware(
        PacingMiddleware(SendPacer(global_rate=30, chat_rate=10, group_per_minute=600))
    )
    bot = Bot(DEFAULT_TOKEN, session=session)
    try:
        owner = await sandbox.create_user("Owner")
        group = await sandbox.create_group(creator=owner)
        await sandbox.set_limits(chat_per_sec=10, group_per_min=600)
        await asyncio.gather(*(bot.send_message(group.id, f"step {n}") for n in range(12)))
        texts = [m["text"] for m in (await sandbox.chat(group.id))["messages"]]
        assert texts == [f"step {n}" for n in range(12)]
    finally:
        await bot.session.close()
        await sandbox.close()
        await runner.cleanup()
