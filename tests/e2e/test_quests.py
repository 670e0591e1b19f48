"""Missions, badges and seasons (任务、徽章、赛季) through the sandbox: a daily set completed is
paid once and told privately, and nothing more after a restart; a badge given shows in /me
and lets its holder, and only them, into a `badge=` draw; a weekly season closes at Monday
00:00 in the group's time zone (a fixed clock, hours after UTC's Monday), its winner posted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.client import Event, SandboxClient
from tests.e2e.conftest import Launch
from tests.e2e.test_draws import open_draw, press
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import start_privately
from tests.e2e.test_standing import field
from tests.support.processes import ShiftedClock

REFUSAL = "Sorry, only the group's admins can use this command."
NEW_YORK, UTC = ZoneInfo("America/New_York"), ZoneInfo("UTC")


def told_privately(to: int) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == "sent" and e["chat_id"] == to and "🎯" in str(e["text"])


async def test_a_mission_set_is_paid_once_and_not_again_after_a_restart(launch: Launch) -> None:
    sandbox, bot = await launch(BACKGROUND_CHECK_SECONDS="1")
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, admin, "/settings language en")
    await start_privately(sandbox, bob)
    refused = await sandbox.ask_for_sender(group, admin, "/quests daily dance=5")
    assert refused["text"].startswith("Each mission is template=points")
    chosen = await sandbox.ask(group, admin, "/quests daily checkin=5 messages=3 bonus=10")
    assert chosen["text"] == ("✅ Daily missions: Sign in +5, Write messages +3. All of them: +10.")
    before = await sandbox.ask_for_sender(group, bob, "/quests")
    assert before["text"].splitlines() == [
        "🎯 Your missions", "Daily missions 0/2 · all: +10", "▫️ Sign in 0/1 · +5",
        "▫️ Write messages 0/1 · +3",
    ]  # fmt: skip
    await sandbox.ask_for_sender(group, bob, "/checkin")
    await sandbox.send(group, bob, "hello everyone")  # a point for the message
    (told,) = await sandbox.wait_for(
        lambda e: told_privately(bob.id)(e) and "all done" in e["text"], timeout=30
    )
    assert told["text"].splitlines()[-1] == f"🏆 Daily missions all done in {group.title}! +10"
    done = await sandbox.ask_for_sender(group, bob, "/quests")
    assert done["text"].splitlines()[1:] == [
        "Daily missions 2/2 · all: +10", "✅ Sign in 1/1 · +5", "✅ Write messages 1/1 · +3",
    ]  # fmt: skip
    me = await sandbox.ask_for_sender(group, bob, "/me")
    points = field(me, "Points:")
    assert "✅ Sign in 1/1 · +5" in me["text"]

    assert bot.stop() == 0
    bot.start()
    await bot.wait_ready()
    again = await sandbox.ask_for_sender(group, bob, "/quests")
    assert again["text"] == done["text"]
    assert await sandbox.quiet_for(3, told_privately(bob.id)) == []
    assert field(await sandbox.ask_for_sender(group, bob, "/me"), "Points:") == points
    history = await sandbox.ask_for_sender(group, bob, "/points history")
    lines = history["text"].splitlines()
    assert sum("mission" in line for line in lines) == 3  # two missions and the set, once each
    economy = await sandbox.ask(group, admin, "/stats economy")
    assert economy["text"].splitlines()[0] == "💹 Points economy, last 7 days (the 7 before):"
    assert "  · missions: 18 (0)" in economy["text"].splitlines()
    assert "Traceback" not in bot.logs(), bot.logs()[-4000:]


async def test_a_badge_is_shown_and_opens_a_badge_draw(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.ask(group, admin, "/settings language en")
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")
    await sandbox.settle()  # known by @username once their messages are handled
    refused = await sandbox.ask_for_sender(group, bob, "/badge give @bob_fan vip")
    assert refused["text"] == REFUSAL
    given = await sandbox.ask(group, admin, "/badge give @bob_fan VIP")
    assert given["text"] == "🎖 Bob got the badge vip."
    again = await sandbox.ask(group, admin, "/badge give @bob_fan vip")
    assert again["text"] == "🎖 Bob already has the badge vip."
    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert field(me, "🎖 Badges:") == "vip"
    listed = await sandbox.ask_for_sender(group, admin, "/badges")
    assert listed["text"].splitlines() == ["🎖 Badges:", "vip · 1 member"]

    post = await open_draw(sandbox, group, admin, "Cap badge=vip")
    assert "the badge vip" in post["text"]
    assert await press(sandbox, group, post, cleo) == (
        "Sorry, this draw is for holders of the badge vip."
    )
    assert (await press(sandbox, group, post, bob)).startswith("✅ You're in draw")
    taken = await sandbox.ask(group, admin, "/badge take @bob_fan vip")
    assert taken["text"] == "🎖 Badge vip taken from Bob."
    assert "🎖" not in (await sandbox.ask_for_sender(group, bob, "/me"))["text"]


def season_post(group_id: int) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == "sent" and e["chat_id"] == group_id and "is over" in e["text"]


async def test_a_weekly_season_resets_at_midnight_in_the_groups_zone(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    # Sunday 23:00 in New York: Monday 04:00 in UTC, whose week began hours ago.
    monday = datetime(2027, 2, 1, tzinfo=NEW_YORK)
    await clock.advance(int((monday - timedelta(hours=1) - clock.now(UTC)).total_seconds()))
    sandbox, bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.ask(group, admin, "/settings timezone America/New_York")
    set_ = await sandbox.ask(group, admin, "/season week winners=1")
    assert set_["text"] == "✅ A weekly season, top 1 win."
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hello")  # seen, and a point for the message
    # Known by @username once their messages are handled: a grant beside them could be refused.
    await sandbox.settle()
    given = await sandbox.ask(group, admin, "/points @bob_fan +50 well done")
    assert given["text"].startswith("✅ +50 points for Bob")
    await sandbox.ask(group, admin, "/points @cleo_fan +20 thanks")
    await sandbox.ask(group, admin, "/points @ada_admin +90 mine")  # staff: left out
    bob_has = field(await sandbox.ask_for_sender(group, bob, "/me"), "Points:").split()[0]
    board = await sandbox.ask_for_sender(group, cleo, "/season")
    lines = board["text"].splitlines()
    assert lines[:2] == ["🏁 Weekly season 2027-W04", f"🥇 Bob · {bob_has}"]
    assert lines[2].startswith("🥈 Cleo · ")
    assert len(lines) == 3
    assert await sandbox.quiet_for(2, season_post(group.id)) == []  # UTC's Monday: not ours

    await clock.advance(int((monday - clock.now(UTC)).total_seconds()) + 60)  # 00:01 there
    (post,) = await sandbox.wait_for(season_post(group.id), timeout=30)
    assert post["text"].splitlines() == [
        "🏁 Season 2027-W04 is over. The winners:", f"🥇 Bob · {bob_has}",
        "A new season starts now.",
    ]  # fmt: skip
    board = await sandbox.ask_for_sender(group, cleo, "/season")
    assert board["text"].splitlines() == ["🏁 Weekly season 2027-W05", "No points yet this season."]
    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert field(me, "🎖 Badges:") == "Season top 10"
    assert await sandbox.quiet_for(3, season_post(group.id)) == []  # closed once
    assert "Traceback" not in bot.logs(), bot.logs()[-4000:]
