"""/start, /help and /settings as members and admins use them, through the sandbox."""

from __future__ import annotations

import asyncio
import sys

import migrations
from sandbox.client import SandboxClient
from tests.support.processes import BotProcess


async def test_start_in_private_offers_to_add_the_bot_to_a_group(sandbox: SandboxClient) -> None:
    alice = await sandbox.create_user("Alice", "alice", "en")
    message = await sandbox.send_private(alice, "/start")
    reply = (await sandbox.wait_sent(alice.id))[0]
    assert "Hi Alice" in reply["text"]
    button = reply["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == "https://t.me/fanbot_sandbox_bot?startgroup=true"
    assert message["update_id"] is not None


async def test_a_private_start_shows_a_member_their_groups_and_an_admin_the_set_up(
    sandbox: SandboxClient,
) -> None:
    owner = await sandbox.create_user("Olga", "olga_owner", "en")
    bob = await sandbox.create_user("Bob", "bob_fan", "en")
    group = await sandbox.create_group("Shop fans", creator=owner, members=[bob])
    await sandbox.send(group, owner, "Welcome, everyone!")
    await sandbox.send(group, bob, "hello fans")  # his first message earns a point
    await sandbox.settle()
    await sandbox.send_private(bob, "/start")
    (member,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id)
    assert member["text"].splitlines()[:2] == [
        "👋 Hi Bob! Your groups:",
        "📍 Shop fans: 1 point · Member",
    ]
    assert member.get("reply_markup") is None  # WEB_URL is not https here: no Mini App button
    await sandbox.send_private(owner, "/start")
    (admin,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == owner.id)
    assert admin["text"].startswith("👋 Hi Olga! You run Shop fans with me.")
    assert "/console" in admin["text"]
    await sandbox.send_private(bob, "/start old-link")
    (linked,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id)
    assert linked["text"].startswith("That link is old or not one I know.\n\n👋 Hi Bob!")


async def test_start_in_a_group_says_hello_in_the_members_language(sandbox: SandboxClient) -> None:
    li = await sandbox.create_user("李雷", language_code="zh-hans")
    group = await sandbox.create_group(creator=li)
    reply = await sandbox.ask(group, li, "/start")
    assert "你好" in reply["text"]


async def test_help_shows_a_member_only_member_commands(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner", language_code="en")
    bob = await sandbox.create_user("Bob", language_code="en")
    group = await sandbox.create_group(creator=owner, members=[bob])
    reply = await sandbox.ask_for_sender(group, bob, "/help")
    assert "/help" in reply["text"]
    assert "/start" in reply["text"]
    assert "/settings" not in reply["text"]
    assert "Admin commands" not in reply["text"]


async def test_help_shows_an_admin_the_admin_commands_too(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner", language_code="en")
    admin = await sandbox.create_user("Ada", language_code="zh")
    group = await sandbox.create_group(creator=owner, admins=[admin])
    for user, heading in ((owner, "Admin commands"), (admin, "管理员命令")):
        sent = (await sandbox.send(group, user, "/help"))["message"]["message_id"]
        texts = [(await sandbox.answer_to_sender(group.id, user, sent))["text"]]
        if heading not in texts[0]:  # the lists outgrew one message: the admin's come next
            texts.append((await sandbox.answer_to_sender(group.id, user, sent))["text"])
            assert texts[1].startswith(heading)
        assert heading in texts[-1]
        assert "/settings" in texts[-1]
        assert all(len(text) <= 4096 for text in texts)


async def test_a_member_is_refused_settings(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner")
    bob = await sandbox.create_user("Bob", language_code="en")
    group = await sandbox.create_group(creator=owner, members=[bob])
    reply = await sandbox.ask_for_sender(group, bob, "/settings timezone Europe/Berlin")
    assert reply["text"] == "Sorry, only the group's admins can use this command."
    shown = await sandbox.ask(group, owner, "/settings")
    assert "Asia/Shanghai" in shown["text"]  # unchanged


async def test_an_admin_reads_and_changes_settings(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner", language_code="en")
    group = await sandbox.create_group("Shop fans", creator=owner)
    reply = await sandbox.ask(group, owner, "/settings")
    assert "Settings for Shop fans" in reply["text"]
    assert "Time zone: Asia/Shanghai" in reply["text"]

    reply = await sandbox.ask(group, owner, "/settings timezone America/New_York")
    assert reply["text"] == "Time zone set to America/New_York."
    reply = await sandbox.ask(group, owner, "/settings")
    assert "Time zone: America/New_York" in reply["text"]


async def test_an_unknown_timezone_gets_the_reason_then_the_usage_and_changes_nothing(
    sandbox: SandboxClient,
) -> None:
    owner = await sandbox.create_user("Owner", language_code="en")
    group = await sandbox.create_group(creator=owner)
    for bad, first_line in (
        ("/settings timezone Mars/Olympus", 'Unknown time zone "Mars/Olympus"'),
        ("/settings timezone " + "Asia/" + "x" * 300, "Unknown time zone"),
        ("/settings language fr", 'I don\'t speak "fr"'),
        ("/settings colour blue", "There is no setting called colour."),
        ("/settings timezone", "Usage: /settings timezone <Area/City>"),
    ):
        reply = await sandbox.ask_for_sender(group, owner, bad)
        assert reply["text"].startswith(first_line), bad
        assert reply["text"].splitlines()[-1].startswith("Usage: /settings"), bad
    reply = await sandbox.ask(group, owner, "/settings")
    assert "Time zone: Asia/Shanghai" in reply["text"]


async def test_group_language_overrides_each_members_language(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner", language_code="en")
    bob = await sandbox.create_user("Bob", language_code="en")
    group = await sandbox.create_group(creator=owner, members=[bob])
    reply = await sandbox.ask(group, owner, "/settings language zh")
    assert reply["text"] == "语言已设为中文。"
    reply = await sandbox.ask(group, bob, "/start")
    assert "你好" in reply["text"]
    await sandbox.ask(group, owner, "/settings language auto")
    reply = await sandbox.ask(group, bob, "/start")
    assert "Hello" in reply["text"]


async def test_an_anonymous_admin_counts_as_an_admin(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    reply = await sandbox.ask(group, None, "/settings language en")
    assert reply["text"] == "Language set to English."


async def test_added_without_admin_rights_the_bot_says_what_it_needs(
    sandbox: SandboxClient,
) -> None:
    owner = await sandbox.create_user("Owner", language_code="en")
    group = await sandbox.create_group(creator=owner, bot="left")
    await sandbox.set_bot_status(group, "member", by=owner)
    greeting = (await sandbox.wait_sent(group.id))[0]["text"]
    assert "Thanks for adding me" in greeting
    assert "privacy mode off" in greeting
    assert "@BotFather" in greeting

    other = await sandbox.create_group(creator=owner, bot="left")
    await sandbox.set_bot_status(other, "administrator", by=owner)
    greeting = (await sandbox.wait_sent(other.id))[0]["text"]
    assert "I'm ready" in greeting


async def test_commands_are_registered_per_language_and_role(sandbox: SandboxClient) -> None:
    state = await sandbox.bot_state()
    registered = {
        (entry["scope"], entry["language"]): entry["commands"] for entry in state["commands"]
    }
    members = {c["command"] for c in registered[("all_group_chats", "en")]}
    admins = {c["command"] for c in registered[("all_chat_administrators", "zh")]}
    assert {"start", "help"} <= members
    assert "settings" not in members
    assert "settings" in admins
    assert registered[("default", "zh")][0]["description"] == "开始使用，看看我能做什么"
    assert "chat_member" in state["allowed_updates"]


async def test_a_group_that_becomes_a_supergroup_keeps_its_settings(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("Owner", language_code="en")
    group = await sandbox.create_group("Basic", creator=owner, chat_type="group")
    await sandbox.ask(group, owner, "/settings timezone Europe/Paris")
    supergroup = await sandbox.migrate(group, by=owner)
    # The move runs on the old chat's update while the new chat is already live: ask until it lands.
    for _ in range(10):
        reply = await sandbox.ask(supergroup, owner, "/settings")
        if "Europe/Paris" in reply["text"]:
            break
    assert "Time zone: Europe/Paris" in reply["text"]


async def test_check_reports_the_bot_and_the_database(shared_bot: BotProcess) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check",
        env=shared_bot.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == (
        f"ok: @fanbot_sandbox_bot (id 123456789); database at revision {migrations.current_head()}"
    )
