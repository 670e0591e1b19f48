"""The sandbox's terminal: message numbers, replies, buttons on any message, the bot's HTML as
a terminal shows it, text cut mid-character, and ids that go on across sessions."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.repl import Terminal, cast_of, load_state, render_html
from sandbox.world import World

TOKEN = "123456789:sandbox"


def terminal(world: World | None = None, state: Path | None = None) -> Terminal:
    world = world or World(TOKEN, 123456789, "fanbot_sandbox_bot")
    group, cast = cast_of(world)
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
