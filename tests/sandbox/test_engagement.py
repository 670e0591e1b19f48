"""Boosts and reactions in the sandbox, as Telegram tells a bot of them: only an admin bot hears
them, `message_reaction` only when asked for; getUserChatBoosts as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.repl import Terminal
from tests.sandbox.test_repl import terminal
from tests.sandbox.test_server import call


async def updates(url: str, allowed: list[str]) -> list[dict[str, Any]]:
    _, body = await call(url, "getUpdates", allowed_updates=allowed, timeout=0)
    found = body["result"]
    if found:
        await call(url, "getUpdates", offset=found[-1]["update_id"] + 1, timeout=0)
    return list(found)


async def test_a_boost_reaches_an_admin_bot_and_its_removal_too(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    group = await sandbox.create_group(creator=owner, members=[fan])
    await updates(url, ["message", "chat_boost", "removed_chat_boost"])
    made = await sandbox.boost(group, fan)
    boost = made["boost"]
    assert boost["source"] == {"source": "premium", "user": {"id": fan.id, "is_bot": False,
                                                            "first_name": "Fan"}}  # fmt: skip
    assert boost["expiration_date"] - boost["add_date"] == 30 * 86_400
    extended = await sandbox.boost(group, fan, boost_id=boost["boost_id"])
    assert extended["boost"]["expiration_date"] > boost["expiration_date"]
    added, again = await updates(url, ["message", "chat_boost", "removed_chat_boost"])
    assert added["chat_boost"]["chat"]["id"] == group.id
    assert again["chat_boost"]["boost"]["boost_id"] == boost["boost_id"]  # the same id
    _, listed = await call(url, "getUserChatBoosts", chat_id=group.id, user_id=fan.id)
    assert [b["boost_id"] for b in listed["result"]["boosts"]] == [boost["boost_id"]]
    await sandbox.unboost(group, fan)
    (removed,) = await updates(url, ["message", "chat_boost", "removed_chat_boost"])
    assert removed["removed_chat_boost"]["boost_id"] == boost["boost_id"]
    assert removed["removed_chat_boost"]["source"]["source"] == "premium"
    _, listed = await call(url, "getUserChatBoosts", chat_id=group.id, user_id=fan.id)
    assert listed["result"] == {"boosts": []}


async def test_boosts_go_unheard_by_a_member_bot_or_one_that_did_not_ask(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    plain = await sandbox.create_group(creator=owner, members=[fan], bot="member")
    await updates(url, [])  # no list: every update but the three opt-in ones
    assert (await sandbox.boost(plain, fan))["update_id"] is None  # admins only
    _, body = await call(url, "getUserChatBoosts", chat_id=plain.id, user_id=fan.id)
    assert body["description"] == "Bad Request: CHAT_ADMIN_REQUIRED"
    group = await sandbox.create_group(creator=owner, members=[fan])
    assert (await sandbox.boost(group, fan))["update_id"] is not None  # sent by default
    await updates(url, ["message"])
    assert (await sandbox.boost(group, fan))["update_id"] is None  # not in the list
    _, body = await call(url, "getUserChatBoosts", chat_id=group.id, user_id=999_999)
    assert body["description"] == "Bad Request: user not found"
    _, body = await call(url, "getUserChatBoosts", chat_id=group.id)
    assert body["description"] == "Bad Request: invalid user_id specified"


async def test_reactions_carry_old_and_new_and_only_when_asked_for(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    group = await sandbox.create_group(creator=owner, members=[fan])
    await updates(url, [])
    posted = await sandbox.send(group, owner, "new colours!")
    message_id = posted["message"]["message_id"]
    assert (await sandbox.react(group.id, message_id, fan, ["👍"]))["update_id"] is None
    await updates(url, ["message", "message_reaction"])
    await sandbox.react(group.id, message_id, fan, ["❤"])
    await sandbox.react(group.id, message_id, None, ["🔥"])  # an anonymous admin
    changed, anonymous = await updates(url, ["message", "message_reaction"])
    reaction = changed["message_reaction"]
    assert reaction["user"]["id"] == fan.id
    assert reaction["old_reaction"] == [{"type": "emoji", "emoji": "👍"}]
    assert reaction["new_reaction"] == [{"type": "emoji", "emoji": "❤"}]
    assert "user" not in anonymous["message_reaction"]
    assert anonymous["message_reaction"]["actor_chat"]["id"] == group.id


def test_the_terminal_boosts_unboosts_and_reacts(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-world.json"
    term: Terminal = terminal(state=state)
    term.world.allowed_updates = ["message", "chat_boost", "removed_chat_boost", "message_reaction"]
    assert term.handle("/boost bob") == "Bob boosted the group\n"
    term.save()
    term = terminal(state=state)  # the next session: Bob's boost is still there
    term.world.allowed_updates = ["message", "chat_boost", "removed_chat_boost", "message_reaction"]
    assert term.handle("/unboost bob") == "Bob took their boost back\n"
    assert term.handle("/unboost bob") == "Bob has no boost here\n"
    assert term.handle("hello all") == "#1\n"
    assert term.handle("/as bob") == ""
    assert term.handle("/react 1 👍") == ""
    assert term.handle("/react") == "usage: /react <message #> [emoji…] (none: take yours off)\n"
    kinds = [next(k for k in u if k != "update_id") for u in term.world.take_updates(100)]
    assert kinds == ["removed_chat_boost", "message", "message_reaction"]
