"""Ephemeral messages as the Bot API (10.2–10.3) documents them: one member sees them, in a
group only, answerable to a button press by that member; and an older server that ignores them."""

from __future__ import annotations

import time

import pytest

from sandbox.botapi import BotApi
from sandbox.ephemeral import WINDOW
from sandbox.errors import BotApiError
from sandbox.world import Membership
from tests.sandbox.test_repl import terminal
from tests.sandbox.test_server import call


async def test_an_ephemeral_message_is_seen_by_its_receiver_only(server) -> None:
    url, sandbox = server
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    group = await sandbox.create_group(creator=owner, members=[bob])
    asked = await sandbox.send(group, bob, "/me")
    status, body = await call(
        url, "sendMessage", chat_id=group.id, text="<b>120</b> points", parse_mode="HTML",
        ephemeral_message_parameters={"receiver_user_id": bob.id},
        reply_parameters={"message_id": asked["message"]["message_id"]},
    )  # fmt: skip
    assert status == 200
    sent = body["result"]
    assert sent["message_id"] == 0
    assert sent["receiver_user"]["id"] == bob.id
    assert sent["ephemeral_message_id"] >= 1
    assert [m.get("text") for m in await sandbox.seen_by(group, bob)] == ["/me", "120 points"]
    assert [m.get("text") for m in await sandbox.seen_by(group, owner)] == ["/me"]
    assert "120 points" not in str((await sandbox.chat(group.id))["messages"])
    event = await sandbox.answer_to_sender(group.id, bob, asked["message"]["message_id"])
    assert event["html"] == "<b>120</b> points"

    ids = {"chat_id": group.id, "receiver_user_id": bob.id}
    number = sent["ephemeral_message_id"]
    edited = await call(url, "editEphemeralMessageText", **ids, ephemeral_message_id=number,
                        text="121 points")  # fmt: skip
    assert edited == (200, {"ok": True, "result": True})
    again = await call(url, "editEphemeralMessageText", **ids, ephemeral_message_id=number,
                       text="121 points")  # fmt: skip
    assert again[1]["description"].startswith("Bad Request: message is not modified")
    other = await call(url, "deleteEphemeralMessage", chat_id=group.id,
                       receiver_user_id=owner.id, ephemeral_message_id=number)  # fmt: skip
    assert other[1]["description"] == "Bad Request: message to delete not found"
    assert (await call(url, "deleteEphemeralMessage", **ids, ephemeral_message_id=number))[1][
        "result"
    ] is True
    assert [m.get("text") for m in await sandbox.seen_by(group, bob)] == ["/me"]


async def test_ephemeral_sends_are_refused_where_telegram_refuses_them(server) -> None:
    url, sandbox = server
    owner, bob, stranger = [await sandbox.create_user(n) for n in ("Owner", "Bob", "Eve")]
    group = await sandbox.create_group(creator=owner, members=[bob])
    await sandbox.send_private(bob, "/start")

    async def refusal(chat_id: int, **parameters: object) -> str:
        _, body = await call(url, "sendMessage", chat_id=chat_id, text="hi",
                             ephemeral_message_parameters=parameters)  # fmt: skip
        return str(body["description"])

    assert await refusal(bob.id, receiver_user_id=bob.id) == (
        "Bad Request: ephemeral messages can be sent only to group and supergroup chats"
    )
    assert await refusal(group.id, receiver_user_id=stranger.id) == (
        "Bad Request: receiver user is not a member of the chat"
    )
    assert await refusal(group.id, receiver_user_id=bob.id, callback_query_id="42") == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    # A press by the owner is not Bob's to answer.
    _, posted = await call(url, "sendMessage", chat_id=group.id, text="pick", reply_markup={
        "inline_keyboard": [[{"text": "go", "callback_data": "go"}]]})  # fmt: skip
    pressed = await sandbox.press(group.id, posted["result"]["message_id"], owner)
    assert await refusal(group.id, receiver_user_id=bob.id,
                         callback_query_id=pressed["query_id"]) == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )  # fmt: skip
    more = {"inline_keyboard": [[{"text": "more", "callback_data": "m"}]]}
    replacing = {
        "receiver_user_id": owner.id,
        "callback_query_id": pressed["query_id"],
        "replace_callback_query_message": True,
    }
    _, answered = await call(
        url, "sendMessage", chat_id=group.id, text="only yours",
        ephemeral_message_parameters=replacing, reply_markup=more,
    )  # fmt: skip
    kept = answered["result"]["ephemeral_message_id"]
    again = await sandbox.press_ephemeral(group.id, kept, owner)
    assert await refusal(group.id, receiver_user_id=owner.id, callback_query_id=again["query_id"],
                         replace_callback_query_message=True) == (
        "Bad Request: replace_callback_query_message must be False for callback queries from "
        "ephemeral messages"
    )  # fmt: skip


