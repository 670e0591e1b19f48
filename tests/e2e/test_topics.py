"""Topic threads through the sandbox: in an ordinary group (replies to the anchor) and in a forum
(its own topic), rewards within the cap, the close with its summary and bonuses (by command, on
time, after a restart), show-off photos ranked by reactions, and the queue feeding the morning
post."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.client import Event, Group, SandboxClient, User
from tests.e2e.conftest import Launch
from tests.e2e.test_posts import a_minute_ahead, just_before
from tests.e2e.test_welcome import english_group
from tests.support.processes import ShiftedClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sent_in(group: Group, start: str | tuple[str, ...]) -> Callable[[Event], bool]:
    return lambda e: (
        e["kind"] == "sent" and e["chat_id"] == group.id and (e["text"] or "").startswith(start)
    )


def answering(group: Group, user: User, message_id: int) -> Callable[[Event], bool]:
    """The answer to `message_id` that only `user` sees."""
    return lambda e: (
        e["kind"] == "ephemeral"
        and e["chat_id"] == group.id
        and e["receiver_id"] == user.id
        and e["reply_to"] == message_id
    )


def replying_to(group: Group, message_id: int) -> Callable[[Event], bool]:
    return lambda e: (
        e["kind"] == "sent" and e["chat_id"] == group.id and e["reply_to"] == message_id
    )


async def topic_rows(sandbox: SandboxClient, group: Group, user: User) -> list[str]:
    """The member's ledger rows paid by topics, newest first."""
    history = await sandbox.ask_for_sender(group, user, "/points history")
    return [line.split(" ", 2)[2] for line in history["text"].splitlines()[1:] if "topic" in line]


async def members(sandbox: SandboxClient, group: Group, *names: str) -> list[User]:
    users = [await sandbox.create_user(name, None, "en") for name in names]
    for user in users:
        await sandbox.set_member_status(group, user, "member")
    return users


async def open_topic(sandbox: SandboxClient, group: Group, admin: User, args: str) -> Event:
    """`/topic new <args>`: the topic's opening post (the anchor, or the first in its thread)."""
    command = await sandbox.send(group, admin, f"/topic new {args}")
    (opening,) = await sandbox.wait_for(sent_in(group, ("📸", "💬")))
    done = await sandbox.reply_to(group.id, command["message"]["message_id"])
    assert done["text"].startswith("✅ Topic #"), done["text"]
    return opening


async def test_topic_commands_refuse_members_and_bad_input_writing_nothing(
    sandbox: SandboxClient,
) -> None:
    group, admin = await english_group(sandbox)
    (bob,) = await members(sandbox, group, "Bob")
    refused = await sandbox.ask_for_sender(group, bob, "/topic new My own topic")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    bad = {
        "/topic new": "Usage: /topic",
        "/topic new hours=5": "Usage: /topic",
        f"/topic new {'长' * 129}": "A title takes up to 128 characters.",
        "/topic new Colours hours=0": "hours=… is 1 to 168.",
        "/topic new Colours hours=169": "hours=… is 1 to 168.",
        "/topic new Colours color=blue": "Topic colours exist only in groups with topics (forums).",
        "/topic close": "No topic is open.",
        "/topic close 9": "Topic #9 is not open here.",
        "/topic queue del 1": "There is no such number in the queue. See /topic queue.",
    }
    for command, answer in bad.items():
        assert (await sandbox.ask_any(group, admin, command))["text"].startswith(answer), command
    assert (await sandbox.ask(group, bob, "/topic"))["text"] == "No topic is open right now."
    assert (await sandbox.ask(group, admin, "/topic queue"))["text"] == (
        "The topic queue is empty. Add one with /topic queue add <title>."
    )


