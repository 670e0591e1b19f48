"""Points that expire (积分有效期) through the sandbox, the bot's days passing with libfaketime
(`ShiftedClock`): an admin sets 60 days, /me says what expires and when, the member is warned
privately 30 and 7 days before, once each, and the points expire, lifetime kept."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.client import Event
from tests.e2e.conftest import Launch
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import start_privately
from tests.e2e.test_standing import field
from tests.support.processes import ShiftedClock

DAY = 86_400
ZONE = ZoneInfo("Asia/Shanghai")


def warned(event: Event) -> bool:
    return event["kind"] == "sent" and str(event["text"] or "").startswith("⏳")


async def test_points_expire_after_two_warnings_and_me_says_when(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    clock.clear_of_midnight(ZONE)
    sandbox, bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.ask(group, admin, "/settings timezone Asia/Shanghai")
    refused = await sandbox.ask_for_sender(group, admin, "/settings points expire soon")
    assert refused["text"].startswith("Usage: /settings points expire ")  # its own form
    set_ = await sandbox.ask(group, admin, "/settings points expire 60d")
    assert set_["text"].startswith("✅ Points now expire 60 days after they are earned")
    await sandbox.send(group, bob, "hello")  # a point for the message
    await start_privately(sandbox, bob)
    await sandbox.settle()  # the member's message handled first
    granted = await sandbox.ask(group, admin, "/points @bob_fan +100 welcome")
    assert granted["text"].startswith("✅ +100 points for Bob")
    mine = await sandbox.ask_for_sender(group, bob, "/me")
    on = (clock.now(ZONE) + timedelta(days=60)).date()
    assert field(mine, "⏳") == f"101 points expire on {on.isoformat()}"

    # Not warned yet (the lot ends in 60 days), whenever the first run of the day comes.
    assert await sandbox.quiet_for(3, warned) == []
    await clock.advance(31 * DAY)  # a new day's run: within 30 days of the lot's end
    (first,) = await sandbox.wait_for(warned, timeout=30)
    assert first["chat_id"] == bob.id
    by = (clock.now(ZONE) + timedelta(days=30)).date()
    assert first["text"] == (
        f"⏳ 101 of your points in {group.title} expire by {by.isoformat()}. Use them before then."
    )
    await clock.advance(DAY)  # the next day's run: warned of these before
    assert await sandbox.quiet_for(4, warned) == []
    await clock.advance(21 * DAY)  # within 7 days
    (second,) = await sandbox.wait_for(warned, timeout=30)
    assert second["chat_id"] == bob.id
    by = (clock.now(ZONE) + timedelta(days=7)).date()
    assert second["text"].endswith(f"expire by {by.isoformat()}. Use them before then.")

    await clock.advance(8 * DAY)  # past the 60 days
    for _ in range(10):  # the day's run comes within a second or so of the clock's move
        mine = await sandbox.ask_for_sender(group, bob, "/me")
        if "Points: 0 (lifetime 101)" in mine["text"]:
            break
        await asyncio.sleep(3)
    assert "Points: 0 (lifetime 101)" in mine["text"], (mine["text"], bot.logs()[-4000:])
    assert "⏳" not in mine["text"]
    assert await sandbox.quiet_for(3, warned) == []
    assert "Traceback" not in bot.logs(), bot.logs()[-4000:]
