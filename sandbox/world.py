"""Everything the sandbox knows: users, chats, messages, pending updates, and an event log."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.ephemeral import EphemeralMessages
from sandbox.files import FileStore
from sandbox.limits import FaultPlan, FloodControl

ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_pin_messages", "can_manage_topics",
    "can_send_welcome_messages", "can_manage_tags",
)  # fmt: skip
# Without allowed_updates, Telegram sends every update type but these.
OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{5,32})?")


@dataclass
class SandboxUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started_bot: bool = False  # has a private chat with the bot
    blocked_bot: bool = False
    may_message_until: float = 0  # a join request lets the bot write first for 5 minutes

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user


MEMBER_PERMISSIONS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_react_to_messages",
    "can_edit_tag", "can_change_info", "can_invite_users", "can_pin_messages",
    "can_manage_topics",
)  # fmt: skip


@dataclass
class Membership:
    status: str  # creator, administrator, member, restricted, left, kicked
    rights: dict[str, bool] = field(default_factory=dict)
    is_anonymous: bool = False
    # A restricted member's own permissions (what they may do), and when a restriction or a
    # ban ends (0: never).
    permissions: dict[str, bool] = field(default_factory=dict)
    until_date: int = 0
    tag: str = ""  # a member's tag (setChatMemberTag); it goes when they leave (`keeps_tags`)

    def lapsed(self, now: float) -> bool:
        """A restriction or a ban whose time is up (Telegram lifts it on its own)."""
        return self.status in ("restricted", "kicked") and 0 < self.until_date <= now

    @property
    def present(self) -> bool:
        return self.status in ("creator", "administrator", "member", "restricted")

    def can(self, right: str) -> bool:
        return self.status == "creator" or (
            self.status == "administrator" and self.rights.get(right, False)
        )

    def to_api(self, user: SandboxUser) -> dict[str, Any]:
        member: dict[str, Any] = {"status": self.status, "user": user.to_api()}
        if self.status == "creator":
            member["is_anonymous"] = self.is_anonymous
        elif self.status == "administrator":
            member.update({"can_be_edited": False, "is_anonymous": self.is_anonymous})
            member.update({right: self.rights.get(right, False) for right in ADMIN_RIGHTS})
        elif self.status == "kicked":
            member["until_date"] = self.until_date
        elif self.status == "restricted":
            member["is_member"] = True
            member.update({name: self.permissions.get(name, False) for name in MEMBER_PERMISSIONS})
            member["until_date"] = self.until_date
        if self.tag and self.status in ("member", "restricted"):
            member["tag"] = self.tag
        return member


@dataclass
class SandboxChat:
    id: int
    type: str  # private, group, supergroup
    title: str = ""
    is_forum: bool = False
    private_user: SandboxUser | None = None
    members: dict[int, Membership] = field(default_factory=dict)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    pinned: list[int] = field(default_factory=list)
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    reactions: dict[int, dict[int, list[dict[str, str]]]] = field(default_factory=dict)
    boosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> ChatBoost
    invite_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    migrated_to: int | None = None
    # What every member may do (setChatPermissions); a restricted member's own apply on top.
    permissions: dict[str, bool] = field(
        default_factory=lambda: dict.fromkeys(MEMBER_PERMISSIONS, True)
    )
    join_requests: dict[int, dict[str, Any]] = field(default_factory=dict)  # user id -> request
    keeps_tags: bool = False  # a member's tag outlives their leaving (undocumented: both tested)

    def may_send(self, user_id: int) -> bool:
        """Whether Telegram lets this member post now (a client would not let them type)."""
        membership = self.members.get(user_id)
        if membership is None or membership.status in ("creator", "administrator"):
            return membership is not None
        if membership.lapsed(time.time()):
            membership.status, membership.until_date = "member", 0
        if not membership.present:
            return False
        own = membership.permissions if membership.status == "restricted" else {}
        return bool(own.get("can_send_messages", True) and self.permissions["can_send_messages"])

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def to_api(self) -> dict[str, Any]:
        if self.type == "private":
            assert self.private_user is not None
            chat = {"id": self.id, "type": "private", "first_name": self.private_user.first_name}
            if self.private_user.username:
                chat["username"] = self.private_user.username
            return chat
        chat = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def full_info(self) -> dict[str, Any]:
        return {
            **self.to_api(),
            **({"permissions": dict(self.permissions)} if self.is_group else {}),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        }  # fmt: skip


# What Telegram's servers mark in a member's text: links (with or without a scheme) and
# @username mentions.
URL = re.compile(r"(?:https?://)?(?<![@\w.])(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?:/[^\s]*)?")
MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}")


def utf16_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def detected_entities(text: object) -> list[dict[str, Any]]:
    if not isinstance(text, str):
        return []
    found = []
    for kind, pattern in (("url", URL), ("mention", MENTION)):
        for match in pattern.finditer(text):
            if kind == "url" and COMMAND.match(text) and match.start() == 0:
                continue
            start, end = utf16_offset(text, match.start()), utf16_offset(text, match.end())
            found.append({"type": kind, "offset": start, "length": end - start})
    return found


def valid_text(text: str) -> str:
    """Text as Telegram delivers it: valid UTF-8 only. Bytes a terminal cut in the middle of a
    character (Python keeps them as lone surrogates) become U+FFFD, as Telegram's clients
    would send them, instead of text no JSON encoder can write."""
    try:
        raw = text.encode("utf-8", "surrogateescape")  # undecodable input bytes, back as bytes
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")  # other lone surrogates
    return raw.decode("utf-8", "replace")


class World:
    def __init__(self, token: str, bot_id: int, bot_username: str) -> None:
        self.token = token
        self.bot = SandboxUser(id=bot_id, first_name="fanbot", username=bot_username, is_bot=True)
        self.privacy_mode = True
        self.users: dict[int, SandboxUser] = {bot_id: self.bot}
        self.chats: dict[int, SandboxChat] = {}
        self.user_ids = itertools.count(10_001)
        self.group_ids = itertools.count(1)
        self.update_ids = itertools.count(1)
        self.first_message_id = 1  # every chat's first id: above the last session's (`resume`)
        self.last_message_id = 0
        self.query_ids = itertools.count(1)
        self.pending: list[dict[str, Any]] = []
        self.deliveries: Counter[int] = Counter()  # update id -> times handed to the bot
        self.allowed_updates: list[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.ephemeral = EphemeralMessages()
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[Any, dict[str, Any]] = {}  # chat id (None: the default)
        self.files = FileStore()
        self.events: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.flood = FloodControl()
        self.faults = FaultPlan()
        self.polling_since: float | None = None
        self._changed = asyncio.Event()
        self.updates_signal = asyncio.Event()  # replaced on every poke: see poke_updates()

    # -- the event log tests wait on -------------------------------------------------------

    def record(self, kind: str, **details: Any) -> dict[str, Any]:
        event = {"seq": len(self.events) + 1, "kind": kind, "time": time.time(), **details}
        self.events.append(event)
        self._changed.set()
        self._changed = asyncio.Event()
        return event

    async def wait_for_events(self, after: int, timeout: float) -> list[dict[str, Any]]:
        if len(self.events) <= after and timeout > 0:
            waiter = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout)
        return self.events[after:]

    async def wait_for_event(self, kind: str) -> dict[str, Any]:
        seen = 0
        while True:
            for event in await self.wait_for_events(seen, timeout=3600):
                seen = event["seq"]
                if event["kind"] == kind:
                    return event

    # -- people and chats ------------------------------------------------------------------

    def add_user(self, first_name: str, username: str | None = None, **extra: Any) -> SandboxUser:
        user = SandboxUser(
            id=next(self.user_ids), first_name=first_name, username=username, **extra
        )
        self.users[user.id] = user
        return user

    def add_chat(self, chat_type: str, title: str, is_forum: bool = False) -> SandboxChat:
        number = next(self.group_ids)
        chat_id = -(1_000_000_000_000 + number) if chat_type == "supergroup" else -(4_000 + number)
        chat = SandboxChat(
            id=chat_id, type=chat_type, title=title, is_forum=is_forum,
            message_ids=itertools.count(self.first_message_id),
        )  # fmt: skip
        self.chats[chat.id] = chat
        return chat

    def private_chat(self, user: SandboxUser) -> SandboxChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = SandboxChat(
                id=user.id, type="private", private_user=user,
                message_ids=itertools.count(self.first_message_id),
            )  # fmt: skip
            chat.members = {user.id: Membership("member"), self.bot.id: Membership("member")}
            self.chats[user.id] = chat
        return chat

    def chat(self, chat_id: int) -> SandboxChat | None:
        return self.chats.get(chat_id)

    def bot_membership(self, chat: SandboxChat) -> Membership:
        return chat.members.get(self.bot.id, Membership("left"))

    # -- messages ---------------------------------------------------------------------------

    def new_message(
        self, chat: SandboxChat, sender: SandboxUser | None, in_history: bool = True, **content: Any
    ) -> dict[str, Any]:
        """`in_history=False`: an ephemeral message, kept apart (`sandbox/ephemeral.py`)."""
        for field_name in ("text", "caption"):
            if isinstance(content.get(field_name), str):
                content[field_name] = valid_text(content[field_name])
        message: dict[str, Any] = {
            "message_id": next(chat.message_ids) if in_history else 0,
            "date": int(time.time()),
            "chat": chat.to_api(),
        }
        if sender is not None:
            message["from"] = sender.to_api()
        message.update({key: value for key, value in content.items() if value is not None})
        for name, key in (("text", "entities"), ("caption", "caption_entities")):
            command = COMMAND.match(message.get(name) or "")
            if command and key not in message:  # a command leads a caption as it leads a text
                message[key] = [
                    {"type": "bot_command", "offset": 0, "length": len(command.group(0))}
                ]
        if sender is not None and sender.id != self.bot.id:
            for name in ("text", "caption"):
                found = detected_entities(message.get(name))
                if found:
                    key = "entities" if name == "text" else "caption_entities"
                    message[key] = sorted(message.get(key, []) + found, key=lambda e: e["offset"])
        if in_history:
            chat.messages[message["message_id"]] = message
            self.last_message_id = max(self.last_message_id, message["message_id"])
        return message

    def emit_message(self, chat: SandboxChat, message: dict[str, Any]) -> int | None:
        if not self.sees_message(chat, message):
            return None
        update = self.push_update("message", message)
        return update["update_id"] if update else None

    def change_membership(
        self,
        chat: SandboxChat,
        user: SandboxUser,
        status: str | Membership,
        *,
        rights: dict[str, bool] | None = None,
        by: SandboxUser | None = None,
        invite_link: str | None = None,
        via_join_request: bool = False,
    ) -> dict[str, Any]:
        """A member's status changes (joins, leaves, is promoted, restricted or banned): the
        chat_member update an admin bot gets, and the join or leave service message."""
        old = chat.members.get(user.id, Membership("left"))
        if isinstance(status, Membership):
            new = status
        else:
            granted = dict.fromkeys(ADMIN_RIGHTS, True) if rights is None else rights
            new = Membership(status, granted if status == "administrator" else {})
        if new.status in ("member", "restricted") and (old.present or chat.keeps_tags):
            new.tag = new.tag or old.tag  # a restriction keeps the member's tag; a return may
        elif not new.present and chat.keeps_tags:
            new.tag = old.tag  # kept out of sight while they are away
        chat.members[user.id] = new
        actor = by or user
        payload: dict[str, Any] = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": int(time.time()),
            "old_chat_member": old.to_api(user),
            "new_chat_member": new.to_api(user),
        }
        if invite_link is not None:
            link = chat.invite_links.get(invite_link)
            if link is None:
                raise web.HTTPBadRequest(text="unknown invite link")
            payload["invite_link"] = link
        elif via_join_request:  # approved after asking, with no invite link
            payload["via_join_request"] = True
        result: dict[str, Any] = {}
        if user.id == self.bot.id:
            update = self.push_update("my_chat_member", payload)
        elif self.bot_membership(chat).status in ("administrator", "creator"):
            update = self.push_update("chat_member", payload)  # Telegram tells admin bots only
        else:
            update = None
        result["update_id"] = update["update_id"] if update else None
        if chat.is_group and not old.present and new.present:
            service = self.new_message(chat, actor, new_chat_members=[user.to_api()])
            result["service_update_id"] = self.emit_message(chat, service)
        elif chat.is_group and old.present and not new.present:
            service = self.new_message(chat, actor, left_chat_member=user.to_api())
            result["service_update_id"] = self.emit_message(chat, service)
        return result

    # -- a world that goes on across sandbox sessions ------------------------------------------

    def resume(self, state: dict[str, Any]) -> None:
        """Start ids above those of an earlier session (its database is kept: an id seen again
        would be a message the bot already handled)."""
        self.first_message_id = int(state.get("next_message_id", 1))
        self.update_ids = itertools.count(int(state.get("next_update_id", 1)))
        self.last_message_id = self.first_message_id - 1

    def state(self) -> dict[str, Any]:
        next_update = next(self.update_ids)
        self.update_ids = itertools.count(next_update)
        return {"next_message_id": self.last_message_id + 1, "next_update_id": next_update}

    def sees_message(self, chat: SandboxChat, message: dict[str, Any]) -> bool:
        """Privacy mode: a bot that is not an admin sees only what is meant for it."""
        if chat.type == "private":
            return True
        if not self.bot_membership(chat).present:
            return False  # a bot that left or was removed hears nothing from the chat
        if not self.privacy_mode:
            return True
        if self.bot_membership(chat).status in ("administrator", "creator"):
            return True
        text = message.get("text") or message.get("caption") or ""
        replied = message.get("reply_to_message", {}).get("from", {}).get("id")
        service = any(key in message for key in ("new_chat_members", "left_chat_member",
                                                  "migrate_to_chat_id", "migrate_from_chat_id",
                                                  "pinned_message"))  # fmt: skip
        return (
            text.startswith("/")
            or replied == self.bot.id
            or f"@{self.bot.username}" in text
            or service
        )

    def press_button(
        self, chat: SandboxChat, message: dict[str, Any], user: SandboxUser, data: str | None
    ) -> tuple[str, dict[str, Any] | None]:
        """A member presses an inline button: a callback query the bot must answer."""
        query_id = str(next(self.query_ids) * 1_000_003)
        self.callback_queries[query_id] = {
            "id": query_id, "chat_id": chat.id, "answered": False, "user_id": user.id,
            "ephemeral": "ephemeral_message_id" in message, "time": time.time(),
        }  # fmt: skip
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": message,
            "chat_instance": str(chat.id),
            "data": data,
        }
        return query_id, self.push_update("callback_query", payload)

    # -- updates ----------------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        allowed = self.allowed_updates
        if allowed is None or len(allowed) == 0:
            if kind in OPT_IN_UPDATES:
                return None
        elif kind not in allowed:
            return None
        update = {"update_id": next(self.update_ids), kind: payload}
        self.pending.append(update)
        self.poke_updates()
        self.record("update", update_id=update["update_id"], update_kind=kind)
        return update

    def poke_updates(self) -> None:
        """Wake everyone waiting for updates. A waiter takes `updates_signal` right after it
        checked `pending`, with no await between, so no wake-up can fall in the gap."""
        self.updates_signal.set()
        self.updates_signal = asyncio.Event()

    def confirm(self, offset: int) -> None:
        self.pending = [update for update in self.pending if update["update_id"] >= offset]

    def take_updates(self, limit: int) -> list[dict[str, Any]]:
        batch = self.pending[:limit]
        for update in batch:
            self.deliveries[update["update_id"]] += 1
        return batch


WORLD = web.AppKey("world", World)