async def test_a_topic_in_an_ordinary_group_rewards_replies_within_the_cap(
    sandbox: SandboxClient,
) -> None:
    # Telegram lets a bot post about 20 messages a minute in a group: the bot's pacer holds
    # the rest, so each test here keeps to its own group and a few bot messages.
    group, admin = await english_group(sandbox)
    bob, carol = await members(sandbox, group, "Bob", "Carol")
    anchor = await open_topic(
        sandbox, group, admin, "What should we make next? reward=3 cap=2 hours=2"
    )
    assert anchor["text"].splitlines() == [
        "💬 Topic: What should we make next?",
        "Reply to this message to join.",
        "+3 points a reply of 5+ characters or a photo, for up to 2 each.",
        anchor["text"].splitlines()[3],
    ]
    assert anchor["text"].splitlines()[3].endswith("The top 3 get +20 / +10 / +5.")
    first = await sandbox.send(
        group, bob, "A purple hoodie, please!", reply_to=anchor["message_id"]
    )
    await sandbox.send(group, carol, "Yes, purple!!", reply_to=first["message"]["message_id"])
    await sandbox.send(group, bob, "ok", reply_to=anchor["message_id"])  # too short to earn
    await sandbox.send(group, bob, "Or a teal one", reply_to=anchor["message_id"])
    await sandbox.send(group, bob, "Or gold, also", reply_to=anchor["message_id"])  # over the cap
    await sandbox.send(group, carol, "Off-topic chatter here")  # not a reply: not the topic's
    await sandbox.settle()
    assert await topic_rows(sandbox, group, bob) == ["+3 topic", "+3 topic"]
    assert await topic_rows(sandbox, group, carol) == ["+3 topic"]
    listed = await sandbox.ask(group, carol, "/topic")
    line = listed["text"].splitlines()[1]
    assert line.startswith("#"), line
    assert " What should we make next? · until " in line, line
    assert line.endswith("2h · +3×2 · you: 1/2"), line

    close = await sandbox.send(group, admin, "/topic close")
    summary, closed = await sandbox.wait_for_each(
        sent_in(group, "🏁"), replying_to(group, close["message"]["message_id"])
    )
    assert summary["reply_to"] == anchor["message_id"]
    assert summary["text"].splitlines() == [
        "🏁 What should we make next? is closed. Thank you all!",
        "💬 Replies: 5 · 👥 Members taking part: 2",
        "🥇 Bob: 4 replies, 1 received · +20",
        "🥈 Carol: 1 reply, 0 received · +10",
    ]
    topic_id = closed["text"].split("#")[1].split()[0]
    assert closed["text"] == f"✅ Topic #{topic_id} closed."
    again = await sandbox.ask(group, admin, f"/topic close {topic_id}")
    assert again["text"] == f"Topic #{topic_id} is not open here."
    await sandbox.send(group, carol, "Late but long reply", reply_to=anchor["message_id"])
    assert await topic_rows(sandbox, group, bob) == ["+20 topic", "+3 topic", "+3 topic"]
    assert await topic_rows(sandbox, group, carol) == ["+10 topic", "+3 topic"]


async def test_a_show_off_topic_in_a_forum_pays_photos_and_shows_the_most_loved(
    sandbox: SandboxClient,
) -> None:
    admin = await sandbox.create_user("Ada", None, "en")
    forum = await sandbox.create_group("Tea Forum", creator=admin, is_forum=True)
    await sandbox.ask(forum, admin, "/settings language en")
    bob, carol = await members(sandbox, forum, "Bob", "Carol")
    opening = await open_topic(sandbox, forum, admin, "Show your tea set kind=show color=violet")
    (created,) = [e for e in await sandbox.events() if e["kind"] == "topic_created"][-1:]
    thread = created["topic"]["message_thread_id"]
    assert created["topic"]["name"] == "Show your tea set"
    assert created["topic"]["icon_color"] == 13338331
    assert opening["thread_id"] == thread
    assert opening["text"].splitlines()[:3] == [
        "📸 Show-off: Show your tea set",
        "Post a photo here to join.",
        "+2 points a photo, for up to 10 photos each.",
    ]
    await sandbox.send(forum, bob, "My set is on its way!", thread_id=thread)  # no photo
    bob_photo = await sandbox.send(forum, bob, photo=True, caption="Celadon", thread_id=thread)
    carol_photo = await sandbox.send(forum, carol, photo=True, thread_id=thread)
    photo_id = bob_photo["message"]["message_id"]
    await sandbox.send(forum, carol, "Beautiful glaze!", reply_to=photo_id, thread_id=thread)
    await sandbox.settle()  # reactions come after the photo is recorded
    await sandbox.react(forum.id, photo_id, carol, ["❤"])
    await sandbox.react(forum.id, photo_id, admin, ["🔥"])
    await sandbox.react(forum.id, photo_id, admin, ["🔥"])  # the same again: counted once
    await sandbox.settle()
    assert await topic_rows(sandbox, forum, bob) == ["+2 topic"]
    assert await topic_rows(sandbox, forum, carol) == ["+2 topic"]
    assert carol_photo["message"]["photo"]

    close = await sandbox.send(forum, admin, "/topic close")
    summary, _closed = await sandbox.wait_for_each(
        sent_in(forum, "🏁"), replying_to(forum, close["message"]["message_id"])
    )
    assert summary["thread_id"] == thread
    assert summary["text"].splitlines()[:3] == [
        "🏁 Show your tea set is closed. Thank you all!",
        "💬 Replies: 4 · 👥 Members taking part: 2",
        "🥇 Bob: 2 replies, 1 received · +20",
    ]
    (photo,) = await sandbox.wait_for(sent_in(forum, "📸 The most loved photos"))
    assert photo["method"] == "sendPhoto"
    assert photo["photo"] == bob_photo["message"]["photo"][-1]["file_id"]
    assert photo["text"].splitlines()[1] == "🥇 Bob ❤️ 2 · 💬 1"
    await sandbox.wait_for(lambda e: e["kind"] == "topic_closed" and e["thread_id"] == thread)


