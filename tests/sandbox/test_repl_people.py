"""The sandbox's terminal: people join (by themselves or through an invite link) and leave with
the updates Telegram sends, and link buttons open what they link to, never a callback query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox.botapi import BotApi
from sandbox.cast import newcomer
from sandbox.errors import BotApiError
from sandbox.joins import request_join
from sandbox.links import BotLink, InviteLink, WebLink, parse_link
from sandbox.repl import Terminal
from tests.sandbox.test_repl import terminal

ALL_UPDATES = ["message", "callback_query", "chat_member", "my_chat_member", "chat_join_request"]


def updates(term: Terminal) -> list[dict[str, Any]]:
    """The updates the bot has not confirmed yet, then confirms them all."""
    pending = term.world.take_updates(100)
    if pending:
        term.world.confirm(pending[-1]["update_id"] + 1)
    return pending


def bot_says_with(term: Terminal, text: str, buttons: list[dict[str, Any]]) -> int:
    message = term.world.new_message(
        term.group, term.world.bot, text=text, reply_markup={"inline_keyboard": [buttons]}
    )
    event = term.world.record(
        "sent", chat_id=term.group.id, message_id=message["message_id"], text=text,
        html=text, reply_to=None, reply_markup=message["reply_markup"],
    )  # fmt: skip
    print(term.shown(event))  # as the terminal shows it
    return int(message["message_id"])


async def test_a_newcomer_joins_through_an_invite_link_and_leaves(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-world.json"
    term = terminal(state=state)
    term.world.allowed_updates = ALL_UPDATES
    created = await BotApi(term.world).call(
        "createChatInviteLink", {"chat_id": term.group.id, "name": "Bob"}
    )
    link = created["invite_link"]
    assert term.handle(f"/join carol {link}") == "#1 Carol joined the group\n"
    member_update, service = updates(term)
    assert service["message"]["message_id"] == 1
    change = member_update["chat_member"]
    assert change["invite_link"]["invite_link"] == link
    assert (change["old_chat_member"]["status"], change["new_chat_member"]["status"]) == (
        "left", "member",
    )  # fmt: skip
    assert change["from"]["first_name"] == "Carol"
    assert service["message"]["new_chat_members"][0]["username"] == "carol"
    assert term.prompt() == "Carol> "  # the newcomer types next
    assert term.handle("/join carol") == "Carol is in the group already\n"
    assert term.handle("hello!") == "#2\n"
    updates(term)
    assert term.handle("/leave") == "#3 Carol left the group\n"
    left, goodbye = updates(term)
    assert left["chat_member"]["new_chat_member"]["status"] == "left"
    assert goodbye["message"]["left_chat_member"]["first_name"] == "Carol"
    assert term.handle("still here?") == "Carol is not in the group: /join carol first\n"
    assert term.handle("/join dave https://t.me/+NoSuchLink") == "INVITE_HASH_INVALID\n"
    assert term.handle("/join 韩梅梅") == "#4 韩梅梅 joined the group\n"
    assert updates(term)[0]["chat_member"]["new_chat_member"]["user"]["language_code"] == "zh-hans"
    term.save()

    # The next session knows Carol (the bot's database does), her id, and the bot's links.
    again = terminal(state=state)
    carol = again.cast["carol"]
    assert carol.id == term.cast["carol"].id
    assert again.group.members[carol.id].status == "left"
    assert link in again.group.invite_links
    assert again.handle(f"/join erin {link}") == "#5 Erin joined the group\n"
    assert again.cast["erin"].id not in {user.id for user in term.cast.values()}


async def test_a_link_that_asks_for_approval_sends_a_join_request() -> None:
    term = terminal()
    term.world.allowed_updates = ALL_UPDATES
    created = await BotApi(term.world).call(
        "createChatInviteLink", {"chat_id": term.group.id, "creates_join_request": True}
    )
    assert term.handle(f"/join frank {created['invite_link']}") == (
        "Frank asked to join; the group approves joins\n"
    )
    [request] = updates(term)
    assert request["chat_join_request"]["invite_link"]["invite_link"] == created["invite_link"]
    frank = term.cast["frank"]
    assert term.group.members.get(frank.id) is None
    api = BotApi(term.world)
    # The bot writes first to Frank (it may, for five minutes, until it answers the request):
    # his chat opens with no Start.
    await api.call("sendMessage", {"chat_id": frank.id, "text": "Welcome! One question first"})
    await api.call("approveChatJoinRequest", {"chat_id": term.group.id, "user_id": frank.id})
    approved = updates(term)[0]["chat_member"]
    assert approved["invite_link"]["invite_link"] == created["invite_link"]
    assert "via_join_request" not in approved
    with pytest.raises(BotApiError, match="can't initiate conversation"):  # answered: no more
        await api.call("sendMessage", {"chat_id": frank.id, "text": "Welcome in!"})
    # Asked without a link (the group's join button) and approved: via_join_request.
    term.speaker = frank
    assert term.handle("/private") == ""
    assert term.handle("thanks") == "#2\n"
    grace = newcomer(term.world, "grace")
    request_join(term.world, term.group, grace)
    updates(term)
    await api.call("approveChatJoinRequest", {"chat_id": term.group.id, "user_id": grace.id})
    assert updates(term)[0]["chat_member"]["via_join_request"] is True


def test_a_link_button_shows_its_address_and_opens_the_private_chat_with_start() -> None:
    term = terminal()
    term.world.allowed_updates = ALL_UPDATES
    claim = "https://t.me/fanbot_sandbox_bot?start=r5"
    number = bot_says_with(
        term, "🎁 Alice redeemed Tea",
        [{"text": "📩 私聊领取", "url": claim}, {"text": "Rules", "callback_data": "rules"}],
    )  # fmt: skip
    event = term.world.events[-1]
    assert (
        term.shown(event)
        == f"#{number} bot: 🎁 Alice redeemed Tea\n   [1] 📩 私聊领取 → {claim}\n   [2] Rules"
    )
    assert term.handle("/press 1") == "Alice (private)> /start r5\n#1\n"
    [start] = updates(term)
    assert "callback_query" not in start  # Telegram never tells the bot a link was opened
    message = start["message"]
    assert (message["chat"]["type"], message["text"]) == ("private", "/start r5")
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # Opened again, a start link sends /start with its payload again; a bare link only opens.
    assert term.handle("/open https://t.me/fanbot_sandbox_bot?start=coupons").endswith("#2\n")
    assert updates(term)[0]["message"]["text"] == "/start coupons"
    assert term.handle("/open https://t.me/fanbot_sandbox_bot") == ""
    assert updates(term) == []
    # A payload Telegram's apps would not pass on: the chat opens without it.
    too_long = "x" * 65
    assert term.handle(f"/open tg://resolve?domain=fanbot_sandbox_bot&start={too_long}") == (
        "the link's start parameter is not valid: left out\n"
    )
    term.handle("/group")
    assert term.handle(f"/press {number} 2") == ""
    assert updates(term)[0]["callback_query"]["data"] == "rules"


def test_other_links_say_where_they_lead() -> None:
    term = terminal()
    bot_says_with(
        term, "Console",
        [{"text": "🖥", "url": "http://127.0.0.1:8123/console/link/abc"},
         {"text": "App", "web_app": {"url": "https://fans.example/app"}}],
    )  # fmt: skip
    assert term.handle("/press 1") == "open http://127.0.0.1:8123/console/link/abc in a browser\n"
    assert term.handle("/press 2") == "a Mini App: open https://fans.example/app in Telegram\n"
    assert term.handle("/open https://t.me/durov") == "@durov is outside the sandbox\n"
    assert term.handle("/open https://t.me/fanbot_sandbox_bot?startgroup=true").startswith(
        "adds the bot to a group"
    )
    assert term.world.take_updates(100) == []


def test_telegram_links_are_read_as_telegram_apps_read_them() -> None:
    assert parse_link("https://t.me/fanbot_bot?start=r12") == BotLink("fanbot_bot", "r12")
    assert parse_link("tg://resolve?domain=fanbot_bot&start=bind") == BotLink("fanbot_bot", "bind")
    assert parse_link("https://telegram.me/fanbot_bot?start=a b") == BotLink(
        "fanbot_bot", "", bad_payload=True
    )
    longest = "a" * 64
    assert parse_link(f"https://t.me/fanbot_bot?start={longest}") == BotLink("fanbot_bot", longest)
    assert parse_link("https://t.me/fanbot_bot?startgroup=true") == BotLink(
        "fanbot_bot", "true", startgroup=True
    )
    assert parse_link("https://t.me/+AbCd_12") == InviteLink("https://t.me/+AbCd_12")
    assert parse_link("https://t.me/joinchat/AbCd") == InviteLink("https://t.me/+AbCd")
    assert parse_link("https://t.me/c/123/45") == WebLink("https://t.me/c/123/45")
    assert parse_link("https://example.com/?start=x") == WebLink("https://example.com/?start=x")
