"""An event's card follows its seats through the sandbox: 20 members pressing 报名 / Sign up
at once, the card ends showing the seats left; a cancel frees a seat and the card says so; the
card is edited a few times, paced (within Telegram's ~20 messages a minute in a group), not once
a press."""

from __future__ import annotations

import asyncio
import time

from sandbox.client import Event, SandboxClient
from services.paced_edits import COUNT_EDIT_EVERY
from tests.e2e.test_events import new_event, press_all, press_one
from tests.e2e.test_first_day import fan_group

WAIT = 60.0  # seconds at most for the card's edit to come (an edit is due within a window)


async def card_edits(sandbox: SandboxClient, card: Event) -> list[Event]:
    return [
        event
        for event in await sandbox.events(0)
        if event["kind"] == "edited"
        and event["chat_id"] == card["chat_id"]
        and event["message_id"] == card["message_id"]
    ]


async def card_shows(sandbox: SandboxClient, card: Event, text: str) -> Event:
    """The card's latest edit, once it shows `text`."""
    deadline = time.monotonic() + WAIT
    while True:
        edits = await card_edits(sandbox, card)
        if edits and text in str(edits[-1]["text"]):
            return edits[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"the card never showed {text!r}: {edits}")
        await asyncio.sleep(0.2)


async def test_the_card_shows_the_seats_left_after_presses_and_a_cancel(
    sandbox: SandboxClient,
) -> None:
    names = [f"Fan{n:02d}" for n in range(20)]
    group, admin, fans = await fan_group(sandbox, *names)
    await sandbox.ask(group, admin, "/settings language en")
    card = await new_event(sandbox, group, admin, "Shanghai meetup 3d place=Jingan capacity=30")
    assert "30 of 30 seats left" in card["text"]

    presses = await press_all(sandbox, group.id, card, fans, "报名")
    assert len(presses) == 20
    started = time.monotonic()
    shown = await card_shows(sandbox, card, "10 of 30 seats left")
    assert shown["reply_markup"]["inline_keyboard"][0][0]["text"] == "报名 / Sign up"

    assert await press_one(sandbox, group.id, card, presses[3][1], "取消") == "Cancelled."
    await card_shows(sandbox, card, "11 of 30 seats left")
    # Paced: one edit per window at most, not one per press (21 changes).
    edits = await card_edits(sandbox, card)
    windows = (time.monotonic() - started) // COUNT_EDIT_EVERY + 3
    assert 2 <= len(edits) <= min(windows, 20), edits


async def test_a_full_card_shows_the_waiting_list_and_a_cancelled_event(
    sandbox: SandboxClient,
) -> None:
    group, admin, fans = await fan_group(sandbox, "Ann", "Ben", "Cat")
    await sandbox.ask(group, admin, "/settings language en")
    card = await new_event(sandbox, group, admin, "Tasting 2d place=Shop capacity=2")
    await press_all(sandbox, group.id, card, fans, "报名")
    await card_shows(sandbox, card, "1 waiting")
    event_id = str(card["text"]).split("#", 1)[1].split(":", 1)[0]
    await sandbox.ask(group, admin, f"/event cancel {event_id}")
    cancelled = await card_shows(sandbox, card, "❌ Cancelled")
    assert not cancelled.get("reply_markup")  # no buttons on a cancelled event's card