async def test_a_forum_that_lets_the_bot_manage_no_topics_gets_a_clear_answer(
    sandbox: SandboxClient,
) -> None:
    admin = await sandbox.create_user("Ada", None, "en")
    rights = {"can_manage_chat": True, "can_delete_messages": True, "can_pin_messages": True,
              "can_invite_users": True, "can_manage_topics": False}  # fmt: skip
    forum = await sandbox.create_group("Tea Forum", creator=admin, is_forum=True, bot_rights=rights)
    await sandbox.ask(forum, admin, "/settings language en")
    command = await sandbox.send(forum, admin, "/topic new Colours")
    notice, answer = await sandbox.wait_for_each(  # the notice, once for every admin
        sent_in(forum, "⚠️ Admins:"), replying_to(forum, command["message"]["message_id"])
    )
    assert "Manage topics" in notice["text"]
    assert answer["text"] == (
        "I can't create topics in this group. Give me the “Manage topics” right, then try again."
    )
    assert (await sandbox.ask(forum, admin, "/topic"))["text"] == "No topic is open right now."


async def test_topics_close_on_time_after_a_restart_and_the_queue_feeds_the_morning(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, bot = await launch(**clock.env(), SCHEDULER_ENABLED="true")
    group, admin = await english_group(sandbox)
    (bob,) = await members(sandbox, group, "Bob")
    queued = await sandbox.ask(group, admin, "/topic queue add 今天喝什么茶 hours=1 reward=4")
    assert queued["text"].splitlines() == [
        "✅ Queued as number 1: 今天喝什么茶",
        "To open one each morning: /settings daily_topic on",
    ]
    on = await sandbox.ask(group, admin, "/settings daily_topic on")
    assert on["text"] == "✅ The morning post now opens the next queued topic (see /topic queue)."
    listed = await sandbox.ask(group, admin, "/topic queue")
    assert listed["text"].splitlines() == [
        "🗂 Topic queue (daily topic: on)",
        "1. 今天喝什么茶 · 1h · +4×10",
    ]
    fire = a_minute_ahead(clock)
    at = fire.astimezone(SHANGHAI).strftime("%H:%M")
    await sandbox.ask(group, admin, f"/settings cadence morning {at}")
    await just_before(clock, fire)
    (anchor,) = await sandbox.wait_for(sent_in(group, "💬 Topic: 今天喝什么茶"), timeout=60)
    (morning,) = await sandbox.wait_for(sent_in(group, "☀️"))
    assert morning["text"].splitlines()[-1] == "💬 Today's topic: 今天喝什么茶. Join in!"
    await sandbox.send(group, bob, "Oolong, always oolong", reply_to=anchor["message_id"])
    await sandbox.settle()
    assert await topic_rows(sandbox, group, bob) == ["+4 topic"]

    await clock.advance(3600)  # its hour passes while the bot runs: closed by the scheduler
    (summary,) = await sandbox.wait_for(sent_in(group, "🏁 今天喝什么茶"), timeout=45)
    assert summary["text"].splitlines()[2] == "🥇 Bob: 1 reply, 0 received · +20"

    second = await open_topic(sandbox, group, admin, "Tea and cake hours=1")
    await sandbox.send(group, bob, "Matcha roll cake!", reply_to=second["message_id"])
    await sandbox.settle()
    assert bot.stop() == 0
    await clock.advance(2 * 3600)  # it ends while the bot is down
    bot.start()
    await bot.wait_ready()
    (late,) = await sandbox.wait_for(sent_in(group, "🏁 Tea and cake"), timeout=30)
    assert late["reply_to"] == second["message_id"]
    assert late["text"].splitlines()[2] == "🥇 Bob: 1 reply, 0 received · +20"
    assert await topic_rows(sandbox, group, bob) == [
        "+20 topic", "+2 topic", "+20 topic", "+4 topic",
    ]  # fmt: skip


async def test_a_summary_cut_off_by_a_kill_is_posted_once_after_the_restart(
    launch: Launch,
) -> None:
    sandbox, bot = await launch(TELEGRAM_RATE_CHAT="20", TELEGRAM_RATE_GROUP_PER_MINUTE="1200")
    group, admin = await english_group(sandbox)
    (bob,) = await members(sandbox, group, "Bob")
    anchor = await open_topic(sandbox, group, admin, "Best tea hours=2")
    await sandbox.send(group, bob, "Oolong, always oolong", reply_to=anchor["message_id"])
    await sandbox.settle()
    # The close commits (bonuses paid, its summary queued); then the summary and the command's
    # answer both hang in the network, and the bot dies with them.
    await sandbox.add_fault("hang", method="sendMessage", count=2)
    close = await sandbox.send(group, admin, "/topic close")
    await sandbox.wait_for(lambda e: e["kind"] == "fault", count=2, timeout=30)
    bot.kill()
    bot.start()
    await bot.wait_ready()
    summary, again = await sandbox.wait_for_each(
        sent_in(group, "🏁 Best tea"),
        answering(group, admin, close["message"]["message_id"]),  # "already done": the admin's
        timeout=30,
    )
    assert summary["reply_to"] == anchor["message_id"]
    assert summary["text"].splitlines()[2] == "🥇 Bob: 1 reply, 0 received · +20"
    assert again["text"] == "⏭ Already done: I handled this command before."
    assert await sandbox.quiet_for(3, sent_in(group, "🏁 Best tea")) == []
    assert await topic_rows(sandbox, group, bob) == ["+20 topic", "+2 topic"]