async def test_an_older_server_ignores_the_parameters_and_posts_for_everyone(server) -> None:
    url, sandbox = server
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    group = await sandbox.create_group(creator=owner, members=[bob])
    await sandbox.set_ephemeral_support(False)
    _, body = await call(url, "sendMessage", chat_id=group.id, text="hello",
                         ephemeral_message_parameters={"receiver_user_id": bob.id})  # fmt: skip
    assert body["result"]["message_id"] > 0
    assert "ephemeral_message_id" not in body["result"]
    assert [m.get("text") for m in await sandbox.seen_by(group, owner)] == ["hello"]
    status, body = await call(url, "deleteEphemeralMessage", chat_id=group.id,
                              receiver_user_id=bob.id, ephemeral_message_id=1)  # fmt: skip
    assert (status, body["description"]) == (404, "Not Found")
    await call(url, "setMyCommands", commands=[
        {"command": "me", "description": "Your points", "is_ephemeral": True}])  # fmt: skip
    assert (await call(url, "getMyCommands"))[1]["result"] == [
        {"command": "me", "description": "Your points"}
    ]
    await sandbox.set_ephemeral_support(True)
    await call(url, "setMyCommands", commands=[
        {"command": "me", "description": "Your points", "is_ephemeral": True}])  # fmt: skip
    assert (await call(url, "getMyCommands"))[1]["result"][0]["is_ephemeral"] is True


async def test_the_terminal_says_whom_an_ephemeral_message_is_for() -> None:
    term = terminal()
    bob = term.cast["bob"]
    asked = term.handle("/as bob") or term.handle("/me")
    api = BotApi(term.world)
    await api.call(
        "sendMessage",
        {"chat_id": term.group.id, "text": "<b>5</b> points", "parse_mode": "HTML",
         "ephemeral_message_parameters": {"receiver_user_id": bob.id},
         "reply_parameters": {"message_id": int(asked.strip("#\n"))}},
    )  # fmt: skip
    event = term.world.events[-1]
    assert term.shown(event) == "(only Bob sees) e1 bot ↩#1: 5 points"


NO_RIGHTS = "Bad Request: not enough rights to send ephemeral messages"


