"""Events (线下活动) through the sandbox: 40 members pressing 报名 / Sign up at once for 30
seats, a cancel moving the first waiting member up (told privately, confirming there), tickets
checked in once at the door privately, and, with the bot's days passed by libfaketime, the
reminders sent once across a restart, the no-shows recorded and two in a row losing the
priority window of the next event."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sandbox.client import Event, Group, SandboxClient, User
from tests.e2e.conftest import Launch
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import start_privately
from tests.support.processes import ShiftedClock

HOUR = 3600
DAY = 86_400
SIGNED = "✅ You're signed up for event #"


def button(card: Event, label: str) -> str:
    buttons = [b for row in card["reply_markup"]["inline_keyboard"] for b in row]
    (found,) = [b for b in buttons if b["text"].startswith(label)]
    return str(found["callback_data"])


async def press_all(
    sandbox: SandboxClient, chat_id: int, card: Event, users: list[User], label: str
) -> list[tuple[int, User, str]]:
    """Everyone presses at once: (update id, who, the toast they got), in press order."""
    data = button(card, label)
    pressed = await asyncio.gather(
        *(sandbox.press(chat_id, card["message_id"], user, data) for user in users)
    )
    toasts = await sandbox.wait_for(lambda e: e["kind"] == "answered", count=len(users))
    said = {toast["query_id"]: str(toast["text"] or "") for toast in toasts}
    return sorted(
        (press["update_id"], user, said[press["query_id"]])
        for press, user in zip(pressed, users, strict=True)
    )


async def press_one(
    sandbox: SandboxClient, chat_id: int, card: Event, user: User, label: str
) -> str:
    ((_update, _user, toast),) = await press_all(sandbox, chat_id, card, [user], label)
    return toast


async def new_event(sandbox: SandboxClient, group: Group, admin: User, args: str) -> Event:
    card = await sandbox.ask(group, admin, f"/event new {args}")
    assert card["text"].startswith("🎫 Event #"), card["text"]
    return card


def event_id(card: Event) -> str:
    return str(card["text"]).split("#", 1)[1].split(":", 1)[0]


def private_to(user: User, starts: str) -> Any:
    return lambda e: (
        e["kind"] == "sent" and e["chat_id"] == user.id and str(e["text"] or "").startswith(starts)
    )


async def test_forty_presses_for_thirty_seats_and_a_cancel_moves_the_first_waiting_up(
    sandbox: SandboxClient,
) -> None:
    names = [f"Fan{n:02d}" for n in range(40)]
    group, admin, fans = await fan_group(sandbox, *names)
    await sandbox.ask(group, admin, "/settings language en")
    card = await new_event(sandbox, group, admin, "Shanghai meetup 3d place=Jingan capacity=30")
    assert "30 of 30 seats left" in card["text"]

    presses = await press_all(sandbox, group.id, card, fans, "报名")
    toasts = [toast for _update, _user, toast in presses]
    # In press order: the first 30 have seats, the next 10 wait, numbered in that order.
    assert [toast[:30] for toast in toasts[:31]] == [SIGNED[:30]] * 30 + [
        "⏳ The seats are taken: you are"
    ], toasts
    assert toasts[30:] == [
        f"⏳ The seats are taken: you are #{place} on the waiting list. I'll tell you privately "
        "if a seat frees up."
        for place in range(1, 11)
    ]
    again = await press_one(sandbox, group.id, card, presses[0][1], "报名")
    assert again.startswith("You're already signed up for event #")

    first_waiting = presses[30][1]
    await start_privately(sandbox, first_waiting)
    leaving = presses[3][1]
    assert await press_one(sandbox, group.id, card, leaving, "取消") == "Cancelled."
    (offer,) = await sandbox.wait_for(private_to(first_waiting, "🎫 A seat freed up"), timeout=30)
    confirmed = await press_one(sandbox, first_waiting.id, offer, first_waiting, "✅")
    assert confirmed.startswith(SIGNED)
    waiting = await press_one(sandbox, group.id, card, presses[31][1], "报名")
    assert waiting.startswith("⏳ The seats are taken: you are #1 on the waiting list.")

    stats = await sandbox.ask(group, admin, f"/event stats {event_id(card)}")
    assert "Signed up: 30 (30 seats) · waiting: 9 · cancelled: 1" in stats["text"]


async def test_a_ticket_checks_in_once_at_the_door_and_only_staff_check_in(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.ask(group, admin, "/settings language en")
    card = await new_event(sandbox, group, admin, "Tasting 2d place=Shop")
    assert (await press_one(sandbox, group.id, card, bob, "报名")).startswith(SIGNED)
    for user in (bob, cleo, admin):
        await start_privately(sandbox, user)
    await sandbox.send_private(bob, "/tickets")
    (listed,) = await sandbox.wait_for(private_to(bob, "🎫 Your tickets"))
    code = listed["text"].rsplit(" ", 1)[-1]
    assert len(code) == 8

    await sandbox.send_private(cleo, f"/checkin_event {code}")
    (refused,) = await sandbox.wait_for(private_to(cleo, "Only the group's admins"))
    assert refused["text"] == "Only the group's admins and staff check tickets in."
    await sandbox.send_private(admin, f"/checkin_event {code.lower()}")
    (done,) = await sandbox.wait_for(private_to(admin, "✅ Checked in"))
    assert done["text"] == f"✅ Checked in for #{event_id(card)} Tasting."
    await sandbox.send_private(admin, f"/checkin_event {code}")
    (used,) = await sandbox.wait_for(private_to(admin, "❌"))
    assert used["text"].startswith("❌ That ticket was already used at ")
    await sandbox.send_private(cleo, "/checkin_event NOPE2345")  # (5 commands in 10 s each)
    (wrong,) = await sandbox.wait_for(private_to(cleo, "❌"))
    assert wrong["text"] == "❌ No ticket has that code."
    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert "Points: 10" in me["text"]  # the default 10 for coming, once


async def test_reminders_once_across_a_restart_no_shows_and_the_priority_window(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    # libfaketime 0.9.10 fails time.sleep (EINVAL) when the monotonic clock is not faked, which
    # stalls the bot; faked, it jumps with each advance, and the bot's timers just fire early.
    env = {**clock.env(), "FAKETIME_DONT_FAKE_MONOTONIC": "0"}
    sandbox, bot = await launch(**env, BACKGROUND_CHECK_SECONDS="1")
    group, admin, (gold, other_gold, plain) = await fan_group(sandbox, "Gold", "Goldie", "Plain")
    await sandbox.ask(group, admin, "/settings language en")
    for fan in (gold, other_gold, plain):
        await sandbox.send(group, fan, "hello")
        await start_privately(sandbox, fan)
    await sandbox.settle()
    await sandbox.ask(group, admin, "/points @gold_fan +2000 VIP")
    await sandbox.ask(group, admin, "/points @goldie_fan +2000 VIP")

    # One starts within the day, one within the hour: each reminder is due at once, once.
    first = await new_event(sandbox, group, admin, "Meetup 5h place=Cafe")
    second = await new_event(sandbox, group, admin, "Workshop 30m place=Studio")
    for card in (first, second):
        assert (await press_one(sandbox, group.id, card, gold, "报名")).startswith(SIGNED)
    reminders = await sandbox.wait_for(private_to(gold, "⏰"), timeout=30, count=2)
    said = sorted(str(e["text"]) for e in reminders)
    assert said[0].startswith("⏰ Coming up: Meetup at ")
    assert said[1].startswith("⏰ Workshop starts within the hour, at ")
    assert "Where: Studio. Your ticket code: " in said[1]
    assert bot.stop() == 0
    bot.start()
    await bot.wait_ready()
    assert await sandbox.quiet_for(4, private_to(gold, "⏰")) == []  # not again after a restart

    await clock.advance(8 * HOUR)  # both over: he came to neither, two no-shows in a row
    thanks = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id
        and str(e["text"] or "").startswith("🙏"),
        timeout=30, count=2,
    )  # fmt: skip
    assert all(e["text"].endswith("0 fans came. Share your photos in the thread!") for e in thanks)
    third = await new_event(sandbox, group, admin, "VIP preview 3d place=Shop priority=gold:24h")
    assert "⭐ Gold and above first, until " in third["text"]
    lost = await press_one(sandbox, group.id, third, gold, "报名")
    assert lost.startswith("After 2 no-shows in a row you sign up with everyone, at ")
    assert (await press_one(sandbox, group.id, third, plain, "报名")).startswith("Higher tiers")
    assert (await press_one(sandbox, group.id, third, other_gold, "报名")).startswith(SIGNED)
    await clock.advance(DAY + HOUR)  # the window is over: everyone
    for _ in range(10):  # the bot reads the moved clock within a second or so
        late = await press_one(sandbox, group.id, third, plain, "报名")
        if not late.startswith("Higher tiers"):
            break
        await asyncio.sleep(1)
    assert late.startswith(SIGNED)
    stats = await sandbox.ask(group, admin, f"/event stats {event_id(first)}")
    assert "Checked in: 0 · no-shows: 1 · attendance: 0%" in stats["text"]
    assert "Traceback" not in bot.logs(), bot.logs()[-4000:]
