"""Bursts, Telegram's limits, faults, a killed bot and webhook mode: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import aiohttp
import pytest
from sqlalchemy import select

from models import Chat, create_engine
from sandbox.client import SandboxClient
from tests.e2e.conftest import Launch
from tests.support.processes import BotProcess, free_port

# Time-compressed limits for the burst test, the same on both sides: the pacing logic is
# what is tested, and 200 replies at 20/min per group would take ten minutes.
FAST_LIMITS = {"global_per_sec": 30, "chat_per_sec": 20, "group_per_min": 1200}
FAST_BOT = {"TELEGRAM_RATE_CHAT": "20", "TELEGRAM_RATE_GROUP_PER_MINUTE": "1200"}


async def test_200_commands_in_one_second_are_all_answered_without_a_429(launch: Launch) -> None:
    sandbox, _ = await launch(**FAST_BOT)
    await sandbox.set_limits(**FAST_LIMITS)
    owner = await sandbox.create_user("Owner")
    members = [await sandbox.create_user(f"Fan{i}", language_code="en") for i in range(40)]
    group = await sandbox.create_group(creator=owner, members=members)
    sends = [sandbox.send(group, members[i % 40], "/start") for i in range(200)]
    sent = await asyncio.gather(*sends)
    replies = await sandbox.wait_sent(group.id, count=200, timeout=60)
    assert Counter(r["reply_to"] for r in replies) == Counter(
        s["message"]["message_id"] for s in sent
    )
    stats = await sandbox.stats()
    assert stats["rejected_429"] == 0


async def test_telegrams_own_limits_are_kept_in_one_group(launch: Launch) -> None:
    sandbox, _ = await launch()
    await sandbox.set_limits()  # 30/s overall, 1/s per chat, 20/min per group
    owner = await sandbox.create_user("Owner")
    fans = [await sandbox.create_user(f"Fan{i}") for i in range(4)]
    group = await sandbox.create_group(creator=owner, members=fans)
    await asyncio.gather(*(sandbox.send(group, fan, "/start") for fan in fans))
    replies = await sandbox.wait_sent(group.id, count=4, timeout=30)
    assert len({r["reply_to"] for r in replies}) == 4
    assert (await sandbox.stats())["rejected_429"] == 0


async def test_forced_429s_are_waited_out_and_each_reply_arrives_once(
    sandbox: SandboxClient,
) -> None:
    owner = await sandbox.create_user("Owner")
    fans = [await sandbox.create_user(f"Fan{i}") for i in range(5)]
    group = await sandbox.create_group(creator=owner, members=fans)
    await sandbox.add_fault("429", method="sendMessage", count=3, retry_after=1, chat_id=group.id)
    sent = await asyncio.gather(*(sandbox.send(group, fan, "/start") for fan in fans))
    replies = await sandbox.wait_sent(group.id, count=5, timeout=40)
    assert sorted(r["reply_to"] for r in replies) == sorted(
        s["message"]["message_id"] for s in sent
    )
    assert await sandbox.quiet_for(1.5, lambda e: e["kind"] == "sent") == []


async def test_server_errors_are_retried(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.add_fault("502", method="sendMessage", count=2, chat_id=group.id)
    sent = await sandbox.send(group, owner, "/start")
    reply = await sandbox.reply_to(group.id, sent["message"]["message_id"], timeout=20)
    assert reply["text"]
    assert (
        await sandbox.quiet_for(1.0, lambda e: e["kind"] == "sent" and e["chat_id"] == group.id)
        == []
    )


async def test_polling_survives_an_unreachable_api(launch: Launch) -> None:
    sandbox, bot = await launch()
    await sandbox.add_fault("500", method="getUpdates", count=3)
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    sent = await sandbox.send(group, owner, "/start")
    await sandbox.reply_to(group.id, sent["message"]["message_id"], timeout=30)
    assert "getUpdates failed" in bot.logs()
    assert bot.process is not None
    assert bot.process.poll() is None


async def test_a_killed_bot_restarts_and_handles_no_update_twice(launch: Launch) -> None:
    sandbox, bot = await launch(**FAST_BOT)  # room for three replies in flight to one chat
    owner = await sandbox.create_user("Owner")
    fans = [await sandbox.create_user(f"Fan{i}") for i in range(5)]
    group = await sandbox.create_group(creator=owner, members=fans)
    sent = [await sandbox.send(group, fan, "/start") for fan in fans[:2]]
    await sandbox.wait_sent(group.id, count=2)
    # The next three replies hang in the network: the bot dies with their updates in flight.
    await sandbox.add_fault("hang", method="sendMessage", count=3)
    sent += [await sandbox.send(group, fan, "/start") for fan in fans[2:]]
    await sandbox.wait_for(lambda e: e["kind"] == "fault", count=3)
    stats = await sandbox.stats()
    assert stats["pending_updates"] == 3  # the two answered updates were confirmed
    delivered_before_kill = stats["deliveries"]
    bot.kill()
    bot.start()
    await bot.wait_ready()
    late = await sandbox.send(group, owner, "/start")
    expected = Counter([s["message"]["message_id"] for s in sent] + [late["message"]["message_id"]])
    for _ in range(300):
        replies = [
            e for e in await sandbox.events() if e["kind"] == "sent" and e["chat_id"] == group.id
        ]
        if {e["reply_to"] for e in replies} >= set(expected):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # room for a duplicate to show up
    replies = [
        e for e in await sandbox.events() if e["kind"] == "sent" and e["chat_id"] == group.id
    ]
    assert Counter(e["reply_to"] for e in replies) == expected
    # The two updates answered and confirmed before the kill never reach the new process.
    deliveries = (await sandbox.stats())["deliveries"]
    for answered_update in sent[:2]:
        key = str(answered_update["update_id"])
        assert deliveries[key] == delivered_before_kill[key]


async def test_a_403_marks_the_chat_inactive(
    sandbox: SandboxClient, shared_bot: BotProcess
) -> None:
    bot = shared_bot
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.add_fault("403", method="sendMessage", chat_id=group.id)
    await sandbox.send(group, owner, "/start")
    await sandbox.wait_for(lambda e: e["kind"] == "fault")
    assert await eventually_inactive(bot.env["DATABASE_URL"], group.id)
    await bot.wait_for_log(f"chat {group.id} is inactive")  # logged just after the commit


async def test_webhook_mode_checks_the_secret(launch: Launch) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram"
    sandbox, _ = await launch(
        WEBHOOK_URL=hook,
        WEBHOOK_SECRET="s3cret-value",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    assert (await sandbox.bot_state())["webhook"]["secret_token"] == "s3cret-value"
    owner = await sandbox.create_user("Owner", language_code="en")
    group = await sandbox.create_group(creator=owner)
    sent = await sandbox.send(group, owner, "/start")
    reply = await sandbox.reply_to(group.id, sent["message"]["message_id"])
    assert "Hello" in reply["text"]

    forged = {"update_id": 999, "message": sent["message"]}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(hook, json=forged, headers=headers) as response:
                assert response.status == 401
    assert await sandbox.quiet_for(1.0, lambda e: e["kind"] == "sent") == []


@pytest.mark.parametrize("status", ["kicked", "left"])
async def test_a_removed_bot_stops_answering_there(
    sandbox: SandboxClient, shared_bot: BotProcess, status: str
) -> None:
    bot = shared_bot
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.set_bot_status(group, status, by=owner)
    assert await eventually_inactive(bot.env["DATABASE_URL"], group.id)


async def eventually_inactive(database_url: str, chat_id: int) -> bool:
    """The bot marks a chat inactive in its own time: look until it has (5 s at most)."""
    engine = create_engine(database_url)
    try:
        for _ in range(100):
            async with engine.connect() as connection:
                query = select(Chat.active).where(Chat.id == chat_id)
                if (await connection.execute(query)).scalar() is False:
                    return True
            await asyncio.sleep(0.05)
        return False
    finally:
        await engine.dispose()


async def test_an_unreachable_api_at_start_is_waited_out_and_sigterm_stops_cleanly(
    database_url: str,
) -> None:
    bot = BotProcess(f"http://127.0.0.1:{free_port()}", database_url)  # nobody listens there
    bot.start()
    try:
        deadline = time.monotonic() + 90  # as long as a start may take on a loaded machine
        for _ in range(1800):
            if bot.logs().count("Bot API not reachable") >= 2 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert bot.logs().count("Bot API not reachable") >= 2
    finally:
        code = bot.stop()  # a failed check must not leave the process running
    assert code == 0
    assert "Traceback" not in bot.logs()
