"""Keeping the group clean, through the sandbox: newcomers verified (or removed when they never
answer), join requests verified privately, a flood muted, newcomers' links deleted (an allowed
domain kept), the word filter catching a spaced-out Chinese word, warnings to their limit, a
ban shared by linked groups, night mode, spam earning nothing; members refused every command."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sandbox.client import Event, Group, SandboxClient, SandboxError, User
from tests.e2e.conftest import Launch
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_welcome import english_group
from tests.support.processes import ShiftedClock

ADMIN_ONLY = "Sorry, only the group's admins can use this command."
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sent_in(group: Group, start: str) -> Callable[[Event], bool]:
    return lambda e: (
        e["kind"] == "sent" and e["chat_id"] == group.id and (e["text"] or "").startswith(start)
    )


def event(kind: str, chat_id: int, user_id: int) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == kind and e["chat_id"] == chat_id and e.get("user_id") == user_id


async def press(sandbox: SandboxClient, chat_id: int, message: Event, user: User, text: str) -> str:
    """Press the button labelled `text`; the toast."""
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    (button,) = [b for b in buttons if b["text"] == text]
    pressed = await sandbox.press(chat_id, message["message_id"], user, button["callback_data"])
    (toast,) = await sandbox.wait_for(
        lambda e: e["kind"] == "answered" and e["query_id"] == pressed["query_id"]
    )
    return str(toast["text"])


async def happened(sandbox: SandboxClient, predicate: Callable[[Event], bool]) -> list[Event]:
    """Events so far that match, wherever the cursor is."""
    return [e for e in await sandbox.events() if predicate(e)]


async def balance(sandbox: SandboxClient, group: Group, member: User) -> int:
    """The member's own /points."""
    reply = await sandbox.ask_for_sender(group, member, "/points")
    found = re.match(r"Your balance: (\d+) points?", reply["text"])
    assert found is not None, reply["text"]
    return int(found[1])


