"""Ephemeral messages (Bot API 10.2–10.3): a bot's message in a group that only one member's
client shows. It is not in the group's history, has `message_id` 0 and is addressed by its
`ephemeral_message_id`; it does not count against the group's 20 messages a minute.

A member's ephemeral command (a BotCommand registered `is_ephemeral`) reaches the bot as an
ephemeral message too, kept in `incoming`: a bot that is not the chat's administrator may answer
it (or a press) ephemerally only within `WINDOW` seconds. What a send checks and records is in
`sandbox/ephemeral_sends.py`. `supported = False` makes
the sandbox an older Bot API server: it ignores the parameters it does not know (as every Bot
API server does) and posts the message for everyone.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import bad_request

WINDOW = 15.0  # seconds a bot that is no admin has to answer a press or an ephemeral command


@dataclass(frozen=True, slots=True)
class Receiver:
    """Whom an ephemeral send is for, and the button press it answers."""

    user_id: int
    callback_query_id: str | None = None
    replace_callback_query_message: bool = False


@dataclass
class EphemeralMessages:
    supported: bool = True
    # chat id -> ephemeral message id -> (receiver's user id, the Message)
    by_chat: defaultdict[int, dict[int, tuple[int, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # chat id -> ephemeral message id -> (sender's user id, when, the Message): members'
    # ephemeral commands
    incoming: defaultdict[int, dict[int, tuple[int, float, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    _ids: defaultdict[int, itertools.count[int]] = field(
        default_factory=lambda: defaultdict(lambda: itertools.count(1))
    )

    def next_id(self, chat_id: int) -> int:
        return next(self._ids[chat_id])

    def find(self, chat_id: int, receiver_id: int, ephemeral_id: Any) -> dict[str, Any]:
        kept = self.by_chat[chat_id].get(ephemeral_id) if isinstance(ephemeral_id, int) else None
        if kept is None or kept[0] != receiver_id:
            raise bad_request("message not found")
        return kept[1]

    def seen_by(self, chat_id: int, user_id: int) -> list[dict[str, Any]]:
        return [message for receiver, message in self.by_chat[chat_id].values()
                if receiver == user_id]  # fmt: skip
