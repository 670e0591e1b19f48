"""The terminal's people and group, kept across sessions: the bot's database remembers who
joined, left or started a private chat, so the sandbox's world must too."""

from __future__ import annotations

import itertools
from dataclasses import asdict
from typing import Any

from sandbox.world import ADMIN_RIGHTS, Membership, SandboxChat, SandboxUser, World

Cast = dict[str, SandboxUser]  # the name one types (/as bob) -> the person


def cast_of(world: World, saved: dict[str, Any] | None = None) -> tuple[SandboxChat, Cast]:
    """The demo group: Alice owns it, Bob and 李雷 (Telegram in Chinese) are members, the bot
    is an admin; then whoever an earlier session added, as they were when it ended."""
    saved = saved or {}
    cast = {
        "alice": world.add_user("Alice", "alice", language_code="en"),
        "bob": world.add_user("Bob", "bob", language_code="en"),
        "li": world.add_user("李雷", "lilei", language_code="zh-hans"),
    }
    group = world.add_chat("supergroup", "fanbot sandbox fans")
    group.members[cast["alice"].id] = Membership("creator")
    group.members[cast["bob"].id] = Membership("member")
    group.members[cast["li"].id] = Membership("member")
    group.members[world.bot.id] = Membership("administrator", dict.fromkeys(ADMIN_RIGHTS, True))
    for name, person in saved.get("people", {}).items():
        user = cast.get(name) or SandboxUser(
            id=int(person["id"]), first_name=person["first_name"],
            username=person.get("username"), language_code=person.get("language_code"),
        )  # fmt: skip
        world.users[user.id] = cast[name] = user
        user.started_bot = bool(person.get("started_bot"))
        if user.started_bot:
            world.private_chat(user)
        group.members[user.id] = Membership(**person.get("membership", {"status": "left"}))
    group.invite_links = {link["invite_link"]: link for link in saved.get("invite_links", [])}
    group.boosts = {boost["boost_id"]: boost for boost in saved.get("boosts", [])}
    world.user_ids = itertools.count(max(user.id for user in cast.values()) + 1)
    return group, cast


def cast_state(group: SandboxChat, cast: Cast) -> dict[str, Any]:
    return {
        "people": {
            name: {
                "id": user.id,
                "first_name": user.first_name,
                "username": user.username,
                "language_code": user.language_code,
                "started_bot": user.started_bot,
                "membership": asdict(group.members.get(user.id, Membership("left"))),
            }
            for name, user in cast.items()
        },
        "invite_links": list(group.invite_links.values()),
        "boosts": list(group.boosts.values()),  # the bot's database remembers them too
    }


def newcomer(world: World, name: str) -> SandboxUser:
    """Someone new: `carol` is Carol (@carol, Telegram in English); a name in another script is
    kept as it is, with Telegram in Chinese."""
    if name.isascii():
        return world.add_user(name[:1].upper() + name[1:], name.lower(), language_code="en")
    return world.add_user(name, None, language_code="zh-hans")
