"""An online session's keyword draw through the sandbox, the bot's clock moved by libfaketime:
the draw opens with the session for those who signed up, who enter by sending its keyword in
the group (each answer only the sender sees); others are told why not; it is drawn when the
session ends, by the ordinary provably fair draw."""

from __future__ import annotations

from pathlib import Path

from sandbox.client import Group, SandboxClient, SandboxError, User
from tests.e2e.conftest import Launch
from tests.e2e.test_events import SIGNED, event_id, new_event, press_one
from tests.e2e.test_first_day import fan_group
from tests.support.processes import ShiftedClock

HOUR = 3600


def in_group(chat_id: int, starts: str) -> object:
    return lambda e: (
        e["kind"] == "sent" and e["chat_id"] == chat_id and str(e["text"] or "").startswith(starts)
    )


async def awake(sandbox: SandboxClient, group: Group, admin: User) -> None:
    """After a jump of the clock the bot's long poll in flight times out and is retried: a
    command answered shows it polls again (an update sent meanwhile may wait a poll)."""
    for _ in range(10):
        try:
            await sandbox.ask_for_sender(group, admin, "/events", timeout=3)
        except SandboxError:
            continue
        return
    raise AssertionError("the bot did not poll again after the clock moved")


async def test_a_keyword_draw_during_an_online_session_for_those_signed_up(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    env = {**clock.env(), "FAKETIME_DONT_FAKE_MONOTONIC": "0"}  # as tests/e2e/test_events.py
    sandbox, bot = await launch(**env, BACKGROUND_CHECK_SECONDS="1")
    group, admin, (viewer, lurker) = await fan_group(sandbox, "Viewer", "Lurker")
    await sandbox.ask(group, admin, "/settings language en")
    card = await new_event(
        sandbox, group, admin, "Livestream 1h ends=1h place=online keyword=Cheese draw=Hoodie"
    )
    assert "Online" in card["text"]
    (post,) = await sandbox.wait_for(in_group(group.id, "🎁"))  # type: ignore[arg-type]
    assert f"signed up for event #{event_id(card)}, sending its keyword during it" in post["text"]
    assert not (post.get("reply_markup") or {}).get("inline_keyboard")  # no Join button
    assert (await press_one(sandbox, group.id, card, viewer, "报名")).startswith(SIGNED)

    await clock.advance(HOUR + 600)  # the session is on
    await awake(sandbox, group, admin)
    for _ in range(10):  # the bot reads the moved clock within a second or so: before, the
        try:  # keyword is plain chatter (no answer)
            entered = await sandbox.ask_for_sender(group, viewer, "cheese", timeout=3)
        except SandboxError:
            continue
        break
    # (an earlier try answered late makes this one the second)
    assert entered["text"].startswith(("✅ You're in draw #", "You've already")), entered["text"]
    refused = await sandbox.ask_for_sender(group, lurker, " CHEESE ")
    assert refused["text"] == f"Only members signed up for event #{event_id(card)} enter its draw."
    again = await sandbox.ask_for_sender(group, viewer, "Cheese")
    assert again["text"] == "You've already joined this draw."
    chatter = await sandbox.send(group, lurker, "cheese please")
    assert chatter["message"]["message_id"]  # plain chatter: no answer (counted as usual)

    await clock.advance(HOUR)  # the session is over: drawn
    await awake(sandbox, group, admin)
    (result,) = await sandbox.wait_for(in_group(group.id, "🏁"), timeout=30)  # type: ignore[arg-type]
    assert "Viewer" in result["text"]
    assert "Lurker" not in result["text"]
    assert "Traceback" not in bot.logs(), bot.logs()[-4000:]
