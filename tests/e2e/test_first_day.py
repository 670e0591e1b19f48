"""The first day, tried as a new user would: every /start answers, bad input gets its reason,
a redelivered command is not run twice, and nothing a reply says is untrue."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from models import LedgerEntry, ScheduledPost, create_engine
from sandbox.client import Event, Group, SandboxClient, User
from tests.e2e.conftest import Launch
from tests.e2e.test_delivery import FAST_BOT
from tests.e2e.test_draws import draw_id, open_draw, press, result_of


async def fan_group(
    sandbox: SandboxClient, *names: str, language: str = "en"
) -> tuple[Group, User, list[User]]:
    admin = await sandbox.create_user("Ada", "ada_admin", language)
    fans = [await sandbox.create_user(name, f"{name.lower()}_fan", language) for name in names]
    group = await sandbox.create_group(creator=admin, members=fans)
    return group, admin, fans


async def test_every_start_is_answered_deep_link_or_not(sandbox: SandboxClient) -> None:
    fan = await sandbox.create_user("Fan", "fan_start", "en")
    for text in ("/start", "/start shop-42", "/start " + "x" * 64):
        await sandbox.send_private(fan, text)
        (hello,) = await sandbox.wait_for(
            lambda e: e["kind"] == "sent" and e["chat_id"] == fan.id and "Hi Fan" in e["text"]
        )
        assert ("That link is old" in hello["text"]) == (text != "/start")
        await sandbox.skip_past()
    group, admin, _ = await fan_group(sandbox)
    assert "Hello" in (await sandbox.ask(group, admin, "/start anything"))["text"]


async def test_bad_input_gets_its_reason_first_then_one_short_usage_line(
    sandbox: SandboxClient,
) -> None:
    group, admin, _ = await fan_group(sandbox)
    answers = {
        "/campaign del": "Usage: /campaign del <id>",
        "/draw cancel": "Usage: /draw <prize>",
        "/settings checkin base": "Usage: /settings checkin",
    }
    for command, start in answers.items():
        reply = await sandbox.ask_for_sender(group, admin, command)
        assert reply["text"].startswith(start), command
        assert "\n" not in reply["text"], command
    full = await sandbox.ask_for_sender(group, admin, "/help settings")
    assert "/settings timezone <Area/City>" in full["text"]
    assert "/settings cadence morning|reminder|digest <HH:MM|off>" in full["text"]
    explained = await sandbox.ask(group, admin, "/verify")
    assert "How a draw is checked" in explained["text"]
    assert "README" not in explained["text"]


async def test_options_glued_to_chinese_punctuation_and_a_draw_of_exactly_its_prizes(
    sandbox: SandboxClient,
) -> None:
    group, admin, fans = await fan_group(sandbox, "Bo", "Cy")
    await sandbox.ask(group, admin, "/settings language en")
    post = await open_draw(sandbox, group, admin, "🎧 耳机 AirPods Pro（限量）winners＝2 ends=2m")
    assert "🎧 耳机 AirPods Pro（限量）" in post["text"]
    assert "Winners: 2" in post["text"]
    for fan in fans:
        await press(sandbox, group, post, fan)
        await sandbox.skip_past()
    await sandbox.send(group, admin, f"/draw end {draw_id(post)}")
    result = await result_of(sandbox, group)
    assert "As many entrants as prizes: every entrant wins." in result["text"]
    assert "Fewer entrants" not in result["text"]
    assert "2 entrants" in result["text"]


async def test_ties_in_top_go_to_who_got_there_first_and_numbers_are_grouped(
    sandbox: SandboxClient,
) -> None:
    group, admin, (early, late) = await fan_group(sandbox, "Early", "Late")
    await sandbox.ask_for_sender(group, early, "/checkin")  # the same reward for both: a tie
    await sandbox.ask_for_sender(group, late, "/checkin")
    board = (await sandbox.ask(group, early, "/top today"))["text"].splitlines()
    assert board[1].startswith("🥇 Early"), board
    assert board[2].startswith("🥈 Late"), board
    granted = await sandbox.ask(group, admin, "/points @early_fan +1000000 prize")
    assert granted["text"].endswith("Balance: 1,000,005.")
    me = await sandbox.ask_for_sender(group, early, "/me")
    assert "💰 Points: 1,000,005 (lifetime 1,000,005)" in me["text"]


async def test_a_time_zone_change_gives_no_second_sign_in_the_same_day(
    sandbox: SandboxClient,
) -> None:
    group, admin, (fan,) = await fan_group(sandbox, "Walker")
    assert (await sandbox.ask_for_sender(group, fan, "签到"))["text"].startswith("✅ Signed in!")
    for zone in ("America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"):
        await sandbox.ask(group, admin, f"/settings timezone {zone}")
        again = await sandbox.ask_for_sender(group, fan, "签到")
        assert again["text"].startswith("You've already signed in today"), zone


async def test_quiet_groups_delete_the_commands_whose_answers_only_their_sender_saw(
    sandbox: SandboxClient,
) -> None:
    group, admin, (fan,) = await fan_group(sandbox, "Quinn")
    await sandbox.ask(group, admin, "/settings checkin quiet on")
    await sandbox.skip_past()
    asked = await sandbox.send(group, fan, "/top decade")
    usage = await sandbox.answer_to_sender(group.id, fan, asked["message"]["message_id"])
    assert usage["text"].startswith("Usage: /top")  # in no one else's chat: nothing to delete
    (deleted,) = await sandbox.wait_for(lambda e: e["kind"] == "deleted", timeout=90)
    assert deleted["message_id"] == asked["message"]["message_id"]
    answer = await sandbox.ask(group, fan, "/top")  # an answer for the group stays
    assert (
        await sandbox.quiet_for(
            1.5, lambda e: e["kind"] == "deleted" and e["message_id"] == answer["message_id"]
        )
        == []
    )


async def test_a_command_redelivered_after_a_crash_is_not_run_or_claimed_twice(
    launch: Launch,
) -> None:
    sandbox, bot = await launch(**FAST_BOT)
    group, admin, (fan,) = await fan_group(sandbox, "Redo")
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.send(group, fan, "hello")
    await sandbox.settle()
    # The replies hang in the network: the bot dies with the two updates unconfirmed, after
    # their changes were committed (a reply is sent only after its transaction commits).
    await sandbox.add_fault("hang", method="sendMessage", count=2)
    grant = await sandbox.send(group, admin, "/points @redo_fan +5 thanks")
    # As the anonymous admin: one member's updates are handled in order, and the first hangs.
    post = await sandbox.send(group, None, "/post daily 09:00 Good morning!")
    await sandbox.wait_for(lambda e: e["kind"] == "fault", count=2)
    bot.kill()
    bot.start()
    await bot.wait_ready()
    answers = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id, count=2, timeout=30
    )
    by_command = {e["reply_to"]: e["text"] for e in answers}
    again = by_command[grant["message"]["message_id"]]
    assert again.startswith("This change was already applied")
    assert again.endswith("Balance: 6.")  # the 5 once, and 1 for the hello
    repeated = by_command[post["message"]["message_id"]]
    assert repeated == "⏭ Already done: I handled this command before."
    engine = create_engine(bot.env["DATABASE_URL"])
    try:
        async with engine.connect() as connection:
            grants = await connection.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.reason == "admin")
            )
            posts = await connection.scalar(select(func.count()).select_from(ScheduledPost))
    finally:
        await engine.dispose()
    assert (grants, posts) == (1, 1)


async def first_reply(sandbox: SandboxClient, group: Group) -> Event:
    (reply,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == group.id)
    return reply


async def test_a_message_cut_in_the_middle_of_a_character_does_not_wedge_the_sandbox(
    sandbox: SandboxClient,
) -> None:
    group, _admin, (fan,) = await fan_group(sandbox, "Paste")
    cut = "好" * 2100 + "\udce5\udca5"  # a terminal cut the last character after two bytes
    sent = await sandbox.send(group, fan, cut)
    assert sent["message"]["text"].endswith("好\ufffd")
    await asyncio.sleep(0.1)
    assert "Hello" in (await sandbox.ask(group, fan, "/start"))["text"]


async def test_a_tier_up_committed_just_before_a_kill_is_congratulated_once_after_it(
    launch: Launch,
) -> None:
    sandbox, bot = await launch(TIER_ANNOUNCE_SECONDS="6")  # room to die before it goes out
    group, admin, (fan,) = await fan_group(sandbox, "Tia")
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.send(group, fan, "hello")
    await sandbox.settle()
    granted = await sandbox.ask(group, admin, "/points @tia_fan +150 welcome")
    assert granted["text"].startswith("✅ +150 points for Tia")
    bot.kill()  # the promotion and its congratulation are committed; nothing was sent yet
    assert await sandbox.quiet_for(1, lambda e: e["kind"] == "sent") == []
    bot.start()
    await bot.wait_ready()
    (cheer,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and "reached" in (e["text"] or ""), timeout=60
    )
    assert cheer["text"].startswith("🎉 Tia reached Bronze!")
    assert (
        await sandbox.quiet_for(8, lambda e: e["kind"] == "sent" and "reached" in (e["text"] or ""))
        == []
    )
