"""Campaigns through the sandbox: greeted at the start, points doubled (in the reply, /me and
the history), refused overlaps, and thanked after the end across a restart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.conftest import Launch
from tests.e2e.test_standing import field
from tests.e2e.test_welcome import english_group
from tests.support.processes import ShiftedClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_campaign_doubles_points_and_is_greeted_and_thanked(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    today = clock.clear_of_midnight(SHANGHAI)
    sandbox, bot = await launch(**clock.env(), SCHEDULER_ENABLED="true")
    group, admin = await english_group(sandbox)
    bob = await sandbox.create_user("Bob", None, "en")
    await sandbox.set_member_status(group, bob, "member")

    refused = await sandbox.ask_for_sender(group, bob, f"/campaign new Mine {today} {today} x2")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    usage = await sandbox.ask_for_sender(group, admin, "/campaign new Thanksgiving tomorrow")
    assert usage["text"].startswith("Usage: /campaign")
    past = await sandbox.ask(
        group, admin, f"/campaign new Old {today - timedelta(days=1)} {today} x2"
    )
    assert past["text"] == "The first day has passed."
    made = await sandbox.ask(
        group, admin,
        f"/campaign new Thanksgiving {today} {today} x2 Happy Thanksgiving! 20% off today.",
    )  # fmt: skip
    assert made["text"] == f"✅ Campaign #1 Thanksgiving: {today} – {today}, points ×2."
    (greeting,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["text"].startswith("🎉 Thanksgiving")
    )
    assert greeting["text"].splitlines() == [
        "🎉 Thanksgiving starts now: every point you earn counts ×2!",
        f"Until {today} 23:59 (Asia/Shanghai).",
        "",
        "Happy Thanksgiving! 20% off today.",
    ]
    overlap = await sandbox.ask(group, admin, f"/campaign new Other {today} {today} x3")
    assert overlap["text"] == (
        f"It overlaps Thanksgiving ({today} – {today}); campaigns may not share a day."
    )
    listed = await sandbox.ask(group, admin, "/campaigns")
    assert listed["text"].splitlines()[1] == f"#1 Thanksgiving · {today} – {today} · ×2 · running"

    signed = await sandbox.ask_for_sender(group, bob, "/checkin")
    assert signed["text"] == "✅ Signed in! Day 1 of your streak · +10 points · #1 today."
    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert field(me, "Points:") == "10 (lifetime 10)"
    assert field(me, "🎉 Thanksgiving:") == f"points ×2 until {today:%m-%d} 23:59"
    history = await sandbox.ask_for_sender(group, bob, "/points history")
    assert history["text"].splitlines()[1].endswith("+10 sign-in · 🎉 Thanksgiving")

    assert bot.stop() == 0
    await clock.advance(86_400)  # the campaign ended while the bot was down
    bot.start()
    await bot.wait_ready()
    (thanks,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["text"].startswith("🙏"), timeout=20
    )
    assert thanks["text"] == (
        "🙏 Thanksgiving is over. Thank you all! Points earned: 10 (×2) · members earning: 1"
    )
    deleted = await sandbox.ask(group, admin, "/campaign del 1")
    assert deleted["text"] == "🗑 Campaign Thanksgiving deleted."
    assert (await sandbox.ask(group, admin, "/campaign del 1"))["text"] == (
        "There is no such campaign here. See /campaigns."
    )
    assert (await sandbox.ask(group, admin, "/campaigns"))["text"] == (
        "No campaigns. Start one with /campaign new."
    )


async def test_a_greeting_cut_off_by_a_kill_is_posted_once_after_the_restart(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    today = clock.clear_of_midnight(SHANGHAI)
    sandbox, bot = await launch(**clock.env(), SCHEDULER_ENABLED="true")
    group, admin = await english_group(sandbox)
    made = await sandbox.ask(group, admin, f"/campaign new 店庆 {today} {today} x2")
    assert made["text"].startswith("✅ Campaign #1 店庆")
    # The greeting is taken and its send hangs in the network: the bot dies right there.
    await sandbox.add_fault("hang", method="sendMessage", count=1)
    await sandbox.wait_for(lambda e: e["kind"] == "fault", timeout=30)
    bot.kill()
    bot.start()
    await bot.wait_ready()
    greeted = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["text"].startswith("🎉 店庆"), timeout=30
    )
    assert len(greeted) == 1
    assert (
        await sandbox.quiet_for(
            3, lambda e: e["kind"] == "sent" and e["text"].startswith("🎉 店庆")
        )
        == []
    )
