"""`fanbot sandbox`'s terminal: type as the current person in the group or, after `/private`,
in their private chat with the bot; see what the bot sends to either.

Every message has a number in its chat (`#12`): `/reply 12 text` answers it, `/press 12 1`
presses its first button. The world's people, links and ids go on across sessions
(`sandbox-world.json`), since the bot's database is kept too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.cast import Cast, cast_state, newcomer
from sandbox.control import post_as
from sandbox.display import buttons_of, describe_button, render_html, save_attachment
from sandbox.engagement import boost, react, unboost
from sandbox.errors import BotApiError
from sandbox.files import image_size, is_photo
from sandbox.joins import join, leave
from sandbox.links import BotLink, InviteLink, parse_link
from sandbox.world import SandboxChat, SandboxUser, World

HELP = (
    "type to talk · /reply <#> <text> · /press [<#>] <button> · /file <path> [caption] · "
    "/private · /group\n"
    "/open <link> · /join <name> [invite link] · /leave [name] · /as <name> · /who · "
    "/tag [text] · /quit\n"
    "/react <#> [emoji…] · /boost [name] · /unboost [name]"
)
STATE = Path("sandbox-world.json")
FILES = Path("sandbox-files")
MAX_FILE = 100 * 1024 * 1024  # past the bot's 20 MB download limit, so that refusal can be seen


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
        cast: Cast,
        state_path: Path | None = None,
        files: Path = FILES,
    ) -> None:
        self.world, self.group, self.cast = world, group, cast
        self.speaker = cast["alice"]
        self.private = False  # talking to the bot in the speaker's private chat
        self.state_path, self.files = state_path, files
        self.last_message: dict[int, int] = {}  # chat id -> the bot's message shown last
        self.commands: dict[str, Callable[[str], str]] = {
            "/as": self._switch, "/who": self._who, "/press": self._press, "/reply": self._reply,
            "/file": self._file, "/private": self._to_private, "/group": self._to_group,
            "/open": self._open, "/join": self._join, "/leave": self._leave, "/tag": self._tag,
            "/boost": self._boost, "/unboost": self._unboost, "/react": self._react,
        }  # fmt: skip
        self.ansi = sys.stdout.isatty()

    # -- what the bot does ------------------------------------------------------------------

    async def show_bot(self) -> None:
        seen = len(self.world.events)
        while True:
            events = await self.world.wait_for_events(seen, timeout=3600)
            seen += len(events)
            shown = [text for event in events if (text := self.shown(event)) is not None]
            for text in shown:
                print("\r" + text)
            if shown:
                print(self.prompt(), end="", flush=True)

    def shown(self, event: dict[str, Any]) -> str | None:
        """What the terminal prints for an event: the bot's messages in the group and in the
        cast's private chats, toasts, deletions; None for the rest."""
        if event["kind"] == "answered":
            return f"(toast) {event['text']}" if event.get("text") else None
        if event["kind"].startswith("ephemeral") and event.get("chat_id") == self.group.id:
            return self.shown_ephemeral(event)
        if event["kind"] == "tag_set" and event.get("chat_id") == self.group.id:
            person = self.world.users.get(event["user_id"])
            name = person.first_name if person else event["user_id"]
            return f"(tag) {name}: {event['tag'] or '(cleared)'}"
        if event["kind"] not in ("sent", "edited", "deleted"):
            return None
        where = self.chat_label(event.get("chat_id"))
        if where is None:
            return None
        if event["kind"] == "deleted":
            return f"{where}#{event['message_id']} deleted"
        return where + self.describe(event)

    def shown_ephemeral(self, event: dict[str, Any]) -> str:
        """A message only one member's client shows: `(only Bob sees) e3 bot ↩#11: text`."""
        receiver = self.world.users.get(event["receiver_id"])
        who = f"(only {receiver.first_name if receiver else event['receiver_id']} sees) "
        number = f"e{event['ephemeral_message_id']}"
        if event["kind"] == "ephemeral_deleted":
            return f"{who}{number} deleted"
        label = "bot" if event["kind"] == "ephemeral" else "bot (edited)"
        if event.get("reply_to"):
            label += f" ↩#{event['reply_to']}"
        text = render_html(event.get("html") or event.get("text") or "", ansi=self.ansi)
        lines = [f"{who}{number} {label}: {text}"]
        lines += [
            describe_button(n, b) for n, b in enumerate(buttons_of(event.get("reply_markup")), 1)
        ]
        return "\n".join(lines)

    def chat_label(self, chat_id: Any) -> str | None:
        if chat_id == self.group.id:
            return ""
        chat = self.world.chat(chat_id) if isinstance(chat_id, int) else None
        user = chat.private_user if chat is not None else None
        if user is None or user not in self.cast.values():
            return None
        return f"(private to {user.first_name}) "

    def describe(self, event: dict[str, Any]) -> str:
        """`#12 bot ↩#11: text`, an attachment saved, then the buttons numbered."""
        number = event["message_id"]
        self.last_message[event["chat_id"]] = number  # the one /press <button> acts on
        label = "bot" if event["kind"] == "sent" else "bot (edited)"
        if event.get("reply_to"):
            label += f" ↩#{event['reply_to']}"
        text = render_html(event.get("html") or event.get("text") or "", ansi=self.ansi)
        attachment = save_attachment(self.world.files, event, self.files)
        if attachment is not None:
            text = f"{attachment}\n{text}" if text else attachment
        lines = [f"#{number} {label}: {text}"]
        markup = event.get("reply_markup") or {}
        lines += [describe_button(n, b) for n, b in enumerate(buttons_of(markup), 1)]
        if markup.get("force_reply"):  # an app opens a reply to it; here one types /reply
            example = markup.get("input_field_placeholder") or "<text>"
            lines.append(f"   (answer with /reply {number} {example})")
        return "\n".join(lines)

    # -- what one types -----------------------------------------------------------------------

    def prompt(self) -> str:
        return f"{self.speaker.first_name}{' (private)' if self.private else ''}> "

    def current_chat(self) -> SandboxChat:
        return self.world.private_chat(self.speaker) if self.private else self.group

    async def run(self) -> None:
        print(HELP)
        watcher = asyncio.create_task(self.show_bot())
        try:
            while True:
                line = (await asyncio.to_thread(input, self.prompt())).strip()
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
        rest = rest.strip()
        try:
            command = self.commands.get(word)
            return command(rest) if command is not None else self._say(line)
        except BotApiError as error:  # what Telegram's app would refuse
            return f"{error.description.removeprefix('Bad Request: ')}\n"

    def _switch(self, name: str) -> str:
        person = self.cast.get(name.lower())
        if person is None:
            return f"nobody called {name!r} here: /who lists them, /join {name} adds them\n"
        self.speaker = person
        return ""

    def _who(self, _rest: str) -> str:
        lines = []
        for name, user in self.cast.items():
            status = self.group.members.get(user.id)
            line = f"  {name}: {status.status if status else 'left'}"
            line += f" · tag “{status.tag}”" if status and status.tag else ""
            lines.append(line + (" · private chat with the bot" if user.started_bot else ""))
        return "\n".join(lines) + "\n"

    def _say(self, text: str, **extra: Any) -> str:
        if not text:
            return ""
        return self._post({"text": text, **extra})

    def _post(self, data: dict[str, Any]) -> str:
        chat = self.current_chat()
        if self.private:
            self.speaker.started_bot = True
        elif not self.group.may_send(self.speaker.id):
            member = self.group.members.get(self.speaker.id)
            if member is None or not member.present:
                name = self.speaker.first_name
                return f"{name} is not in the group: /join {self._name_of_speaker()} first\n"
            return f"{self.speaker.first_name} may not send messages here (restricted)\n"
        message = post_as(self.world, chat, self.speaker, data, {})
        return f"#{message['message']['message_id']}\n"

    def _name_of_speaker(self) -> str:
        return next(name for name, user in self.cast.items() if user is self.speaker)

    def _reply(self, rest: str) -> str:
        target, _space, text = rest.partition(" ")
        number = target.lstrip("#")
        if not number.isdigit() or int(number) not in self.current_chat().messages or not text:
            return "usage: /reply <message #> <text> (or /file <path> [caption])\n"
        if text.startswith("/file "):
            return self._file(text.removeprefix("/file "), reply_to=int(number))
        return self._say(text, reply_to=int(number))

    def _file(self, rest: str, reply_to: int | None = None) -> str:
        """A file as the speaker sends it: a picture as a photo (Telegram's apps compress
        pictures into photos unless told otherwise), anything else as a document."""
        parsed = split_path(rest)
        if parsed is None:
            return "usage: /file <path> [caption] · in reply: /reply <#> /file <path> [caption]\n"
        path, caption = Path(parsed[0]).expanduser(), parsed[1]
        try:
            if path.stat().st_size > MAX_FILE:
                return f"{path} is over the sandbox's {MAX_FILE >> 20} MB\n"
            content = path.read_bytes()
        except OSError as error:
            return f"can't read {path}: {error.strerror}\n"
        attached = {"name": path.name, "content": base64.b64encode(content).decode()}
        kind = "photo" if is_photo(path.name) and image_size(content) else "document"
        return self._post({kind: attached, "caption": caption or None, "reply_to": reply_to})

    def _press(self, rest: str) -> str:
        words = rest.split()
        chat = self.current_chat()
        if len(words) == 1:
            message_id, choice = self.last_message.get(chat.id), words[0]
        elif len(words) == 2 and words[0].lstrip("#").isdigit():
            message_id, choice = int(words[0].lstrip("#")), words[1]
        else:
            return "usage: /press [<message #>] <button>\n"
        message = chat.messages.get(message_id) if message_id is not None else None
        buttons = buttons_of(message.get("reply_markup") if message else None)
        if message is None or not choice.isdigit() or not 1 <= int(choice) <= len(buttons):
            return "no such button\n"
        button = buttons[int(choice) - 1]
        if "callback_data" in button:
            self.world.press_button(chat, message, self.speaker, button["callback_data"])
            return ""
        if "url" in button:  # a link: the app opens it, the bot hears nothing of the press
            return self._open(button["url"])
        if "web_app" in button:
            return f"a Mini App: open {button['web_app'].get('url')} in Telegram\n"
        if "login_url" in button:
            return f"open {button['login_url'].get('url')} in a browser\n"
        return "only a Telegram app can use this button\n"

    def _open(self, url: str) -> str:
        """A link followed in a Telegram app."""
        if not url:
            return "usage: /open <link>\n"
        link = parse_link(url)
        if isinstance(link, InviteLink):
            if link.url not in self.group.invite_links:
                return "this invite link is not one of the sandbox group's\n"
            return self._join_as(self.speaker, link.url)
        if not isinstance(link, BotLink):
            return f"open {url} in a browser\n"
        if link.username.lower() != (self.world.bot.username or "").lower():
            return f"@{link.username} is outside the sandbox\n"
        if link.startgroup:
            return f"adds the bot to a group: here it is in “{self.group.title}” already\n"
        return self._start(link)

    def _start(self, link: BotLink) -> str:
        """The bot's private chat opens; with a start payload, or while the chat was never used
        (the bot may write first to someone asking to join), the app shows Start, and pressing
        it sends /start (with the payload)."""
        note = "the link's start parameter is not valid: left out\n" if link.bad_payload else ""
        self.private = True
        unused = not self.speaker.started_bot and not self.current_chat().messages
        if link.start or unused:
            command = f"/start {link.start}" if link.start else "/start"
            return f"{note}{self.prompt()}{command}\n" + self._say(command)
        return note

    def _to_private(self, _rest: str) -> str:
        return self._start(BotLink(self.world.bot.username or ""))

    def _to_group(self, _rest: str) -> str:
        self.private = False
        return ""

    def _join(self, rest: str) -> str:
        name, _space, link = rest.partition(" ")
        if not name:
            return "usage: /join <name> [invite link]\n"
        key = name.lower()
        person = self.cast.get(key) or newcomer(self.world, name)
        self.cast[key] = person
        invite = parse_link(link) if link.strip() else None
        if invite is not None and not isinstance(invite, InviteLink):
            return "usage: /join <name> [invite link, e.g. https://t.me/+AbC…]\n"
        return self._join_as(person, invite.url if invite else None)

    def _join_as(self, person: SandboxUser, invite_link: str | None) -> str:
        membership = self.group.members.get(person.id)
        if membership is not None and membership.present:
            return f"{person.first_name} is in the group already\n"
        result = join(self.world, self.group, person, invite_link)
        self.speaker, self.private = person, False
        if result.get("requested"):
            return f"{person.first_name} asked to join; the group approves joins\n"
        return f"#{self.newest_message()} {person.first_name} joined the group\n"

    def _leave(self, rest: str) -> str:
        person = self.cast.get(rest.lower()) if rest else self.speaker
        if person is None:
            return f"nobody called {rest!r} here\n"
        leave(self.world, self.group, person)
        return f"#{self.newest_message()} {person.first_name} left the group\n"

    def _tag(self, rest: str) -> str:
        """The speaker edits their own tag, as a member may (the bot leaves it alone then)."""
        membership = self.group.members.get(self.speaker.id)
        if membership is None or membership.status not in ("member", "restricted"):
            return "only a member who is no admin has a tag\n"
        membership.tag = rest[:16]
        self.world.record(
            "tag_set", chat_id=self.group.id, user_id=self.speaker.id, tag=membership.tag
        )
        return ""

    def _react(self, rest: str) -> str:
        """The speaker's reactions to a message (none: taken off)."""
        number, *emoji = rest.split() or [""]
        if not number.lstrip("#").isdigit() or int(number.lstrip("#")) not in self.group.messages:
            return "usage: /react <message #> [emoji…] (none: take yours off)\n"
        react(self.world, self.group, int(number.lstrip("#")), self.speaker, emoji)
        return ""

    def _boost(self, rest: str) -> str:
        """Someone (the speaker unless named) boosts the group with Telegram Premium."""
        person = self.cast.get(rest.lower()) if rest else self.speaker
        if person is None:
            return f"nobody called {rest!r} here\n"
        boost(self.world, self.group, person)
        return f"{person.first_name} boosted the group\n"

    def _unboost(self, rest: str) -> str:
        person = self.cast.get(rest.lower()) if rest else self.speaker
        if person is None:
            return f"nobody called {rest!r} here\n"
        if unboost(self.world, self.group, person) is None:
            return f"{person.first_name} has no boost here\n"
        return f"{person.first_name} took their boost back\n"

    def newest_message(self) -> int:
        """The number of the group's newest message (a join's or a leave's service message)."""
        return max(self.group.messages)

    def save(self) -> None:
        if self.state_path is not None:
            state = {**self.world.state(), **cast_state(self.group, self.cast)}
            self.state_path.write_text(json.dumps(state, ensure_ascii=False))


def split_path(rest: str) -> tuple[str, str] | None:
    """`<path> [caption]`, the path in quotes when it holds spaces."""
    rest = rest.strip()
    if not rest:
        return None
    if rest[0] in "'\"":
        end = rest.find(rest[0], 1)
        return None if end == -1 else (rest[1:end], rest[end + 1 :].strip())
    path, _space, caption = rest.partition(" ")
    return path, caption.strip()
