"""`fanbot sandbox`: try fanbot with no token. A local Bot API, the real bot, and a terminal.

Type as the current person (`/as bob` to switch), `/press 1` for a button on the bot's last
message, `/who` for the cast, `/quit` to leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import re
import sys
from pathlib import Path
from typing import Any

from sandbox.control import post_as
from sandbox.server import DEFAULT_TOKEN, start_sandbox
from sandbox.world import ADMIN_RIGHTS, WORLD, Membership, SandboxChat, SandboxUser, World

HELP = "type to talk · /as <name> switch person · /press <n> press a button · /who · /quit"
TAG = re.compile(r"<[^>]+>")


class Terminal:
    def __init__(self, world: World, group: SandboxChat, cast: dict[str, SandboxUser]) -> None:
        self.world, self.group, self.cast = world, group, cast
        self.speaker = cast["alice"]
        self.last_markup: dict[str, Any] | None = None
        self.last_message_id: int | None = None

    async def show_bot(self) -> None:
        seen = len(self.world.events)
        while True:
            events = await self.world.wait_for_events(seen, timeout=3600)
            seen += len(events)
            shown = False
            for event in events:
                if event["kind"] in ("sent", "edited") and event.get("chat_id") == self.group.id:
                    self.last_markup, self.last_message_id = (
                        event["reply_markup"],
                        event["message_id"],
                    )
                    label = "bot" if event["kind"] == "sent" else "bot (edited)"
                    text = html.unescape(TAG.sub("", event["html"] or event["text"] or ""))
                    print(f"\r{label}: {text}")
                    shown = True
                    for number, button in enumerate(self._buttons(), 1):
                        print(f"   [{number}] {button.get('text')}")
                elif event["kind"] == "answered" and event.get("text"):
                    print(f"\r(toast) {event['text']}")
                    shown = True
            if shown:
                print(f"{self.speaker.first_name}> ", end="", flush=True)

    def _buttons(self) -> list[dict[str, Any]]:
        rows: list[list[dict[str, Any]]] = (self.last_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    async def run(self) -> None:
        print(HELP)
        watcher = asyncio.create_task(self.show_bot())
        try:
            while True:
                line = (await asyncio.to_thread(input, f"{self.speaker.first_name}> ")).strip()
                if line in ("/quit", "/exit"):
                    return
                if line.startswith("/as "):
                    self.speaker = self.cast.get(line[4:].strip().lower(), self.speaker)
                elif line == "/who":
                    for name, user in self.cast.items():
                        print(f"  {name}: {self.group.members[user.id].status}")
                elif line.startswith("/press "):
                    self._press(line[7:].strip())
                elif line:
                    post_as(self.world, self.group, self.speaker, {"text": line}, {})
        finally:
            watcher.cancel()

    def _press(self, number: str) -> None:
        buttons = self._buttons()
        if (
            not number.isdigit()
            or not 1 <= int(number) <= len(buttons)
            or self.last_message_id is None
        ):
            print("no such button")
            return
        message = self.group.messages[self.last_message_id]
        data = buttons[int(number) - 1].get("callback_data")
        self.world.press_button(self.group, message, self.speaker, data)


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
                await Terminal(world, group, cast).run()
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
