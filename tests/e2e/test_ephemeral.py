"""Answers only the sender needs, seen only by the sender: ephemeral messages in the group
(Bot API 10.2–10.3), and today's quiet mode on a server that has none."""

from __future__ import annotations

from sandbox.client import Group, SandboxClient, User
from tests.e2e.conftest import Launch

SIGNED_FIRST = "✅ Signed in! Day 1 of your streak · +5 points · #1 today."


async def fan_group(sandbox: SandboxClient) -> tuple[Group, User, User, User]:
    admin = await sandbox.create_user("Ada", None, "en")
    bob = await sandbox.create_user("Bob", None, "en")
    cleo = await sandbox.create_user("Cleo", None, "en")
    return await sandbox.create_group(creator=admin, members=[bob, cleo]), admin, bob, cleo


def texts(messages: list[dict[str, object]]) -> list[object]:
    return [message.get("text") for message in messages]


async def test_a_sign_in_answer_is_seen_by_its_sender_only(sandbox: SandboxClient) -> None:
    group, admin, bob, cleo = await fan_group(sandbox)
    said = await sandbox.send(group, bob, "签到")
    answer = await sandbox.answer_to_sender(group.id, bob, said["message"]["message_id"])
    assert answer["text"] == SIGNED_FIRST
    assert texts(await sandbox.seen_by(group, bob)) == ["签到", SIGNED_FIRST]
    assert texts(await sandbox.seen_by(group, cleo)) == ["签到"]
    assert texts(await sandbox.seen_by(group, admin)) == ["签到"]
    assert texts((await sandbox.chat(group.id))["messages"]) == ["签到"]  # not in the history
    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert "💰 Points: 5 (lifetime 5)" in me["text"]
    usage = await sandbox.ask_for_sender(group, cleo, "/checkin now")
    assert usage["text"].startswith("Usage: /checkin")
    refused = await sandbox.ask_for_sender(group, cleo, "/settings checkin base 100")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    # None of it was one of the group's messages: the group saw only what its members said.
    sent = await sandbox.quiet_for(0.3, lambda e: e["kind"] == "sent" and e["chat_id"] == group.id)
    assert sent == []
    assert texts(await sandbox.seen_by(group, admin)) == [
        "签到", "/me", "/checkin now", "/settings checkin base 100",
    ]  # fmt: skip


async def test_an_admins_answer_to_the_group_stays_public(sandbox: SandboxClient) -> None:
    group, admin, bob, _cleo = await fan_group(sandbox)
    changed = await sandbox.ask(group, admin, "/settings checkin base 10")
    assert changed["text"] == "✅ Sign-in setting base is now 10."
    assert changed["text"] in texts(await sandbox.seen_by(group, bob))


async def test_private_commands_are_registered_as_ephemeral_in_groups(
    sandbox: SandboxClient,
) -> None:
    state = await sandbox.bot_state()
    menus = {(m["scope"], m["language"]): m["commands"] for m in state["commands"]}
    group_menu = {c["command"]: c.get("is_ephemeral") for c in menus[("all_group_chats", "")]}
    assert group_menu["me"] is True
    assert group_menu["mycoupons"] is True
    assert group_menu["checkin"] is None  # a sign-in is done in the open; its answer is not
    admin_menu = {
        c["command"]: c.get("is_ephemeral") for c in menus[("all_chat_administrators", "")]
    }
    assert admin_menu["me"] is True
    private_menu = menus[("all_private_chats", "")]
    assert all("is_ephemeral" not in c for c in private_menu)


