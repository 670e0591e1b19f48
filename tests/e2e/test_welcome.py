"""Welcomes and rules through the sandbox: joins, bursts, templates, /setrules and /rules."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.client import Event, Group, SandboxClient, User
from tests.e2e.conftest import Launch


async def english_group(sandbox: SandboxClient) -> tuple[Group, User]:
    admin = await sandbox.create_user("Ada", None, "en")
    group = await sandbox.create_group("Tea Fans", creator=admin)
    await sandbox.ask(group, admin, "/settings language en")
    return group, admin


def welcome_in(group: Group) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and e["reply_to"] is None


async def test_a_member_who_joins_is_welcomed_once_with_a_rules_button(
    sandbox: SandboxClient,
) -> None:
    group, _admin = await english_group(sandbox)
    bob = await sandbox.create_user("Bob", None, "en")
    await sandbox.set_member_status(
        group, bob, "member"
    )  # a chat_member update and a service message
    (welcome,) = await sandbox.wait_for(welcome_in(group))
    assert welcome["text"] == "👋 Welcome to Tea Fans, Bob! Please read the rules, then say hello."
    (button,) = welcome["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == "群规 / Rules"
    assert button["url"].endswith(f"?start=rules{group.id}")
    assert await sandbox.quiet_for(4, welcome_in(group)) == []  # not a second time


async def test_a_burst_of_joins_gets_one_welcome(sandbox: SandboxClient) -> None:
    group, _admin = await english_group(sandbox)
    fans = [await sandbox.create_user(f"Fan{n}", None, "en") for n in range(12)]
    for fan in fans:
        await sandbox.set_member_status(group, fan, "member")
    (welcome,) = await sandbox.wait_for(welcome_in(group))
    head, tail = "👋 Welcome to Tea Fans, ", " and 2 more! Please read the rules, then say hello."
    assert welcome["text"].startswith(head)
    assert welcome["text"].endswith(tail)
    names = welcome["text"].removeprefix(head).removesuffix(tail).split(", ")
    # joins are handled side by side, so in no set order: any ten of the twelve, once each
    assert len(set(names)) == 10
    assert set(names) <= {fan.first_name for fan in fans}


async def test_admins_set_the_welcome_and_the_rules(sandbox: SandboxClient) -> None:
    group, admin = await english_group(sandbox)
    member = await sandbox.create_user("Cleo", None, "en")
    await sandbox.set_member_status(group, member, "member")
    await sandbox.wait_for(welcome_in(group))
    refused = await sandbox.ask_for_sender(group, member, "/setwelcome Hi all")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    usage = await sandbox.ask_for_sender(group, admin, "/setwelcome")
    assert usage["text"].startswith("Usage: /setwelcome")
    unknown = await sandbox.ask(group, admin, "/setwelcome Hi {nickname}")
    assert unknown["text"] == "Unknown placeholder {nickname}: use {name}, {group} or {count}."
    long = await sandbox.ask(group, admin, "/setwelcome " + "x" * 1001)
    assert long["text"].startswith("That is too long")
    saved = await sandbox.ask(group, admin, "/setwelcome Hi {name}, you make {count} in {group}!")
    assert saved["text"].startswith("✅ New members will be welcomed with:")
    dan = await sandbox.create_user("Dan", None, "en")
    await sandbox.set_member_status(group, dan, "member")
    (welcome,) = await sandbox.wait_for(welcome_in(group))
    assert welcome["text"] == "Hi Dan, you make 4 in Tea Fans!"  # admin, Cleo, Dan and the bot

    rules = await sandbox.send(group, admin, "1. Be kind\n2. No spam")
    sent = await sandbox.send(group, admin, "/setrules", reply_to=rules["message"]["message_id"])
    reply = await sandbox.reply_to(group.id, sent["message"]["message_id"])
    assert reply["text"] == "✅ The group rules are saved. Members see them with /rules."
    shown = await sandbox.ask(group, member, "/rules")
    assert shown["text"] == "📜 Rules of Tea Fans\n1. Be kind\n2. No spam"
    await sandbox.send_private(member, f"/start rules{group.id}")
    (private,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == member.id)
    assert private["text"] == shown["text"]

    off = await sandbox.ask(group, admin, "/setwelcome off")
    assert off["text"] == "✅ Welcome messages are off."
    eve = await sandbox.create_user("Eve", None, "en")
    await sandbox.set_member_status(group, eve, "member")
    assert await sandbox.quiet_for(4, welcome_in(group)) == []


async def test_faq_answers_questions_once_in_five_minutes(sandbox: SandboxClient) -> None:
    group, admin = await english_group(sandbox)
    fan = await sandbox.create_user("Fay", None, "en")
    await sandbox.set_member_status(group, fan, "member")
    await sandbox.wait_for(welcome_in(group))
    refused = await sandbox.ask_for_sender(group, fan, "/faq add ship | free")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    no_bar = await sandbox.ask_for_sender(group, admin, "/faq add shipping free over 99")
    assert no_bar["text"].startswith("Usage: /faq")
    short = await sandbox.ask(group, admin, "/faq add s | free")
    assert short["text"] == "Each keyword needs 2 to 30 characters."
    saved = await sandbox.ask(group, admin, "/faq add shipping, 运费 | Free shipping over ¥99.")
    assert saved["text"] == "✅ FAQ #1 saved for: shipping, 运费"
    assert (await sandbox.ask(group, fan, "/faq"))["text"].splitlines()[1] == (
        "#1 shipping, 运费 → Free shipping over ¥99."
    )
    answer = await sandbox.ask(group, fan, "How much is SHIPPING to Shanghai?")
    assert answer["text"] == "Free shipping over ¥99."
    await sandbox.send(group, fan, "shipping again?")  # the same keyword within 5 minutes
    await sandbox.send(group, fan, "I love the shipping box")  # not a question
    assert await sandbox.quiet_for(1.5, lambda e: e["kind"] == "sent") == []
    other = await sandbox.ask(group, fan, "运费多少？")
    assert other["text"] == "Free shipping over ¥99."
    deleted = await sandbox.ask(group, admin, "/faq del 1")
    assert deleted["text"] == "🗑 FAQ #1 deleted."
    assert (await sandbox.ask(group, admin, "/faq del 1"))["text"] == "There is no FAQ #1."


async def test_a_welcome_cut_off_by_a_kill_is_posted_once_after_the_restart(
    launch: Launch,
) -> None:
    sandbox, bot = await launch()
    group, _admin = await english_group(sandbox)
    await sandbox.add_fault("hang", method="sendMessage", count=1)
    cleo = await sandbox.create_user("Cleo", None, "en")
    await sandbox.set_member_status(group, cleo, "member")
    await sandbox.wait_for(lambda e: e["kind"] == "fault", timeout=30)  # the welcome hangs
    bot.kill()
    bot.start()
    await bot.wait_ready()
    (welcome,) = await sandbox.wait_for(welcome_in(group), timeout=30)
    assert welcome["text"] == "👋 Welcome to Tea Fans, Cleo! Please read the rules, then say hello."
    assert await sandbox.quiet_for(4, welcome_in(group)) == []
