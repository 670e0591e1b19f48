"""A small client for the sandbox's control API: act as people, then wait for what the bot does."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

Event = dict[str, Any]
# How long a test waits for the bot by default: generous, since it only matters when the bot
# is late (a loaded CI machine), and a passing test never waits it out.
WAIT = 30.0


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str | None = None


@dataclass(frozen=True)
class Group:
    id: int
    title: str
    type: str


class SandboxError(Exception):
    pass


def file_part(named: tuple[str, bytes]) -> dict[str, str]:
    return {"name": named[0], "content": base64.b64encode(named[1]).decode()}


class SandboxClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None
        self.cursor = 0  # events before this were already seen

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def request(self, verb: str, path: str, json: Any = None, **params: Any) -> Any:
        """A control call: what a feature's own sandbox helpers (sandbox/*_client.py) build on."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        async with self._http.request(verb, self.base_url + path, json=json, params=params) as resp:
            if resp.status != 200:
                raise SandboxError(f"{verb} {path}: {resp.status} {await resp.text()}")
            if resp.content_type == "application/json":
                return await resp.json()
            return await resp.read()

    # -- people and chats ----------------------------------------------------------------------

    async def create_user(
        self, first_name: str, username: str | None = None, language_code: str | None = None
    ) -> User:
        data = await self.request(
            "POST",
            "/control/users",
            {"first_name": first_name, "username": username, "language_code": language_code},
        )
        return User(data["id"], data["first_name"], data.get("username"))

    async def create_group(
        self,
        title: str = "Fans",
        *,
        creator: User | None = None,
        admins: list[User] = (),  # type: ignore[assignment]
        members: list[User] = (),  # type: ignore[assignment]
        chat_type: str = "supergroup",
        is_forum: bool = False,
        bot: str = "administrator",
        bot_rights: dict[str, bool] | None = None,
    ) -> Group:
        data = await self.request(
            "POST",
            "/control/chats",
            {
                "title": title,
                "type": chat_type,
                "is_forum": is_forum,
                "creator": creator.id if creator else None,
                "admins": [user.id for user in admins],
                "members": [user.id for user in members],
                "bot": bot,
                "bot_rights": bot_rights,
            },
        )
        return Group(data["id"], data["title"], data["type"])

    async def set_bot_status(
        self,
        group: Group,
        status: str,
        by: User | None = None,
        rights: dict[str, bool] | None = None,
    ) -> dict[str, Any]:
        payload = {"status": status, "by": by.id if by else None, "rights": rights}
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/bot", payload
        )
        return result

    async def set_member_status(
        self,
        group: Group,
        user: User,
        status: str,
        *,
        invite_link: str | None = None,
        by: User | None = None,
    ) -> dict[str, Any]:
        payload = {
            "user_id": user.id,
            "status": status,
            "invite_link": invite_link,
            "by": by.id if by else None,
        }
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/members", payload
        )
        return result

    async def set_tag(self, group: Group, user: User, tag: str) -> None:
        """Someone other than the bot (an admin, or the member) sets the member's tag."""
        await self.request("POST", f"/control/chats/{group.id}/members/{user.id}/tag", {"tag": tag})

    async def open_topic(self, group: Group, user: User, name: str) -> int:
        """`user` opens a forum topic from their app; its thread id (its opening message's)."""
        data = await self.request(
            "POST", f"/control/chats/{group.id}/topics", {"user_id": user.id, "name": name}
        )
        return int(data["message"]["message_id"])

    async def keep_tags(self, group: Group, keeps: bool = True) -> None:
        """Whether the group's tags outlive their members' leaving (off: they go, as before)."""
        await self.request("POST", f"/control/chats/{group.id}/keeps_tags", {"keeps": keeps})

    async def migrate(self, group: Group, by: User | None = None) -> Group:
        data = await self.request(
            "POST", f"/control/chats/{group.id}/migrate", {"by": by.id if by else None}
        )
        return Group(data["id"], data["title"], data["type"])

    # -- talking ---------------------------------------------------------------------------------

    async def send(
        self,
        group: Group,
        user: User | None,
        text: str | None = None,
        *,
        photo: bool | tuple[str, bytes] = False,
        document: tuple[str, bytes] | None = None,
        caption: str | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        forwarded_from_channel: str | None = None,
        sticker: str | None = None,
        animation: bool = False,
        poll: str | None = None,
    ) -> dict[str, Any]:
        """`user=None` posts as the group's anonymous admin; `document` is (name, content), and
        so is `photo` for a picture with bytes (True: one with none); `forwarded_from_channel`
        (a title) makes it a forward of a channel's post; `sticker` (its emoji), `animation`
        (a GIF) and `poll` (its question) are refused, as Telegram's clients refuse them, where
        the chat's permissions forbid them."""
        attached = file_part(document) if document else None
        picture = file_part(photo) if isinstance(photo, tuple) else photo
        payload = {
            "user_id": user.id if user else None,
            "anonymous": user is None,
            "text": text,
            "photo": picture,
            "document": attached,
            "caption": caption,
            "reply_to": reply_to,
            "thread_id": thread_id,
            "forwarded_from_channel": forwarded_from_channel,
            "sticker": sticker,
            "animation": animation,
            "poll": poll,
        }
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/messages", payload
        )
        return result

    async def join(
        self, group: Group, user: User, invite_link: str | None = None
    ) -> dict[str, Any]:
        """The user joins, through `invite_link` if given, as a Telegram app would: a link that
        creates join requests makes a chat_join_request instead."""
        payload = {"user_id": user.id, "invite_link": invite_link}
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/joins", payload
        )
        return result

    async def request_join(self, group: Group, user: User) -> dict[str, Any]:
        """The user asks to join (a group that approves joins): a chat_join_request update."""
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/join_requests", {"user_id": user.id}
        )
        return result

    async def crowd_joins(
        self, group: Group, count: int, first_name: str = "User", language_code: str | None = None
    ) -> list[User]:
        """`count` new users join the group at once (a raid)."""
        data = await self.request(
            "POST",
            f"/control/chats/{group.id}/crowd",
            {"count": count, "first_name": first_name, "language_code": language_code},
        )
        return [User(user["id"], user["first_name"], user.get("username")) for user in data]

    async def send_private(
        self, user: User, text: str, reply_to: int | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST", f"/control/private/{user.id}/messages", {"text": text, "reply_to": reply_to}
        )
        return result

    async def press(
        self,
        chat_id: int,
        message_id: int,
        user: User,
        data: str | None = None,
        forge: bool = False,
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST",
            f"/control/chats/{chat_id}/messages/{message_id}/press",
            {"user_id": user.id, "data": data, "forge": forge},
        )
        return result

    async def react(
        self, chat_id: int, message_id: int, user: User | None, emoji: list[str]
    ) -> dict[str, Any]:
        """`user` None: an anonymous admin reacts, as the group."""
        who = {"user_id": user.id} if user is not None else {"anonymous": True}
        result: dict[str, Any] = await self.request(
            "POST",
            f"/control/chats/{chat_id}/messages/{message_id}/react",
            {**who, "emoji": emoji},
        )
        return result

    async def boost(
        self, group: Group, user: User, boost_id: str | None = None, days: int = 30
    ) -> dict[str, Any]:
        """`user` boosts the group with Premium (or extends `boost_id`): the `ChatBoost`."""
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/boosts",
            {"user_id": user.id, "boost_id": boost_id, "days": days},
        )  # fmt: skip
        return result

    async def unboost(self, group: Group, user: User) -> dict[str, Any]:
        """`user` takes back their latest boost of the group."""
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/boosts/remove", {"user_id": user.id}
        )
        return result

    # -- reading ---------------------------------------------------------------------------------

    async def chat(self, chat_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", f"/control/chats/{chat_id}")
        return result

    async def bot_state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", "/control/bot")
        return result

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", "/control/stats")
        return result

    async def file(self, file_id: str) -> bytes:
        content: bytes = await self.request("GET", f"/control/files/{file_id}")
        return content

    async def events(self, after: int = 0, timeout: float = 0) -> list[Event]:
        result: list[Event] = await self.request(
            "GET", "/control/events", after=after, timeout=timeout
        )
        return result

    async def skip_past(self) -> None:
        """Ignore everything that happened before now."""
        events = await self.events(self.cursor)
        if events:
            self.cursor = events[-1]["seq"]

    async def wait_ready(self, timeout: float = 30) -> None:
        data = await self.request("GET", "/control/ready", timeout=timeout)
        if not data["ready"]:
            raise SandboxError(f"the bot did not start polling within {timeout}s")

    async def wait_for(
        self, predicate: Callable[[Event], bool], timeout: float = WAIT, count: int = 1
    ) -> list[Event]:
        """Events after the cursor that match, waiting until `count` have come; moves the cursor."""
        deadline = time.monotonic() + timeout
        found: list[Event] = []
        after = self.cursor
        while True:
            remaining = deadline - time.monotonic()
            batch = await self.events(after, timeout=max(0.0, min(remaining, 5.0)))
            for event in batch:
                after = event["seq"]
                if predicate(event):
                    found.append(event)
                    if len(found) == count:
                        self.cursor = after
                        return found
            if time.monotonic() >= deadline:
                stats = await self.stats()
                recent = [
                    (e["seq"], e["kind"], e.get("chat_id"), e.get("update_id")) for e in batch[-12:]
                ]
                raise SandboxError(
                    f"waited {timeout}s for {count} event(s), saw {len(found)}: {found}; "
                    f"pending updates {stats['pending_updates']}, calls {stats['calls']}, "
                    f"recent events {recent}"
                )

    async def wait_sent(self, chat_id: int, timeout: float = WAIT, count: int = 1) -> list[Event]:
        return await self.wait_for(
            lambda e: e["kind"] == "sent" and e["chat_id"] == chat_id, timeout, count
        )

    async def ask(self, group: Group, user: User | None, text: str, timeout: float = WAIT) -> Event:
        """Say something in a group and wait for the bot's reply to it."""
        sent = await self.send(group, user, text)
        return await self.reply_to(group.id, sent["message"]["message_id"], timeout)

    # -- what only one member sees (ephemeral messages) ----------------------------------------

    async def ask_for_sender(
        self, group: Group, user: User, text: str, timeout: float = WAIT
    ) -> Event:
        """Say something in a group and wait for the answer only the sender sees: an
        `ephemeral` event (not `sent`: it is in nobody else's client, nor in the history)."""
        sent = await self.send(group, user, text)
        return await self.answer_to_sender(group.id, user, sent["message"]["message_id"], timeout)

    async def answer_to_sender(
        self, chat_id: int, user: User, message_id: int, timeout: float = WAIT
    ) -> Event:
        """The bot's ephemeral answer to one member's message, for that member."""
        events = await self.wait_for(
            lambda e: (
                e["kind"] == "ephemeral"
                and e["chat_id"] == chat_id
                and e["receiver_id"] == user.id
                and e["reply_to"] == message_id
            ),
            timeout,
        )
        return events[0]

    async def ask_any(self, group: Group, user: User, text: str, timeout: float = WAIT) -> Event:
        """The bot's answer to what `user` says, to the group or to them only: for a test of
        what is said (its wording), not of where."""
        sent = await self.send(group, user, text)
        return await self.answer_any(group.id, sent["message"]["message_id"], timeout)

    async def answer_any(self, chat_id: int, message_id: int, timeout: float = WAIT) -> Event:
        events = await self.wait_for(
            lambda e: (
                e["kind"] in ("sent", "ephemeral")
                and e["chat_id"] == chat_id
                and e["reply_to"] == message_id
            ),
            timeout,
        )
        return events[0]

    async def seen_by(self, group: Group, user: User) -> list[dict[str, Any]]:
        """The group as `user`'s client shows it: its history and their ephemeral messages."""
        result: dict[str, Any] = await self.request(
            "GET", f"/control/chats/{group.id}/seen_by/{user.id}"
        )
        messages: list[dict[str, Any]] = result["messages"]
        return messages

    async def press_ephemeral(
        self, chat_id: int, ephemeral_message_id: int, user: User, data: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST",
            f"/control/chats/{chat_id}/ephemeral/{ephemeral_message_id}/press",
            {"user_id": user.id, "data": data},
        )
        return result

    async def send_ephemeral_command(self, group: Group, user: User, text: str) -> dict[str, Any]:
        """`user` sends a command the bot registered `is_ephemeral`, seen by the bot only."""
        result: dict[str, Any] = await self.request(
            "POST", f"/control/chats/{group.id}/ephemeral_commands",
            {"user_id": user.id, "text": text},
        )  # fmt: skip
        return result

    async def answer_to_ephemeral(
        self, chat_id: int, user: User, ephemeral_message_id: int, timeout: float = WAIT
    ) -> Event:
        """The bot's ephemeral answer to one member's ephemeral command."""
        events = await self.wait_for(
            lambda e: (
                e["kind"] == "ephemeral"
                and e["chat_id"] == chat_id
                and e["receiver_id"] == user.id
                and e.get("reply_to_ephemeral") == ephemeral_message_id
            ),
            timeout,
        )
        return events[0]

    async def set_ephemeral_support(self, supported: bool) -> None:
        """False: the sandbox answers as a Bot API server older than 10.2 does."""
        await self.request("POST", "/control/ephemeral", {"supported": supported})

    async def wait_for_each(
        self, *predicates: Callable[[Event], bool], timeout: float = WAIT
    ) -> list[Event]:
        """One event for each predicate, in whatever order they come (a command's answer and
        the outbox message its change queued race each other); in the predicates' order."""
        found = await self.wait_for(
            lambda e: any(predicate(e) for predicate in predicates), timeout, len(predicates)
        )
        events = []
        for predicate in predicates:
            match = next((e for e in found if predicate(e) and e not in events), None)
            if match is None:
                raise SandboxError(f"one event matched two predicates: {found}")
            events.append(match)
        return events

    async def reply_to(self, chat_id: int, message_id: int, timeout: float = WAIT) -> Event:
        """The bot's reply to one message."""
        events = await self.wait_for(
            lambda e: (
                e["kind"] == "sent" and e["chat_id"] == chat_id and e["reply_to"] == message_id
            ),
            timeout,
        )
        return events[0]

    async def settle(self, timeout: float = WAIT) -> None:
        """Until the bot has handled every update sent so far: the poller confirms an update
        only once it is handled, so nothing is pending then. For a test whose next step must
        come after another member's update (different members are handled side by side)."""
        deadline = time.monotonic() + timeout
        while (await self.stats())["pending_updates"]:
            if time.monotonic() >= deadline:
                raise SandboxError(f"updates still pending after {timeout}s")
            await asyncio.sleep(0.05)

    async def quiet_for(self, seconds: float, predicate: Callable[[Event], bool]) -> list[Event]:
        """Everything matching that happens in the next `seconds` (to check nothing does)."""
        await asyncio.sleep(seconds)
        return [event for event in await self.events(self.cursor) if predicate(event)]

    async def block_bot(self, user: User) -> None:
        """The user blocks the bot: every private message to them is refused with a 403."""
        await self.request("POST", f"/control/users/{user.id}/block")

    async def set_limits(self, **limits: Any) -> None:
        await self.request("POST", "/control/limits", limits)

    async def add_fault(self, kind: str, method: str = "*", count: int = 1, **extra: Any) -> None:
        await self.request(
            "POST", "/control/faults", {"kind": kind, "method": method, "count": count, **extra}
        )
