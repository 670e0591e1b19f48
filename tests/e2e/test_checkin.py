"""The daily sign-in through the sandbox: command, keywords, button, second try, make-up."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.client import Event, Group, SandboxClient, User
from tests.e2e.conftest import Launch

SIGNED_FIRST = "✅ Signed in! Day 1 of your streak · +5 points · #1 today."


async def fan_group(sandbox: SandboxClient, *names: str) -> tuple[Group, User, list[User]]:
    admin = await sandbox.create_user("Ada", None, "en")
    fans = [
        await sandbox.create_user(name, None, "zh" if name == "李雷" else "en") for name in names
    ]
    return await sandbox.create_group(creator=admin, members=fans), admin, fans


def group_posts(group: Group) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == "sent" and e["chat_id"] == group.id


async def test_the_command_signs_in_once_a_day(sandbox: SandboxClient) -> None:
    group, _admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    assert (await sandbox.ask_for_sender(group, bob, "/checkin"))["text"] == SIGNED_FIRST
    second = await sandbox.ask_for_sender(group, cleo, "/checkin")
    assert second["text"] == "✅ Signed in! Day 1 of your streak · +5 points · #2 today."
    again = await sandbox.ask_for_sender(group, bob, "/checkin")
    assert again["text"].startswith("You've already signed in today (#1). Next sign-in in ")
    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert "💰 Points: 5 (lifetime 5)" in me["text"]
    assert "🔥 Streak: 1 day ·" in me["text"]
    assert (await sandbox.ask_for_sender(group, bob, "/checkin now"))["text"].startswith(
        "Usage: /checkin"
    )


async def test_keywords_sign_in_in_the_members_language(sandbox: SandboxClient) -> None:
    group, _admin, (li,) = await fan_group(sandbox, "李雷")
    first = await sandbox.ask_for_sender(group, li, " 签到 ")
    assert first["text"] == "✅ 签到成功！连续第 1 天 · +5 积分 · 今日第 1 位。"
    again = await sandbox.ask_for_sender(group, li, "打卡")
    assert again["text"].startswith("你今天已经签到过了（第 1 位）。")
    me = await sandbox.ask_for_sender(group, li, "/me")
    assert "💰 积分：5（累计 5）" in me["text"]  # the keywords earned no message points


async def test_the_button_answers_with_a_toast_and_keeps_the_group_quiet(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    board = await sandbox.ask(group, admin, "/checkin top")
    assert board["text"].splitlines() == [
        "🔥 Longest streaks",
        "Nobody is on a streak yet.",
        "",
        "🌅 First today (0 signed in)",
        "Nobody has signed in today yet.",
    ]
    (button,) = board["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == "签到 / Check in"
    await sandbox.press(group.id, board["message_id"], bob, button["callback_data"])
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert toast["text"] == SIGNED_FIRST
    await sandbox.press(group.id, board["message_id"], bob, button["callback_data"])
    (again,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert again["text"].startswith("You've already signed in today (#1).")
    assert await sandbox.quiet_for(0.5, group_posts(group)) == []
    board = await sandbox.ask(group, admin, "/checkin top")
    assert board["text"].splitlines()[1] == "1. Bob — 1 day"
    assert board["text"].splitlines()[4] == "1. Bob"


async def test_make_up_refuses_without_a_missed_day_and_spends_nothing(
    sandbox: SandboxClient,
) -> None:
    group, _admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask_for_sender(group, bob, "/checkin")
    refused = await sandbox.ask_for_sender(group, bob, "/checkin makeup")
    assert refused["text"] == "No missed day to make up in the last 3 days."
    assert "💰 Points: 5 (lifetime 5)" in (await sandbox.ask_for_sender(group, bob, "/me"))["text"]


async def test_admins_set_the_reward_and_the_keywords(sandbox: SandboxClient) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    reply = await sandbox.ask(group, admin, "/settings checkin keywords 冒泡,Hello")
    assert reply["text"] == "✅ Sign-in setting keywords is now 冒泡,Hello."
    await sandbox.ask(group, admin, "/settings checkin base 10")
    signed: Event = await sandbox.ask_for_sender(group, bob, "hello")
    assert signed["text"] == "✅ Signed in! Day 1 of your streak · +10 points · #1 today."
    too_big = await sandbox.ask(group, admin, "/settings checkin base 999999")
    assert too_big["text"] == "base must be between 0 and 10,000."
    for bad in ("/settings checkin milestones soon", "/settings checkin colour red"):
        assert (await sandbox.ask_for_sender(group, admin, bad))["text"].startswith(
            "Usage: /settings"
        )
    refused = await sandbox.ask_for_sender(group, bob, "/settings checkin base 100")
    assert refused["text"] == "Sorry, only the group's admins can use this command."


async def test_quiet_mode_deletes_the_word_its_answer_being_the_senders(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.send(group, cleo, "hello all")  # a small group: not quiet by default
    plain = await sandbox.send(group, cleo, "签到")
    await sandbox.answer_to_sender(group.id, cleo, plain["message"]["message_id"])
    assert await sandbox.quiet_for(1.5, lambda e: e["kind"] == "deleted") == []
    assert (await sandbox.ask(group, admin, "/settings checkin quiet on"))["text"] == (
        "✅ Sign-in setting quiet is now on."
    )
    sent = await sandbox.send(group, bob, "签到")
    await sandbox.answer_to_sender(group.id, bob, sent["message"]["message_id"])
    (deleted,) = await sandbox.wait_for(lambda e: e["kind"] == "deleted")
    assert deleted["message_id"] == sent["message"]["message_id"]


async def test_a_member_who_left_and_came_back_keeps_their_history(
    sandbox: SandboxClient,
) -> None:
    group, _admin, (bob,) = await fan_group(sandbox, "Bob")
    assert (await sandbox.ask_for_sender(group, bob, "签到"))["text"] == SIGNED_FIRST
    await sandbox.set_member_status(group, bob, "left")
    await sandbox.set_member_status(group, bob, "member")
    again = await sandbox.ask_for_sender(group, bob, "/checkin")
    assert again["text"].startswith("You've already signed in today (#1).")
    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert "💰 Points: 5 (lifetime 5)" in me["text"]
    assert "🔥 Streak: 1 day ·" in me["text"]


async def test_quiet_deletions_due_across_a_restart_still_happen(launch: Launch) -> None:
    sandbox, bot = await launch(QUIET_DELETE_SECONDS="6")
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, admin, "/settings checkin quiet on")
    sent = await sandbox.send(group, bob, "签到")
    await sandbox.answer_to_sender(group.id, bob, sent["message"]["message_id"])
    assert bot.stop() == 0  # down before the minute (here six seconds) is up
    bot.start()
    await bot.wait_ready()
    (deleted,) = await sandbox.wait_for(lambda e: e["kind"] == "deleted", timeout=30)
    assert deleted["message_id"] == sent["message"]["message_id"]
