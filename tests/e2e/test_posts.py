"""Scheduled posts through the sandbox: on time, once, after a restart (caught up or skipped),
and the commands' bad input. The bot's wall clock is moved with libfaketime (`ShiftedClock`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.client import Event, Group, SandboxClient
from tests.e2e.conftest import Launch
from tests.e2e.test_welcome import english_group
from tests.support.processes import ShiftedClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def posted(group: Group, text: str) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and e["text"] == text


def a_minute_ahead(clock: ShiftedClock, minutes: int = 5) -> datetime:
    """A whole minute some minutes ahead of the bot's clock, in UTC: time enough for the
    commands that name it, however slow a loaded machine makes them (a daily time set after it
    has passed waits for tomorrow)."""
    now = time.time() + clock.offset
    return datetime.fromtimestamp((int(now) // 60 + minutes) * 60, UTC)


async def just_before(clock: ShiftedClock, minute: datetime, seconds: int = 8) -> None:
    """Move the bot's clock to `seconds` before `minute` (once its commands are answered). The
    scheduler notices at its next wake-up, within its 30 s rebuild."""
    await clock.advance(int(minute.timestamp() - seconds - (time.time() + clock.offset)))


async def test_a_daily_post_goes_out_on_time_once_and_is_caught_up_after_a_restart(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, bot = await launch(**clock.env(), SCHEDULER_ENABLED="true")
    group, admin = await english_group(sandbox)
    fire = a_minute_ahead(clock)
    at = fire.astimezone(SHANGHAI).strftime("%H:%M")
    reply = await sandbox.ask(group, admin, f"/post daily {at} pin Good morning, fans!")
    assert reply["text"] == (
        f"✅ Post #1 scheduled: every day at {at}. "
        f"Next: {fire.astimezone(SHANGHAI):%Y-%m-%d %H:%M}."
    )
    listed = await sandbox.ask(group, admin, "/posts")
    assert listed["text"].splitlines()[1].startswith(f"#1 · every day at {at} · ")
    await just_before(clock, fire)
    (sent,) = await sandbox.wait_for(posted(group, "Good morning, fans!"), timeout=60)
    await sandbox.wait_for(
        lambda e: e["kind"] == "pinned" and e["message_id"] == sent["message_id"]
    )
    assert await sandbox.quiet_for(3, posted(group, "Good morning, fans!")) == []

    assert bot.stop() == 0
    await clock.advance(86_400 + 180)  # down over tomorrow's run, back 3 minutes late
    bot.start()
    await bot.wait_ready()
    await sandbox.wait_for(posted(group, "Good morning, fans!"), timeout=30)  # caught up

    assert bot.stop() == 0
    await clock.advance(86_400 + 2 * 3600)  # down over the next run, back 2 hours late
    bot.start()
    await bot.wait_ready()
    assert await sandbox.quiet_for(5, posted(group, "Good morning, fans!")) == []
    await bot.wait_for_log("was missed by 2:0")  # the skip is logged as the first plan runs
    assert "is skipped" in bot.logs()


async def test_a_post_cut_off_by_a_kill_goes_out_once_after_the_restart(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, bot = await launch(**clock.env(), SCHEDULER_ENABLED="true")
    group, admin = await english_group(sandbox)
    fire = a_minute_ahead(clock)
    at = fire.astimezone(SHANGHAI).strftime("%H:%M")
    await sandbox.ask(group, admin, f"/post daily {at} Flash sale at noon!")
    await sandbox.add_fault("hang", "sendMessage", chat_id=group.id)  # the post never arrives
    await just_before(clock, fire)
    await sandbox.wait_for(
        lambda e: e["kind"] == "fault" and e["method"] == "sendMessage", timeout=60
    )
    bot.kill()  # the run is claimed and its outbox row written; the message is not out
    bot.start()
    await bot.wait_ready()
    await sandbox.wait_for(posted(group, "Flash sale at noon!"), timeout=30)
    assert await sandbox.quiet_for(5, posted(group, "Flash sale at noon!")) == []


async def test_post_commands_and_their_bad_input(sandbox: SandboxClient) -> None:
    group, admin = await english_group(sandbox)
    fan = await sandbox.create_user("Fay", None, "en")
    await sandbox.set_member_status(group, fan, "member")
    refused = await sandbox.ask_for_sender(group, fan, "/post daily 09:00 hi")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    cases = {
        "/post": "Usage: /post",
        "/post daily 25:00 hi": "The time must be HH:MM, from 00:00 to 23:59.",
        "/post at 2020-01-01 10:00 hi": "That time has passed.",
        '/post cron "0 0 31 2 *" hi': "That cron expression never fires (within a year).",
        '/post cron "* * * * * *" hi': "A cron expression has five fields",
        "/post daily 09:00": "Nothing to post: add the text, or send /post as a reply",
        '/post daily 09:00 buttons="Shop|ftp://x.example" hi': 'Buttons are "Text|https://…"',
        "/post daily 09:00 thread=77 hi": "There is no such topic in this group.",
    }  # fmt: skip
    for command, answer in cases.items():
        assert (await sandbox.ask_any(group, admin, command))["text"].startswith(answer), command
    assert (await sandbox.ask(group, admin, "/posts"))["text"] == (
        "No scheduled posts. Add one with /post."
    )  # nothing was stored

    source = await sandbox.send(group, admin, "New colours are in! 🎨")
    sent = await sandbox.send(
        group, admin, '/post weekly mon,fri 20:00 buttons="Shop|https://shop.example"',
        reply_to=source["message"]["message_id"],
    )  # fmt: skip
    created = await sandbox.reply_to(group.id, sent["message"]["message_id"])
    post_id = int(created["text"].split("#")[1].split()[0])
    assert created["text"].startswith(f"✅ Post #{post_id} scheduled: every Mon, Fri at 20:00.")
    await sandbox.send(group, admin, f"/post test {post_id}")
    text = f"👁 Preview of post #{post_id}\nNew colours are in! 🎨"
    (preview,) = await sandbox.wait_for(posted(group, text))
    assert preview["reply_markup"]["inline_keyboard"] == [
        [{"text": "Shop", "url": "https://shop.example"}]
    ]
    paused = await sandbox.ask(group, admin, f"/post pause {post_id}")
    assert paused["text"] == f"⏸ Post #{post_id} paused."
    assert " · paused · " in (await sandbox.ask(group, admin, "/posts"))["text"]
    assert (await sandbox.ask(group, admin, f"/post resume {post_id}"))["text"] == (
        f"▶️ Post #{post_id} resumed."
    )
    assert (await sandbox.ask(group, admin, f"/post del {post_id}"))["text"] == (
        f"🗑 Post #{post_id} deleted."
    )
    assert (await sandbox.ask(group, admin, f"/post test {post_id}"))["text"] == (
        f"There is no post #{post_id} here."
    )


async def test_the_daily_cadence_follows_the_groups_settings(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    clock.clear_of_midnight(SHANGHAI)  # the digest counts the day's sign-in
    sandbox, _bot = await launch(**clock.env(), SCHEDULER_ENABLED="true")
    group, admin = await english_group(sandbox)
    fan = await sandbox.create_user("Fay", None, "en")
    await sandbox.set_member_status(group, fan, "member")
    await sandbox.ask_for_sender(group, fan, "签到")
    await sandbox.ask(group, admin, "/post daily 08:30 Coffee time")
    bad = await sandbox.ask_for_sender(group, admin, "/settings cadence lunch 12:00")
    assert bad["text"].startswith("Usage: /settings")
    fire = a_minute_ahead(clock)  # the clock moves there once the four commands are answered
    at = fire.astimezone(SHANGHAI).strftime("%H:%M")
    for part in ("morning", "reminder", "digest"):
        await sandbox.ask(group, admin, f"/settings cadence {part} {at}")
    off = await sandbox.ask(group, admin, "/settings cadence reminder off")
    assert off["text"] == "✅ The sign-in reminder is off."
    await just_before(clock, fire)

    def daily(event: Event) -> bool:
        return (
            event["kind"] == "sent"
            and event["chat_id"] == group.id
            and str(event["text"]).startswith(("☀️", "⏰", "🌙"))
        )

    posts = await sandbox.wait_for(daily, timeout=60, count=2)
    morning, digest = sorted(posts, key=lambda e: e["text"])
    assert morning["text"].splitlines() == [
        f"☀️ Good morning, Tea Fans! Today is {fire.astimezone(SHANGHAI):%Y-%m-%d}.",
        "Sign in for today's points: say 签到 or press the button.",
    ]
    assert morning["reply_markup"]["inline_keyboard"][0][0]["text"] == "签到 / Check in"
    lines = digest["text"].splitlines()
    assert lines[0] == "🌙 Today in Tea Fans"
    assert "✅ Sign-ins: 1" in lines
    assert "🏆 Top earners: 🥇 Fay +5" in lines
    assert any(line.startswith("🗓 Tomorrow 08:30: post #") for line in lines)
    assert await sandbox.quiet_for(3, daily) == []  # the reminder is off; nothing twice
    shown = await sandbox.ask(group, admin, "/settings")
    assert f"Daily posts: morning {at}, sign-in reminder off, digest {at}" in shown["text"]
