"""拼团 through the sandbox: members join with the post's button, the post shows the price
reached and how many more the next tier needs, and at the end each participant gets one code
privately, however the bot is killed mid-delivery."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from sqlalchemy import func, select

from models import OutboxMessage, create_engine
from sandbox.client import Event, SandboxClient, User
from tests.e2e.conftest import Launch
from tests.e2e.test_shop import start_privately


async def results_sent(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "group_buy_result", OutboxMessage.status == "sent")
            )
            return int(count or 0)
    finally:
        await engine.dispose()


async def join_all(sandbox: SandboxClient, group_id: int, post: Event, fans: list[User]) -> None:
    (join, _leave) = post["reply_markup"]["inline_keyboard"][0]
    await asyncio.gather(
        *(sandbox.press(group_id, post["message_id"], fan, join["callback_data"]) for fan in fans)
    )
    toasts = await sandbox.wait_for(lambda e: e["kind"] == "answered", count=len(fans))
    assert {t["text"] for t in toasts} == {"✅ You're in. Your code comes privately when it ends."}


async def test_a_group_buy_reaches_its_second_tier_and_codes_go_out_once(
    launch: Launch,
) -> None:
    sandbox, bot = await launch()
    admin = await sandbox.create_user("Ada", "ada_admin", "en")
    fans = [await sandbox.create_user(f"Fan{n}", None, "en") for n in range(6)]
    group = await sandbox.create_group(creator=admin, members=fans)
    await sandbox.ask(group, admin, "/settings language en")
    for fan in fans:
        await start_privately(sandbox, fan)
    await sandbox.send(group, admin, "/groupbuy 降噪耳机 2:99,5:89,10:79 ends=1h")
    (post,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "拼团 #" in e["text"]
    )
    group_buy = int(re.search(r"拼团 #(\d+)", post["text"])[1])  # type: ignore[index]
    assert post["text"].splitlines()[1] == "2+: ¥99.00 · 5+: ¥89.00 · 10+: ¥79.00"
    assert post["text"].splitlines()[2] == "0 joined so far · price now: not yet"
    joiners = fans[:5]
    await join_all(sandbox, group.id, post, joiners)
    (edited,) = await sandbox.wait_for(
        lambda e: e["kind"] == "edited" and "5 joined" in (e["text"] or ""), timeout=15
    )
    assert edited["text"].splitlines()[2:4] == [
        "5 joined so far · price now: ¥89.00",
        "5 more for ¥79.00",
    ]

    # The bot dies while telling them: one private send hangs, the others went out.
    before = sandbox.cursor
    await sandbox.add_fault("hang", "sendMessage", chat_id=joiners[2].id)
    await sandbox.send(group, admin, f"/groupbuy end {group_buy}")
    await sandbox.wait_for(lambda e: e["kind"] == "fault" and e["method"] == "sendMessage")
    url = bot.env["DATABASE_URL"]
    for _ in range(200):  # the four others are recorded sent right after they are
        if await results_sent(url) == 4:
            break
        await asyncio.sleep(0.1)
    assert await results_sent(url) == 4
    bot.kill()
    bot.start()
    await bot.wait_ready()
    sandbox.cursor = before
    await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and "formed at ¥89.00" in (e["text"] or ""), count=5
    )
    for _ in range(200):
        if await results_sent(url) == 5:
            break
        await asyncio.sleep(0.1)
    await sandbox.settle()
    told = [
        e for e in await sandbox.events(before)
        if e["kind"] == "sent" and "formed at" in (e["text"] or "")
    ]  # fmt: skip
    assert Counter(e["chat_id"] for e in told) == Counter(fan.id for fan in joiners)
    codes = [re.search(r"Your coupon code: (\S+)", e["text"])[1] for e in told]  # type: ignore[index]
    assert len(set(codes)) == 5
    assert all(code.startswith(f"PT{group_buy}-") for code in codes)
    assert not [e for e in told if e["chat_id"] == fans[5].id]
    closed = [
        e for e in await sandbox.events(before)
        if e["kind"] == "edited" and e["chat_id"] == group.id and "formed at" in (e["text"] or "")
    ]  # fmt: skip
    assert closed
    assert not closed[-1].get("reply_markup")
