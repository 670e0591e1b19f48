"""The sandbox's terminal: message numbers, replies, buttons on any message, the bot's HTML as
a terminal shows it, text cut mid-character, and ids that go on across sessions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image

from sandbox.botapi import BotApi
from sandbox.cast import cast_of
from sandbox.display import render_html
from sandbox.repl import Terminal, load_state
from sandbox.server import DEFAULT_TOKEN, start_sandbox
from sandbox.world import WORLD, World
from tests.sandbox.test_server import call

TOKEN = DEFAULT_TOKEN


def terminal(world: World | None = None, state: Path | None = None) -> Terminal:
    world = world or World(TOKEN, 123456789, "fanbot_sandbox_bot")
    saved = load_state(state) if state else {}
    world.resume(saved)  # as `fanbot sandbox` starts
    group, cast = cast_of(world, saved)
    return Terminal(world, group, cast, state)


def bot_says(term: Terminal, text: str, buttons: list[str] = ()) -> int:  # type: ignore[assignment]
    """A message from the bot in the group, as the sandbox records it."""
    markup = {"inline_keyboard": [[{"text": b, "callback_data": f"cb:{b}"} for b in buttons]]}
    message = term.world.new_message(term.group, term.world.bot, text=text, reply_markup=markup)
    event = term.world.record(
        "sent", chat_id=term.group.id, message_id=message["message_id"], text=text,
        html=text, reply_to=None, reply_markup=markup,
    )  # fmt: skip
    print(term.describe(event))
    return int(message["message_id"])


def test_messages_are_numbered_and_any_of_them_can_be_answered() -> None:
    term = terminal()
    said = term.handle("hello everyone")
    assert said == "#1\n"
    term.handle("/as bob")
    assert term.handle("/reply 1 welcome!") == "#2\n"
    reply = term.world.take_updates(10)[-1]["message"]
    assert reply["reply_to_message"]["message_id"] == 1
    assert reply["from"]["first_name"] == "Bob"
    assert term.handle("/reply 99 nobody").startswith("usage: /reply")


def test_a_button_is_pressed_on_the_newest_message_or_on_a_numbered_one() -> None:
    term = terminal()
    first = bot_says(term, "Draw #1", ["Join"])
    bot_says(term, "Draw #2", ["Join", "Rules"])
    assert term.handle("/press 2") == ""
    assert term.world.take_updates(10)[-1]["callback_query"]["data"] == "cb:Rules"
    assert term.handle(f"/press {first} 1") == ""
    pressed = term.world.take_updates(10)[-1]["callback_query"]
    assert (pressed["data"], pressed["message"]["message_id"]) == ("cb:Join", first)
    assert term.handle(f"/press {first} 5") == "no such button\n"


def test_the_bots_html_is_rendered_not_hidden() -> None:
    text = '<b>Lucky draw #3</b>: <a href="https://t.me/x">rules</a> &lt;3 <code>/verify 3</code>'
    assert render_html(text, ansi=False) == "Lucky draw #3: rules (https://t.me/x) <3 /verify 3"
    assert render_html("<b>bold</b>", ansi=True) == "\033[1mbold\033[0m"


def test_text_cut_in_the_middle_of_a_character_is_repaired_not_stored_broken() -> None:
    term = terminal()
    term.handle("好" * 3 + "\udce5\udca5")  # what input() gives for a character cut after 2 bytes
    message = term.world.take_updates(10)[-1]["message"]
    assert message["text"] == "好好好\ufffd"
    json.dumps(message).encode()  # the poll that hands it to the bot can be written


def test_ids_go_on_across_sessions_when_the_database_is_kept(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-world.json"
    first = terminal(state=state)
    first.handle("one")
    first.handle("two")
    first.save()
    world = World(TOKEN, 123456789, "fanbot_sandbox_bot")
    world.resume(load_state(state))
    second = terminal(world, state)
    assert second.handle("three") == "#3\n"
    assert world.take_updates(10)[-1]["update_id"] > 2
    assert load_state(tmp_path / "missing.json") == {}


# -- files ---------------------------------------------------------------------------------------


def sent_update(term: Terminal) -> dict[str, Any]:
    """The message the terminal's last line sent, as the bot's next poll gets it."""
    message: dict[str, Any] = term.world.take_updates(100)[-1]["message"]
    return message


async def test_a_file_goes_as_a_document_the_bot_downloads_from_its_file_path(
    tmp_path: Path,
) -> None:
    runner, url = await start_sandbox()
    try:
        term = terminal(runner.app[WORLD])
        orders = tmp_path / "orders.csv"
        orders.write_bytes("订单编号,实付款\n1001,99.00\n".encode("gbk"))
        assert term.handle(f"/file {orders} /orders import") == "#1\n"
        message = sent_update(term)
        document = message["document"]
        assert (document["file_name"], document["mime_type"]) == ("orders.csv", "text/csv")
        assert document["file_size"] == orders.stat().st_size
        assert document["file_unique_id"] != document["file_id"]
        assert message["caption"] == "/orders import"
        assert message["caption_entities"][0]["type"] == "bot_command"
        _, got = await call(url, "getFile", file_id=document["file_id"])
        path = got["result"]["file_path"]
        assert (path.split("/")[0], Path(path).suffix) == ("documents", ".csv")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/file/bot{DEFAULT_TOKEN}/{path}") as response:
                assert await response.read() == orders.read_bytes()
            async with http.get(f"{url}/file/bot1:wrong/{path}") as response:
                assert response.status == 404
        # The same bytes again: another file_id, the same file_unique_id, as Telegram keeps it.
        term.handle(f"/file {orders}")
        again = sent_update(term)["document"]
        assert again["file_id"] != document["file_id"]
        assert again["file_unique_id"] == document["file_unique_id"]
    finally:
        await runner.cleanup()


def test_a_picture_goes_as_a_photo_in_sizes_and_a_file_can_answer_a_message(
    tmp_path: Path,
) -> None:
    term = terminal()
    picture = tmp_path / "tea set.png"
    Image.new("RGB", (400, 200), "green").save(picture)
    bot_says(term, "Send the reward's photo in reply to this message.")
    assert term.handle(f'/reply 1 /file "{picture}" Tea set') == "#2\n"
    message = sent_update(term)
    assert [(size["width"], size["height"]) for size in message["photo"]] == [(90, 45), (400, 200)]
    assert message["caption"] == "Tea set"
    assert message["reply_to_message"]["message_id"] == 1
    assert "document" not in message
    not_a_picture = tmp_path / "broken.jpg"
    not_a_picture.write_bytes(b"no image here")
    term.handle(f"/file {not_a_picture}")
    assert sent_update(term)["document"]["file_name"] == "broken.jpg"
    assert term.handle(f"/file {tmp_path / 'missing.csv'}").startswith("can't read")
    assert term.handle("/file").startswith("usage: /file")


# -- the private chat ------------------------------------------------------------------------------


async def test_a_private_chat_starts_with_start_and_shows_what_the_bot_sends_there(
    tmp_path: Path,
) -> None:
    term = terminal()
    term.files = tmp_path / "sandbox-files"
    api = BotApi(term.world)
    term.handle("/as bob")
    assert term.handle("/private") == "Bob (private)> /start\n#1\n"
    start = sent_update(term)
    assert (start["chat"]["type"], start["chat"]["id"], start["text"]) == (
        "private",
        start["from"]["id"],
        "/start",
    )
    assert term.prompt() == "Bob (private)> "
    assert term.handle("/console") == "#2\n"  # typed in the private chat now
    assert sent_update(term)["chat"]["type"] == "private"
    bob = term.cast["bob"]
    export = {"content": b"id,points\n1,5\n", "filename": "members.csv", "content_type": "text/csv"}
    await api.call("sendDocument", {"chat_id": bob.id, "document": export, "caption": "Members"})
    [event] = [e for e in term.world.events if e["kind"] == "sent"]
    shown = term.shown(event)
    saved = term.files / "members.csv"
    assert shown == f"(private to Bob) #3 bot: 📎 members.csv (14 B) saved to {saved}\nMembers"
    assert saved.read_bytes() == b"id,points\n1,5\n"
    term.handle("/group")
    assert term.prompt() == "Bob> "
    assert term.handle("hello group") == "#1\n"  # the group's numbers are the group's own
    assert sent_update(term)["chat"]["id"] == term.group.id
    # Someone outside the cast gets private messages the terminal does not show.
    stranger = term.world.add_user("Stranger")
    stranger.started_bot = True
    term.world.private_chat(stranger)
    await api.call("sendMessage", {"chat_id": stranger.id, "text": "psst"})
    assert term.shown(term.world.events[-1]) is None


def test_a_message_asking_for_a_reply_says_how_to_give_it() -> None:
    term = terminal()
    markup = {"force_reply": True, "selective": True, "input_field_placeholder": "Hoodie size M"}
    message = term.world.new_message(term.group, term.world.bot, text="What is the prize?")
    event = term.world.record(
        "sent", chat_id=term.group.id, message_id=message["message_id"], text=message["text"],
        html=message["text"], reply_to=None, reply_markup=markup,
    )  # fmt: skip
    assert term.shown(event) == (
        "#1 bot: What is the prize?\n   (answer with /reply 1 Hoodie size M)"
    )
