"""A brand with two groups, through the sandbox: joined into one program by an admin of both,
then one member account in either group: one sign-in a day, one balance in the one shop, one
push each."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sandbox.client import Group, SandboxClient, User
from tests.e2e.test_shop import press, redeem_in_shop, start_privately


async def brand(sandbox: SandboxClient) -> tuple[Group, Group, User, dict[str, User]]:
    """Tea Fans and Tea Fans South, with an admin of both, Bob in both, Cleo and Dan in one."""
    admin = await sandbox.create_user("Ada", "ada_brand", "en")
    fans = {name: await sandbox.create_user(name, f"{name.lower()}_brand", "en")
            for name in ("Bob", "Cleo", "Dan")}  # fmt: skip
    first = await sandbox.create_group(
        "Tea Fans", creator=admin, members=[fans["Bob"], fans["Cleo"]]
    )
    second = await sandbox.create_group(
        "Tea Fans South", creator=admin, members=[fans["Bob"], fans["Dan"]]
    )
    for group in (first, second):
        await sandbox.ask(group, admin, "/settings language en")
    for group, name in ((first, "Bob"), (first, "Cleo"), (second, "Bob"), (second, "Dan")):
        await sandbox.send(group, fans[name], "hello tea friends")
    await sandbox.settle()
    return first, second, admin, fans


async def join(sandbox: SandboxClient, first: Group, second: Group, admin: User) -> str:
    asked = await sandbox.ask(second, admin, f"/program join {first.id}")
    assert asked["text"].startswith("Join Tea Fans South into the program of Tea Fans?")
    _toast, joined = await press(sandbox, second, asked, admin, "✅ Join")
    assert joined is not None
    return str(joined["text"])


async def test_two_groups_joined_share_one_sign_in_one_shop_and_one_push(
    sandbox: SandboxClient,
) -> None:
    first, second, admin, fans = await brand(sandbox)
    bob, cleo, dan = fans["Bob"], fans["Cleo"], fans["Dan"]
    outsider = await sandbox.create_user("Olga", None, "en")
    other = await sandbox.create_group("Not yours", creator=outsider)
    refused = await sandbox.ask(other, outsider, f"/program join {first.id}")
    assert (
        refused["text"]
        == "Only an admin of both groups, and of each brand's first group, can join them."
    )
    # Bob has points in both before the join: they add up in one account.
    for group in (first, second):
        granted = await sandbox.ask(group, admin, "/points @bob_brand +150 welcome")
        assert "+150" in granted["text"], granted["text"]
    joined = await join(sandbox, first, second, admin)
    assert joined.splitlines()[0] == "✅ Joined: 2 groups now share one program."
    shown = await sandbox.ask(first, admin, "/program")
    assert "• Tea Fans\n• Tea Fans South" in shown["text"]
    balance = await sandbox.ask_for_sender(second, bob, "/points")  # and 1 for each hello
    assert balance["text"] == "Your balance: 302 points (lifetime 302)."

    # One sign-in a day, whichever group it is made in.
    signed = await sandbox.ask_for_sender(first, bob, "签到")
    assert signed["text"].startswith("✅ Signed in!"), signed["text"]
    again = await sandbox.ask_for_sender(second, bob, "签到")
    assert again["text"].startswith("You've already signed in today (#1)."), again["text"]

    # The shop is the program's: stocked in one group, bought in the other, one balance spent.
    added = await sandbox.ask(first, admin, "/reward add Tea sample price=100 kind=perk")
    assert added["text"].startswith("✅ Reward #"), added["text"]
    done = await redeem_in_shop(sandbox, second, bob, "✨ Tea sample")
    assert "Tea sample" in done["text"]
    reward = int(signed["text"].split("· +")[1].split()[0])  # the day's sign-in reward
    left = await sandbox.ask_for_sender(first, bob, "/points")
    lifetime = 302 + reward
    assert left["text"] == f"Your balance: {lifetime - 100} points (lifetime {lifetime})."

    # A push reaches the members of both groups, Bob (in both) once.
    for name in ("Cleo", "Dan"):
        await sandbox.ask(
            first if name == "Cleo" else second, admin, f"/points @{name.lower()}_brand +150 hi"
        )
    for member in (bob, cleo, dan):
        await start_privately(sandbox, member)
    asked = await sandbox.ask(first, admin, "/push bronze 新品 tea for the whole brand")
    assert asked["text"].startswith("📣 Push to Bronze and above: 3 members will get it")
    before = sandbox.cursor
    _toast, sent = await press(sandbox, first, asked, admin, "✅ Send to 3")
    assert sent is not None
    sandbox.cursor = before
    copies = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and "whole brand" in (e.get("text") or ""), count=3
    )
    assert sorted(copy["chat_id"] for copy in copies) == sorted([bob.id, cleo.id, dan.id])
    assert not await sandbox.quiet_for(
        1, lambda e: e["kind"] == "sent" and "whole brand" in (e.get("text") or "")
    )


async def test_a_post_and_a_campaign_go_to_every_group_of_the_program_at_once(
    sandbox: SandboxClient,
) -> None:
    first, second, admin, _fans = await brand(sandbox)
    await join(sandbox, first, second, admin)
    later = date.today() + timedelta(days=30)  # a month ahead of the clock the test runs on
    posted = await sandbox.ask(first, admin, f"/post at {later} 10:00 groups=all 新年快乐")
    assert re.match(r"✅ Posts #\d+, #\d+ scheduled in 2 groups: ", posted["text"]), posted["text"]
    for group in (first, second):
        listed = await sandbox.ask(group, admin, "/posts")
        assert "新年快乐" in listed["text"], listed["text"]
    refused = await sandbox.ask(first, admin, f"/post at {later} 10:00 groups=all thread=3 hi")
    assert refused["text"].startswith("groups=all posts in every group of the program")
    tomorrow = date.today() + timedelta(days=2)  # in every zone still ahead
    made = await sandbox.ask(
        second, admin, f"/campaign new Sale {tomorrow} {tomorrow} x2 groups=all"
    )
    assert made["text"].splitlines()[1].startswith("In 2 groups of the program: #"), made["text"]
    for group in (first, second):
        assert "Sale" in (await sandbox.ask(group, admin, "/campaigns"))["text"]


async def test_privately_a_member_of_both_groups_has_one_account_to_ask_about(
    sandbox: SandboxClient,
) -> None:
    first, second, admin, fans = await brand(sandbox)
    await join(sandbox, first, second, admin)
    bob = fans["Bob"]
    await sandbox.send_private(bob, "/points")
    (answer,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id)
    # No group to pick: one account, named by the program's first group (a hello in each).
    assert answer["text"] == "📍 Tea Fans\nYour balance: 2 points (lifetime 2)."


async def test_an_admin_of_a_joined_group_cannot_move_the_brand(sandbox: SandboxClient) -> None:
    """Ada runs the brand; Xu administers only its regional group (joined) and a group of his
    own: he can move neither the brand into his group nor his group into the brand."""
    first, second, ada, _fans = await brand(sandbox)
    xu = await sandbox.create_user("Xu", "xu_regional", "en")
    regional = await sandbox.create_group("Tea Fans East", creator=ada, admins=[xu])
    own = await sandbox.create_group("Xu's tea", creator=xu)
    for group, admin in ((regional, ada), (own, xu)):
        await sandbox.ask(group, admin, "/settings language en")
    await join(sandbox, first, second, ada)
    asked = await sandbox.ask(regional, ada, f"/program join {first.id}")
    _toast, joined = await press(sandbox, regional, asked, ada, "✅ Join")
    assert joined is not None
    refused = await sandbox.ask(regional, xu, f"/program join {own.id}")
    assert refused["text"].startswith("Only an admin of both groups, and of each brand's")
    refused = await sandbox.ask(own, xu, f"/program join {regional.id}")
    assert refused["text"].startswith("Only an admin of both groups, and of each brand's")
    shown = await sandbox.ask(first, ada, "/program")
    assert "• Tea Fans\n• Tea Fans East\n• Tea Fans South" in shown["text"], shown["text"]
