"""`fanbot sandbox`: try fanbot with no token. A local Bot API, the real bot, and a terminal.

Type as the current person (`/as bob` to switch), `/reply 12 text` to answer message #12,
`/press 1` for a button on the bot's last message (`/press 12 1` on message #12), `/who` for the
cast, `/quit` to leave. The world's ids go on across sessions (`sandbox-world.json`), since the
bot's database is kept too.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from sandbox.control import post_as
from sandbox.server import DEFAULT_TOKEN, start_sandbox
from sandbox.world import ADMIN_RIGHTS, WORLD, Membership, SandboxChat, SandboxUser, World

HELP = (
    "type to talk · /reply <#> <text> · /press [<#>] <button> · /as <name> switch person · "
    "/who · /quit"
)
TAG = re.compile(r"<[^>]+>")
LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
STATE = Path("sandbox-world.json")
STYLES = {"b": "1", "strong": "1", "i": "3", "em": "3", "u": "4", "code": "2", "pre": "2"}


def render_html(text: str, *, ansi: bool) -> str:
    """The bot's HTML as a terminal shows it: bold and italics as ANSI styles (when the output
    is a terminal), links as "text (url)", other tags dropped, entities unescaped."""
    text = LINK.sub(lambda link: f"{link[2]} ({link[1]})", text)
    if ansi:
        for tag, style in STYLES.items():
            text = re.sub(rf"<{tag}(?: [^>]*)?>", f"\033[{style}m", text)
            text = text.replace(f"</{tag}>", "\033[0m")
    return html.unescape(TAG.sub("", text))


def load_state(path: Path = STATE) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


class Terminal:
    def __init__(
        self,
        world: World,
        group: SandboxChat,
        cast: dict[str, SandboxUser],
        state_path: Path | None = None,
    ) -> None:
        self.world, self.group, self.cast = world, group, cast
        self.speaker = cast["alice"]
        self.state_path = state_path
        self.markups: dict[int, dict[str, Any] | None] = {}  # message id -> its buttons
        self.last_message_id: int | None = None
        self.ansi = sys.stdout.isatty()

    async def show_bot(self) -> None:
        seen = len(self.world.events)
        while True:
            events = await self.world.wait_for_events(seen, timeout=3600)
            seen += len(events)
            shown = False
            for event in events:
                if event["kind"] in ("sent", "edited") and event.get("chat_id") == self.group.id:
                    print("\r" + self.describe(event))
                    shown = True
                elif event["kind"] == "answered" and event.get("text"):
                    print(f"\r(toast) {event['text']}")
                    shown = True
            if shown:
                print(f"{self.speaker.first_name}> ", end="", flush=True)

    def describe(self, event: dict[str, Any]) -> str:
        """`#12 bot ↩#11: text`, then its buttons numbered."""
        number = event["message_id"]
        self.markups[number], self.last_message_id = event.get("reply_markup"), number
        label = "bot" if event["kind"] == "sent" else "bot (edited)"
        if event.get("reply_to"):
            label += f" ↩#{event['reply_to']}"
        text = render_html(event.get("html") or event.get("text") or "", ansi=self.ansi)
        lines = [f"#{number} {label}: {text}"]
        lines += [f"   [{n}] {b.get('text')}" for n, b in enumerate(self._buttons(number), 1)]
        return "\n".join(lines)

    def _buttons(self, message_id: int | None) -> list[dict[str, Any]]:
        markup = self.markups.get(message_id) if message_id is not None else None
        rows: list[list[dict[str, Any]]] = (markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    async def run(self) -> None:
        print(HELP)
        watcher = asyncio.create_task(self.show_bot())
        try:
            while True:
                line = (await asyncio.to_thread(input, f"{self.speaker.first_name}> ")).strip()
                if line in ("/quit", "/exit"):
                    return
                print(self.handle(line), end="")
                self.save()
        finally:
            watcher.cancel()
            self.save()

    def handle(self, line: str) -> str:
        """One line typed: a sandbox command, or a message as the current speaker. Returns
        what to print (ending in a newline, or empty)."""
        word, _space, rest = line.partition(" ")
        if word == "/as":
            self.speaker = self.cast.get(rest.strip().lower(), self.speaker)
            return ""
        if word == "/who":
            return "".join(
                f"  {name}: {self.group.members[user.id].status}\n"
                for name, user in self.cast.items()
            )
        if word == "/press":
            return self._press(rest.split())
        if word == "/reply":
            target, _space, text = rest.strip().partition(" ")
            number = target.lstrip("#")
            if not number.isdigit() or int(number) not in self.group.messages or not text:
                return "usage: /reply <message #> <text>\n"
            return self._post({"text": text, "reply_to": int(number)})
        return self._post({"text": line}) if line else ""

    def _post(self, data: dict[str, Any]) -> str:
        message = post_as(self.world, self.group, self.speaker, data, {})
        return f"#{message['message']['message_id']}\n"

    def _press(self, words: list[str]) -> str:
        if len(words) == 1:
            message_id, choice = self.last_message_id, words[0]
        elif len(words) == 2 and words[0].lstrip("#").isdigit():
            message_id, choice = int(words[0].lstrip("#")), words[1]
        else:
            return "usage: /press [<message #>] <button>\n"
        buttons = self._buttons(message_id)
        if message_id is None or not choice.isdigit() or not 1 <= int(choice) <= len(buttons):
            return "no such button\n"
        message = self.group.messages[message_id]
        data = buttons[int(choice) - 1].get("callback_data")
        self.world.press_button(self.group, message, self.speaker, data)
        return ""

    def save(self) -> None:
        if self.state_path is not None:
            self.state_path.write_text(json.dumps(self.world.state()))


def cast_of(world: World) -> tuple[SandboxChat, dict[str, SandboxUser]]:
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
    return group, cast


async def main(port: int = 0) -> int:
    runner, url = await start_sandbox(port=port)
    world = runner.app[WORLD]
    world.resume(load_state())
    group, cast = cast_of(world)
    log = Path("sandbox-bot.log")
    env = {
        **os.environ,
        "BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": url,
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///sandbox.db"),
    }
    print(
        f"sandbox Bot API at {url}; the bot logs to {log}; its data goes to {env['DATABASE_URL']}"
    )
    log_file = await asyncio.to_thread(log.open, "a")
    with log_file:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stdout=log_file, stderr=log_file
        )
        print("starting the bot (a few seconds)...")
        exited = asyncio.create_task(bot.wait())
        polling = asyncio.create_task(world.wait_for_event("polling"))
        await asyncio.wait({exited, polling}, return_when=asyncio.FIRST_COMPLETED)
        polling.cancel()
        try:
            if bot.returncode is None:
                await Terminal(world, group, cast, STATE).run()
            else:
                print(f"the bot stopped; see {log}")
        except (EOFError, KeyboardInterrupt):
            pass
        finally:
            with contextlib.suppress(ProcessLookupError):
                bot.terminate()
            await bot.wait()
            await runner.cleanup()
    return 0
