"""/points as admins and members use it, through the sandbox."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import select

from models import LedgerEntry, create_engine
from sandbox.client import Group, SandboxClient, User
from tests.e2e.conftest import Launch


async def fan_group(sandbox: SandboxClient) -> tuple[Group, User, User]:
    admin = await sandbox.create_user("Ada", "ada_admin", "en")
    bob = await sandbox.create_user("Bob", "bob_fan", "en")
    group = await sandbox.create_group(creator=admin, members=[bob])
    return group, admin, bob


async def test_an_admin_rewards_a_member_by_replying(sandbox: SandboxClient) -> None:
    group, admin, bob = await fan_group(sandbox)
    photo = await sandbox.send(group, bob, caption="my haul", photo=True)
    await sandbox.settle()  # the photo is paid before the admin's reward
    sent = await sandbox.send(
        group, admin, "/points +50 great photo", reply_to=photo["message"]["message_id"]
    )
    reply = await sandbox.reply_to(group.id, sent["message"]["message_id"])
    # The photo itself earned Bob a message point.
    assert reply["text"] == "✅ +50 points for Bob: great photo. Balance: 51."
    mine = await sandbox.ask_for_sender(group, bob, "/points")
    assert mine["text"] == "Your balance: 51 points (lifetime 51)."


async def test_an_admin_deducts_by_username_but_never_below_zero(sandbox: SandboxClient) -> None:
    group, admin, bob = await fan_group(sandbox)
    await sandbox.send(group, bob, "hi")  # now the bot knows @bob_fan (too short to earn)
    await sandbox.settle()
    await sandbox.ask(group, admin, "/points @bob_fan +30 welcome gift")
    reply = await sandbox.ask(group, admin, "/points @BOB_FAN -20 spamming")
    assert reply["text"] == "✅ -20 points for Bob: spamming. Balance: 10."
    refused = await sandbox.ask(group, admin, f"/points {bob.id} -11 more spam")
    assert refused["text"] == "Bob has only 10 points; nothing was deducted."
    mine = await sandbox.ask_for_sender(group, bob, "/points")
    assert mine["text"] == "Your balance: 10 points (lifetime 30)."


async def test_a_member_cannot_give_points(sandbox: SandboxClient) -> None:
    group, admin, bob = await fan_group(sandbox)
    await sandbox.send(group, admin, "hi")
    for attempt in ("/points @ada_admin +100 thanks", "/points history @ada_admin"):
        reply = await sandbox.ask_for_sender(group, bob, attempt)
        assert reply["text"] == "Sorry, only the group's admins can use this command."
    assert (await sandbox.ask_for_sender(group, admin, "/points"))[
        "text"
    ] == "Your balance: 0 points (lifetime 0)."


async def test_bad_input_gets_the_usage_and_changes_nothing(sandbox: SandboxClient) -> None:
    group, admin, bob = await fan_group(sandbox)
    await sandbox.send(group, bob, "hi")
    await sandbox.settle()
    for bad in (
        "/points @bob_fan +abc nice",
        "/points @bob_fan +50",
        "/points give",
    ):
        reply = await sandbox.ask_for_sender(group, admin, bad)
        assert reply["text"].startswith("Usage: /points"), bad
    too_much = await sandbox.ask(group, admin, "/points @bob_fan +2000000 lots")
    assert too_much["text"] == "One change is at most 1,000,000 points either way."
    unknown = await sandbox.ask(group, admin, "/points @nobody_here +5 hi")
    assert (
        unknown["text"]
        == "I don't know @nobody_here in this group yet: they need to have written here."
    )
    assert (await sandbox.ask_for_sender(group, bob, "/points"))[
        "text"
    ] == "Your balance: 0 points (lifetime 0)."


async def test_bots_do_not_collect_points(sandbox: SandboxClient) -> None:
    group, admin, _ = await fan_group(sandbox)
    hello = await sandbox.ask(group, admin, "/start")
    sent = await sandbox.send(group, admin, "/points +5 good bot", reply_to=hello["message_id"])
    reply = await sandbox.reply_to(group.id, sent["message"]["message_id"])
    assert reply["text"] == "Bots don't collect points."


async def test_history_lists_the_latest_changes_in_the_members_language(
    sandbox: SandboxClient,
) -> None:
    admin = await sandbox.create_user("Ada", "ada_boss", "en")
    li = await sandbox.create_user("李雷", "li_lei", "zh")
    group = await sandbox.create_group(creator=admin, members=[li])
    await sandbox.send(group, li, "大家好")
    await sandbox.settle()
    await sandbox.ask(group, admin, "/points @li_lei +5 first post")
    await sandbox.ask(group, admin, "/points @li_lei -2 typo")
    mine = await sandbox.ask_for_sender(group, li, "/points history")
    lines = mine["text"].splitlines()
    assert lines[0] == "李雷 的最近积分记录："
    assert lines[1].endswith("-2 管理员调整 · typo")
    assert lines[2].endswith("+5 管理员调整 · first post")
    theirs = await sandbox.ask(group, admin, "/points history @li_lei")
    assert theirs["text"].splitlines()[0] == "Last changes for 李雷:"


async def test_a_kill_under_message_load_loses_no_points_and_pays_none_twice(
    launch: Launch,
) -> None:
    sandbox, bot = await launch()
    owner = await sandbox.create_user("Owner")
    fans = [await sandbox.create_user(f"Fan{n}") for n in range(20)]
    group = await sandbox.create_group(creator=owner, members=fans)
    await sandbox.ask(group, owner, "/settings points cooldown 0")  # every message earns
    await sandbox.ask(group, owner, "/settings points daily_cap 1000")
    per_fan, before_kill = 25, 10
    resumed = asyncio.Event()  # the rest of the load comes once the bot is killed

    async def chatter(fan: User) -> list[int]:
        sent = []
        for k in range(per_fan):
            if k == before_kill:
                await resumed.wait()
            sent.append(await sandbox.send(group, fan, f"{fan.first_name} says {k}"))
        return [s["message"]["message_id"] for s in sent]

    load = asyncio.gather(*(chatter(fan) for fan in fans))
    for _ in range(1000):  # kill once the bot is well into the load, with updates in hand
        paid_now = len(await paid_messages(bot.env["DATABASE_URL"], group.id))
        # A bot that keeps up with the senders (a loaded machine slows them) holds none at
        # any look: then it is killed well into the load all the same.
        if paid_now >= 100 and (paid_now >= 150 or (await sandbox.stats())["pending_updates"]):
            break
        await asyncio.sleep(0.02)
    bot.kill()  # mid-load by construction: 300 of the 500 messages are still to come
    acknowledged = await paid_messages(bot.env["DATABASE_URL"], group.id)
    resumed.set()
    message_ids = [message_id for ids in await load for message_id in ids]
    bot.start()
    await bot.wait_ready()
    for _ in range(600):
        if len(await paid_messages(bot.env["DATABASE_URL"], group.id)) == len(message_ids):
            break
        await asyncio.sleep(0.1)
    assert bot.stop() == 0
    paid = await paid_messages(bot.env["DATABASE_URL"], group.id)
    assert acknowledged
    assert set(acknowledged) <= set(paid)
    assert sorted(paid) == sorted(message_ids)  # each message paid exactly once
    audit = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "audit", env=bot.env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(audit.communicate(), 60)
    assert audit.returncode == 0, output.decode()


async def paid_messages(database_url: str, chat_id: int) -> list[int]:
    """Message ids that earned message points, from the ledger's keys."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            keys = await connection.scalars(
                select(LedgerEntry.idempotency_key).where(
                    LedgerEntry.chat_id == chat_id, LedgerEntry.reason == "message"
                )
            )
            return [int(key.rsplit(":", 1)[1]) for key in keys]
    finally:
        await engine.dispose()