async def test_a_bot_that_is_no_admin_answers_only_a_press_or_an_ephemeral_command(
    server,
) -> None:
    url, sandbox = server
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    group = await sandbox.create_group(creator=owner, members=[bob], bot="member")
    await call(url, "setMyCommands", scope={"type": "all_group_chats"}, commands=[
        {"command": "me", "description": "Your points", "is_ephemeral": True}])  # fmt: skip
    asked = await sandbox.send(group, bob, "签到")

    async def send(reply_parameters: dict[str, object]) -> dict:
        _, body = await call(url, "sendMessage", chat_id=group.id, text="5 points",
                             ephemeral_message_parameters={"receiver_user_id": bob.id},
                             reply_parameters=reply_parameters)  # fmt: skip
        return body

    refused = await send(reply_parameters={"message_id": asked["message"]["message_id"]})
    assert refused["description"] == NO_RIGHTS
    # A reply's chat_id is not supported for an ephemeral send, whoever sends it.
    assert (await send(reply_parameters={"message_id": 1, "chat_id": group.id}))[
        "description"
    ] == "Bad Request: reply_parameters.chat_id is not supported for ephemeral messages"

    command = await sandbox.send_ephemeral_command(group, bob, "/me")
    incoming = command["message"]
    assert incoming["message_id"] == 0
    assert incoming["ephemeral_message_id"] >= 1
    assert "/me" not in str((await sandbox.chat(group.id))["messages"])  # nobody else sees it
    answered = await send(
        reply_parameters={"ephemeral_message_id": incoming["ephemeral_message_id"]}
    )
    assert answered["result"]["ephemeral_message_id"] >= 1
    event = await sandbox.answer_to_ephemeral(group.id, bob, incoming["ephemeral_message_id"])
    assert event["text"] == "5 points"
    # Owner's command is not Bob's to answer.
    theirs = await sandbox.send_ephemeral_command(group, owner, "/me")
    assert (await send(reply_parameters={"ephemeral_message_id": theirs["message"][
        "ephemeral_message_id"]}))["description"] == NO_RIGHTS  # fmt: skip

    _, posted = await call(url, "sendMessage", chat_id=group.id, text="pick", reply_markup={
        "inline_keyboard": [[{"text": "go", "callback_data": "go"}]]})  # fmt: skip
    pressed = await sandbox.press(group.id, posted["result"]["message_id"], bob)
    press = {"receiver_user_id": bob.id, "callback_query_id": pressed["query_id"]}
    _, body = await call(url, "sendMessage", chat_id=group.id, text="yours",
                         ephemeral_message_parameters=press)  # fmt: skip
    assert body["result"]["message_id"] == 0


async def test_a_press_or_command_older_than_15_seconds_is_too_old_for_a_bot_that_is_no_admin() -> (
    None
):
    term = terminal()
    world, group, bob = term.world, term.group, term.cast["bob"]
    group.members[world.bot.id] = Membership("member")
    world.commands[("all_group_chats", "")] = [
        {"command": "me", "description": "Your points", "is_ephemeral": True}
    ]
    api = BotApi(world)
    posted = await api.call("sendMessage", {"chat_id": group.id, "text": "pick", "reply_markup": {
        "inline_keyboard": [[{"text": "go", "callback_data": "go"}]]}})  # fmt: skip
    query_id, _ = world.press_button(group, posted, bob, "go")
    world.callback_queries[query_id]["time"] -= WINDOW + 1
    late = {"receiver_user_id": bob.id, "callback_query_id": query_id}
    with pytest.raises(BotApiError, match="query is too old"):
        await api.call("sendMessage", {"chat_id": group.id, "text": "late",
                                       "ephemeral_message_parameters": late})  # fmt: skip
    world.callback_queries[query_id]["time"] += WINDOW + 1  # fresh again: allowed
    sent = await api.call("sendMessage", {"chat_id": group.id, "text": "in time",
                                          "ephemeral_message_parameters": late})  # fmt: skip
    assert sent["ephemeral_message_id"] >= 1
    number = world.ephemeral.next_id(group.id)
    message = world.new_message(group, world.users[bob.id], in_history=False, text="/me")
    world.ephemeral.incoming[group.id][number] = (bob.id, time.time() - WINDOW - 1, message)
    old_command = {
        "chat_id": group.id, "text": "late", "reply_parameters": {"ephemeral_message_id": number},
        "ephemeral_message_parameters": {"receiver_user_id": bob.id},
    }  # fmt: skip
    with pytest.raises(BotApiError, match="not enough rights"):
        await api.call("sendMessage", old_command)
    # An admin may send at any time, but not reply to an ephemeral message after 15 seconds.
    group.members[world.bot.id] = Membership("administrator")
    with pytest.raises(BotApiError, match="message to be replied not found"):
        await api.call("sendMessage", old_command)