async def test_a_server_without_ephemeral_messages_gets_todays_quiet_mode(launch: Launch) -> None:
    sandbox, bot = await launch(QUIET_DELETE_SECONDS="1")
    await sandbox.set_ephemeral_support(False)  # an older Bot API server
    group, admin, bob, cleo = await fan_group(sandbox)
    await sandbox.ask(group, admin, "/settings checkin quiet on")
    said = await sandbox.send(group, bob, "签到")
    reply = await sandbox.reply_to(group.id, said["message"]["message_id"])
    assert reply["text"] == SIGNED_FIRST
    deleted = await sandbox.wait_for(lambda e: e["kind"] == "deleted", count=2)
    assert {e["message_id"] for e in deleted} == {
        said["message"]["message_id"],
        reply["message_id"],
    }
    # Decided once: the next answer goes to the group at once, and the log says it once.
    usage = await sandbox.ask(group, cleo, "/checkin now")
    assert usage["text"].startswith("Usage: /checkin")
    await sandbox.wait_for(lambda e: e["kind"] == "deleted", count=2)
    assert bot.logs().count("has no ephemeral messages") == 1
    calls = (await sandbox.stats())["calls"]
    assert calls["send_message"] == 3  # the settings answer, the sign-in, the usage: no retries


async def test_a_429_on_an_ephemeral_answer_is_retried_and_sent_once(
    sandbox: SandboxClient,
) -> None:
    group, _admin, bob, _cleo = await fan_group(sandbox)
    await sandbox.add_fault("429", "sendMessage", chat_id=group.id)
    said = await sandbox.send(group, bob, "签到")
    answer = await sandbox.answer_to_sender(group.id, bob, said["message"]["message_id"])
    assert answer["text"] == SIGNED_FIRST
    await sandbox.settle()
    again = await sandbox.quiet_for(
        1.0, lambda e: e["kind"] in ("sent", "ephemeral") and e["chat_id"] == group.id
    )
    assert again == []  # one answer, never a second one nor a public copy
    assert texts(await sandbox.seen_by(group, bob)) == ["签到", SIGNED_FIRST]


async def test_where_the_bot_is_no_admin_a_sign_in_is_answered_in_the_group(
    sandbox: SandboxClient,
) -> None:
    """The Bot API lets a bot that is no admin send an ephemeral message only to answer a press
    or an ephemeral command: a sign-in is answered for everyone there, in one send, and the
    other groups of the same bot still get theirs ephemerally."""
    owner = await sandbox.create_user("Olga", None, "en")
    dan = await sandbox.create_user("Dan", None, "en")
    plain = await sandbox.create_group(creator=owner, members=[dan], bot="member")
    said = await sandbox.send(plain, dan, "/checkin")
    reply = await sandbox.reply_to(plain.id, said["message"]["message_id"])
    assert reply["text"] == SIGNED_FIRST
    assert SIGNED_FIRST in texts(await sandbox.seen_by(plain, owner))  # the group's, as before
    refused = await sandbox.quiet_for(
        0.3, lambda e: e["kind"] == "ephemeral" and e["chat_id"] == plain.id
    )
    assert refused == []
    group, _admin, bob, _cleo = await fan_group(sandbox)
    answer = await sandbox.ask_for_sender(group, bob, "签到")
    assert answer["text"] == SIGNED_FIRST
    assert SIGNED_FIRST not in texts((await sandbox.chat(group.id))["messages"])


async def test_an_ephemeral_command_is_answered_ephemerally_by_a_bot_that_is_no_admin(
    sandbox: SandboxClient,
) -> None:
    owner = await sandbox.create_user("Olga", None, "en")
    dan = await sandbox.create_user("Dan", None, "en")
    plain = await sandbox.create_group(creator=owner, members=[dan], bot="member")
    command = await sandbox.send_ephemeral_command(plain, dan, "/me")
    number = command["message"]["ephemeral_message_id"]
    answer = await sandbox.answer_to_ephemeral(plain.id, dan, number)
    assert "💰 Points: 0" in answer["text"]
    assert texts(await sandbox.seen_by(plain, owner)) == []  # neither the command nor its answer
    again = await sandbox.send_ephemeral_command(
        plain, dan, "/me"
    )  # message_id 0 again: no receipt
    assert (
        "💰 Points"
        in (
            await sandbox.answer_to_ephemeral(
                plain.id, dan, again["message"]["ephemeral_message_id"]
            )
        )["text"]
    )