async def test_a_newcomer_is_verified_by_button_and_one_who_never_answers_is_removed(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, _bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    group, admin = await english_group(sandbox)
    assert (await sandbox.ask(group, admin, "/settings verify button"))["text"].startswith("✅")
    bob, eve, carl = [await sandbox.create_user(n, None, "en") for n in ("Bob", "Eve", "Carl")]
    await sandbox.set_member_status(group, eve, "member")
    await sandbox.set_member_status(group, bob, "member")
    restricted, challenge = await sandbox.wait_for_each(
        event("restricted", group.id, bob.id), sent_in(group, "👋 Bob, welcome to Tea Fans!")
    )
    assert restricted["can_send_messages"] is False
    with pytest.raises(SandboxError, match="restricted"):
        await sandbox.send(group, bob, "hello?")
    assert await press(sandbox, group.id, challenge, eve, "✅ I'm human") == (
        "This question is for someone else."
    )
    assert await press(sandbox, group.id, challenge, bob, "✅ I'm human") == (
        "✅ Thanks! You can post now."
    )
    assert await happened(
        sandbox, lambda e: e["kind"] == "deleted" and e["message_id"] == challenge["message_id"]
    )  # the question goes once answered
    await sandbox.wait_for(sent_in(group, "👋 Welcome to Tea Fans, Bob!"))  # once verified
    assert (await sandbox.send(group, bob, "hello everyone!"))["message"]
    assert await press(sandbox, group.id, challenge, bob, "✅ I'm human") in (
        "This question has expired.",
    )  # a second press of the same question: nothing more

    await sandbox.set_member_status(group, carl, "member")
    await sandbox.wait_for(sent_in(group, "👋 Carl, welcome to Tea Fans!"))
    await clock.advance(180)  # the two minutes pass
    banned, unbanned = await sandbox.wait_for_each(
        event("banned", group.id, carl.id), event("unbanned", group.id, carl.id), timeout=30
    )
    assert banned["seq"] < unbanned["seq"]
    assert (await sandbox.chat(group.id))["members"][str(carl.id)] == "left"  # may come back
    log = (await sandbox.ask(group, admin, "/modlog"))["text"]
    assert "Carl · not verified, removed" in log
    assert "Bob · verified" in log


async def test_a_join_request_is_verified_privately_by_a_sum_and_a_wrong_answer_declined(
    sandbox: SandboxClient,
) -> None:
    group, admin = await english_group(sandbox)
    await sandbox.ask(group, admin, "/settings verify math")
    eve, frank = await sandbox.create_user("Eve", None, "en"), await sandbox.create_user("Frank")
    for user in (eve, frank):
        await sandbox.request_join(group, user)
    asked = await sandbox.wait_for(  # the two requests are handled side by side: either first
        lambda e: e["kind"] == "sent" and e["chat_id"] in (eve.id, frank.id), count=2
    )
    asked_eve, asked_frank = sorted(asked, key=lambda e: e["chat_id"] != eve.id)
    question = re.search(r"<b>(\d) \+ (\d) = \?</b>", asked_eve["html"])
    assert question is not None
    right = str(int(question[1]) + int(question[2]))
    toast = await press(sandbox, eve.id, asked_eve, eve, right)
    assert toast == "✅ Thanks! Your request to join Tea Fans is approved."
    assert await happened(sandbox, event("join_approved", group.id, eve.id))
    assert (await sandbox.chat(group.id))["members"][str(eve.id)] == "member"
    frank_sum = re.search(r"(\d) \+ (\d) = \?", asked_frank["text"])
    assert frank_sum is not None
    buttons = [b["text"] for row in asked_frank["reply_markup"]["inline_keyboard"] for b in row]
    wrong = next(b for b in buttons if b != str(int(frank_sum[1]) + int(frank_sum[2])))
    assert (await press(sandbox, frank.id, asked_frank, frank, wrong)).startswith("❌")
    assert await happened(sandbox, event("join_declined", group.id, frank.id))
    assert str(frank.id) not in (await sandbox.chat(group.id))["members"]


async def test_a_flood_is_muted_with_one_notice_and_admins_are_exempt(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, admin, "/settings language en")
    saved = await sandbox.ask(group, admin, "/settings flood 3 10s")
    assert saved["text"] == "✅ Saved. /settings moderation shows every moderation setting."
    for n in range(6):
        await sandbox.send(group, admin, f"admin line {n}")  # admins may talk fast
    for n in range(4):
        await sandbox.send(group, bob, f"buy buy buy {n}")
    muted, notice = await sandbox.wait_for_each(
        event("restricted", group.id, bob.id), sent_in(group, "🔇 Bob is muted for 10 minutes")
    )
    assert muted["until_date"] > 0
    with pytest.raises(SandboxError, match="restricted"):
        await sandbox.send(group, bob, "one more")
    restricted = [e for e in await sandbox.events() if e["kind"] == "restricted"]
    assert [e["user_id"] for e in restricted] == [bob.id]  # the admin was never muted
    assert "too many messages at once" in notice["text"]


async def test_a_newcomers_link_is_deleted_once_noticed_and_an_allowed_domain_kept(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.ask(group, admin, "/settings links allow taobao.com,tmall.com")
    spam = await sandbox.send(group, bob, "cheap followers at spam-shop.example/now")
    deleted, notice = await sandbox.wait_for_each(
        lambda e: e["kind"] == "deleted" and e["message_id"] == spam["message"]["message_id"],
        sent_in(group, "🧹 Bob, new members can't post links"),
    )
    assert deleted
    forward = await sandbox.send(group, bob, "look at this", forwarded_from_channel="Deals")
    await sandbox.wait_for(
        lambda e: e["kind"] == "deleted" and e["message_id"] == forward["message"]["message_id"]
    )
    mention = await sandbox.send(group, bob, "talk to @free_gifts_bot for prizes")
    await sandbox.wait_for(
        lambda e: e["kind"] == "deleted" and e["message_id"] == mention["message"]["message_id"]
    )
    kept = await sandbox.send(group, bob, "our shop: https://item.taobao.com/item.htm?id=42")
    assert (
        await sandbox.quiet_for(
            2, lambda e: e["kind"] == "deleted" and e["message_id"] == kept["message"]["message_id"]
        )
        == []
    )
    notices = [
        e for e in await sandbox.events() if e["kind"] == "sent" and "🧹" in (e["text"] or "")
    ]
    assert len(notices) == 1  # one notice an hour, however many links
    assert notice["text"].startswith("🧹 Bob")
    link = await sandbox.send(group, admin, "admins link freely: https://anything.example")
    assert (
        await sandbox.quiet_for(
            2, lambda e: e["kind"] == "deleted" and e["message_id"] == link["message"]["message_id"]
        )
        == []
    )


async def test_a_filtered_word_with_spaces_is_caught_warned_and_earns_nothing(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    for setting in ("language en", "points cooldown 0"):
        await sandbox.ask(group, admin, f"/settings {setting}")
    added = await sandbox.ask(group, admin, "/filter add 加微信 warn")
    assert added["text"] == "✅ Filter #1 added: 加微信 → delete and warn."
    twice = await sandbox.ask_for_sender(group, admin, "/filter add 加 微 信")
    assert twice["text"].startswith("That word is filtered already")
    spam = await sandbox.send(group, bob, "想要优惠的 加 微 信 abc123 领红包")
    deleted, notice = await sandbox.wait_for_each(
        lambda e: e["kind"] == "deleted" and e["message_id"] == spam["message"]["message_id"],
        sent_in(group, "🧹 Bob's message was removed and they were warned."),
    )
    assert deleted["message_id"] == spam["message"]["message_id"]
    assert notice["text"].endswith("were warned.")
    await sandbox.send(group, bob, "今天的新茶真好喝，大家试试看")  # earns its point
    await sandbox.settle()  # the member's message handled first
    warns = await sandbox.ask_for_sender(group, admin, "/warns @bob_fan")
    assert warns["text"].splitlines()[0] == "⚠️ Bob: 1/3 warnings"
    await sandbox.settle()
    assert await balance(sandbox, group, bob) == 1  # the spam earned nothing
    assert "#1 加微信 → delete and warn" in (await sandbox.ask(group, admin, "/filters"))["text"]
    removed = await sandbox.ask(group, admin, "/filter del 1")
    assert removed["text"] == "🗑 Filter #1 (加微信) deleted."
    kept = await sandbox.send(group, bob, "加 微 信 now allowed, sure")
    assert (
        await sandbox.quiet_for(
            2, lambda e: e["kind"] == "deleted" and e["message_id"] == kept["message"]["message_id"]
        )
        == []
    )


async def test_three_warnings_mute_and_a_ban_with_refund_takes_the_days_points(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    log = await sandbox.create_group("Mod log", creator=admin)  # where the actions are posted
    for setting in ("language en", "points cooldown 0", "links off", f"log_channel {log.id}"):
        await sandbox.ask(group, admin, f"/settings {setting}")
    message = await sandbox.send(group, bob, "this is my rude message to everyone")
    target = message["message"]["message_id"]
    for count in (1, 2):
        sent = await sandbox.send(group, admin, "/warn be nice", reply_to=target)
        reply = await sandbox.reply_to(group.id, sent["message"]["message_id"])
        assert reply["text"] == f"⚠️ Bob is warned ({count}/3). Reason: be nice"
    for _ in range(100):  # the outbox posts the log lines in its own time
        logged = await happened(sandbox, lambda e: e["kind"] == "sent" and e["chat_id"] == log.id)
        if len(logged) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(logged) == 2, logged
    assert logged[0]["text"].endswith(" · Bob · warned · Ada · be nice")
    assert logged[0]["text"].startswith("[")  # the group's name first
    lifted = await sandbox.ask(group, admin, "/unwarn @bob_fan")
    assert lifted["text"] == "✅ One warning lifted from Bob; 1 left."
    for _ in range(2):
        last = await sandbox.ask(group, admin, "/warn @bob_fan spam")
    assert last["text"] == "🔇 Bob reached 3 warnings and is muted for 24 hours."
    assert await happened(sandbox, event("restricted", group.id, bob.id))
    with pytest.raises(SandboxError, match="restricted"):
        await sandbox.send(group, bob, "/warns")
    assert (await sandbox.ask(group, admin, "/unmute @bob_fan"))["text"] == "🔊 Bob may post again."
    assert (await sandbox.ask_for_sender(group, bob, "/warns"))["text"] == "Bob has no warnings."

    for n in range(3):
        await sandbox.send(group, cleo, f"cleo farms points with message {n}")
    await sandbox.settle()
    assert await balance(sandbox, group, cleo) == 3
    banned = await sandbox.ask(group, admin, "/ban @cleo_fan 7d point farming refund")
    assert banned["text"].splitlines() == [
        "⛔ Cleo is banned for 7 days. Reason: point farming",
        "3 points of the last 24 hours taken back.",
    ]
    assert await happened(sandbox, event("banned", group.id, cleo.id))
    history = (await sandbox.ask(group, admin, "/points history @cleo_fan"))["text"]
    assert history.splitlines()[1].endswith("-3 taken back at a ban")
    refused = await sandbox.ask(group, admin, "/ban @ada_admin")
    assert refused["text"] == "Admins can't be warned, muted or banned."
    usage = await sandbox.ask_for_sender(group, admin, "/mute @bob_fan forever")
    assert usage["text"].startswith("Say for how long")


async def test_a_ban_in_one_linked_group_applies_in_the_other_and_unban_lifts_both(
    sandbox: SandboxClient,
) -> None:
    admin = await sandbox.create_user("Ada", "ada_linker", "en")
    spammer = await sandbox.create_user("Spam", "spam_farm", "en")
    farmer = await sandbox.create_user("Farm", "farm_two", "en")
    first = await sandbox.create_group("Tea Fans", creator=admin, members=[spammer, farmer])
    second = await sandbox.create_group("Tea Fans 2", creator=admin, members=[spammer])
    outsider = await sandbox.create_user("Olga", None, "en")
    third = await sandbox.create_group("Not yours", creator=outsider)
    for group, owner in ((first, admin), (second, admin), (third, outsider)):
        await sandbox.ask(group, owner, "/settings language en")
    for fan in (spammer, farmer):
        await sandbox.send(first, fan, "hello from the farm")
    await sandbox.settle()  # known once their messages are handled (the /ban may run beside them)
    # Banned before the groups are linked: the ban follows them into the other group too.
    early = await sandbox.ask(first, admin, "/ban @farm_two")
    assert early["text"] == "⛔ Farm is banned."
    howto = await sandbox.ask(second, admin, "/link")
    assert f"/link {second.id}" in howto["text"]
    refused = await sandbox.ask(third, outsider, f"/link {first.id}")
    assert refused["text"] == "Only an admin of both groups can link them."
    linked = await sandbox.ask(first, admin, f"/link {second.id}")
    assert linked["text"] == "✅ Linked: bans now apply in all 2 groups."

    banned = await sandbox.ask(first, admin, "/ban @spam_farm spam")
    assert banned["text"] == "⛔ Spam is banned. Also in 1 linked group. Reason: spam"
    for group in (first, second):
        assert await happened(sandbox, event("banned", group.id, spammer.id))
    states = [(await sandbox.chat(g.id))["members"][str(spammer.id)] for g in (first, second)]
    assert states == ["kicked", "kicked"]
    unbanned = await sandbox.ask(second, admin, f"/unban {spammer.id}")
    assert unbanned["text"] == "✅ Spam is unbanned and may join again. Also in 1 linked group."
    for group in (first, second):
        assert await happened(sandbox, event("unbanned", group.id, spammer.id))

    # A member banned in one group is refused verification in the other.
    await sandbox.ask(second, admin, "/settings verify button")
    await sandbox.request_join(second, farmer)
    await sandbox.wait_for(event("join_declined", second.id, farmer.id))
    log = (await sandbox.ask(second, admin, "/modlog"))["text"]
    assert "Farm · join request declined · 🤖 linked group's ban" in log


async def test_night_mode_closes_the_group_and_opens_it_in_the_morning(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, _bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, admin, "/settings language en")
    now = clock.now(SHANGHAI)
    start = (now + timedelta(minutes=2)).strftime("%H:%M")
    end = (now + timedelta(minutes=62)).strftime("%H:%M")
    await sandbox.ask(group, admin, f"/settings night {start} {end}")
    assert (
        f"Night mode: {start}–{end}"
        in (await sandbox.ask(group, admin, "/settings moderation"))["text"]
    )
    await clock.advance(180)
    closed, notice = await sandbox.wait_for_each(
        lambda e: e["kind"] == "permissions" and e["chat_id"] == group.id,
        sent_in(group, "🌙 Good night!"),
        timeout=40,
    )
    assert closed["can_send_messages"] is False
    assert notice["text"] == f"🌙 Good night! The group is closed until {end}."
    with pytest.raises(SandboxError, match="restricted"):
        await sandbox.send(group, bob, "anyone up?")
    await clock.advance(3600)
    opened, _morning = await sandbox.wait_for_each(
        lambda e: e["kind"] == "permissions" and e["chat_id"] == group.id,
        sent_in(group, "☀️ Good morning!"),
        timeout=40,
    )
    assert opened["can_send_messages"] is True
    assert (await sandbox.send(group, bob, "good morning all"))["message"]
    chat = await sandbox.chat(group.id)
    assert chat["members"][str(bob.id)] == "member"


async def test_members_are_refused_every_moderation_command_and_nothing_changes(
    sandbox: SandboxClient,
) -> None:
    group, admin, (cleo, *fans) = await fan_group(sandbox, "Cleo", "Bob", "Dan", "Fay", "Gus")
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.send(group, cleo, "hello there")
    for n, command in enumerate((
        "/warn @cleo_fan x", "/unwarn @cleo_fan", "/mute @cleo_fan 1h", "/unmute @cleo_fan",
        "/ban @cleo_fan", "/unban @cleo_fan", "/kick @cleo_fan", "/modlog",
        "/filter add spam", "/filters", f"/link {group.id}", "/unlink",
        "/settings verify math", "/settings flood on", "/settings night 23:00 07:00",
    )):  # fmt: skip
        fan = fans[n % len(fans)]  # a member may send 5 commands in 10 seconds
        assert (await sandbox.ask_for_sender(group, fan, command))["text"] == ADMIN_ONLY, command
    assert (await sandbox.ask(group, admin, "/modlog"))["text"] == "No moderation actions yet."
    assert (await sandbox.ask(group, admin, "/filters"))["text"].startswith("No word filters.")
    shown = (await sandbox.ask(group, admin, "/settings moderation"))["text"]
    assert "Join verification: off" in shown
    assert "Anti-flood: off" in shown
    assert "Night mode: off" in shown
    assert (await sandbox.ask_for_sender(group, cleo, "/warns"))["text"] == "Cleo has no warnings."
    here = {e["kind"] for e in await sandbox.events() if e.get("chat_id") == group.id}
    assert not here & {"restricted", "banned", "unbanned", "permissions"}
