"""Boosts and reactions earn, through the sandbox: a member's boost pays once (told again or
extended, nothing more) and is taken back when removed, and /stats counts boosts; a first
reaction from someone else pays a message's author within the daily cap, never for oneself."""

from __future__ import annotations

from sandbox.client import Group, SandboxClient, User
from tests.e2e.test_welcome import english_group


async def changes(sandbox: SandboxClient, group: Group, admin: User, username: str) -> list[str]:
    """A member's ledger lines as an admin's /points history shows them, oldest first, without
    their times ("+50 boost")."""
    history = await sandbox.ask(group, admin, f"/points history @{username}")
    lines = history["text"].splitlines()[1:]
    return [line.split(" ", 2)[2] for line in reversed(lines)]


async def boost_line(sandbox: SandboxClient, group: Group, admin: User) -> str:
    report = await sandbox.ask(group, admin, "/stats")
    lines: list[str] = report["text"].splitlines()
    return next(line for line in lines if line.startswith("🚀"))


async def test_a_boost_pays_once_and_is_taken_back_when_removed(sandbox: SandboxClient) -> None:
    group, admin = await english_group(sandbox)
    bob = await sandbox.create_user("Bob", "bob_booster", "en")
    await sandbox.set_member_status(group, bob, "member")
    made = await sandbox.boost(group, bob)
    assert made["update_id"] is not None  # the bot is an admin, and asked for boosts
    asked = (await sandbox.bot_state())["allowed_updates"]
    assert {"chat_boost", "removed_chat_boost", "message_reaction"} <= set(asked)
    await sandbox.boost(group, bob, boost_id=made["boost"]["boost_id"])  # extended: the same id
    await sandbox.settle()
    assert await changes(sandbox, group, admin, "bob_booster") == ["+50 boost"]
    assert await boost_line(sandbox, group, admin) == "🚀 Boosts: 1 now, 1 new (new)"

    await sandbox.unboost(group, bob)
    await sandbox.settle()
    assert await changes(sandbox, group, admin, "bob_booster") == [
        "+50 boost", "-50 boost removed",
    ]  # fmt: skip
    assert await boost_line(sandbox, group, admin) == "🚀 Boosts: 0 now, 1 new (new)"
    changed = await sandbox.ask(group, admin, "/settings boosts 0")
    assert changed["text"] == "✅ Boosts are counted and pay no points now."
    await sandbox.boost(group, bob)
    await sandbox.settle()
    assert len(await changes(sandbox, group, admin, "bob_booster")) == 2  # counted, not paid
    assert await boost_line(sandbox, group, admin) == "🚀 Boosts: 1 now, 2 new (new)"


async def test_reactions_earn_the_author_within_the_cap_and_not_for_oneself(
    sandbox: SandboxClient,
) -> None:
    group, admin = await english_group(sandbox)
    await sandbox.ask(group, admin, "/settings points cooldown 0")  # each message written at once
    changed = await sandbox.ask(group, admin, "/settings reactions 2 cap=2")
    assert changed["text"] == (
        "✅ A reaction from another member now earns a message's author 2 points, up to 2 "
        "reactions a day."
    )
    bob, cat, dan = [
        await sandbox.create_user(name, f"{name.lower()}_fan", "en")
        for name in ("Bob", "Cat", "Dan")
    ]
    for fan in (bob, cat, dan):
        await sandbox.set_member_status(group, fan, "member")
    posts = [
        (await sandbox.send(group, bob, text))["message"]["message_id"]
        for text in ("New colours are out!", "Which one is yours?", "Mine is the green one")
    ]
    await sandbox.settle()
    first, second, third = posts

    await sandbox.react(group.id, first, cat, ["👍"])  # pays Bob 2
    await sandbox.settle()
    await sandbox.react(group.id, first, cat, ["❤"])  # changed: not a new one
    await sandbox.react(group.id, second, bob, ["🔥"])  # his own
    await sandbox.settle()
    await sandbox.react(group.id, first, cat, [])  # taken off, then again: paid before
    await sandbox.settle()
    await sandbox.react(group.id, first, cat, ["👍"])
    await sandbox.react(group.id, third, None, ["🎉"])  # an anonymous admin: nobody to thank
    await sandbox.settle()
    await sandbox.react(group.id, second, dan, ["👍"])  # pays Bob 2: the day's cap reached
    await sandbox.settle()
    await sandbox.react(group.id, third, cat, ["👍"])  # over the cap
    await sandbox.settle()
    earned = [
        line for line in await changes(sandbox, group, admin, "bob_fan") if "reaction" in line
    ]
    assert earned == ["+2 reactions received", "+2 reactions received"]
    assert [
        line for line in await changes(sandbox, group, admin, "cat_fan") if "reaction" in line
    ] == []
