"""Replies that matter only to the member who asked: a usage line, a refusal, "too fast".

Each command opens a scope (`open_scope` in `CommandMiddleware`, with the chat's profile) and
such replies are marked in it as they are written (`for_sender`); in a quiet group the sender
reads them, then they and the command that drew them are deleted (`workflows/quiet.py`), so a busy
group is not a wall of usage lines. Each update runs in a task of its own, so a scope never
leaks to another update.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from services.chats import ChatProfile


@dataclass(slots=True)
class Scope:
    profile: ChatProfile | None
    texts: set[str] = field(default_factory=set)


_scope: ContextVar[Scope | None] = ContextVar("sender_only", default=None)


def open_scope(profile: ChatProfile | None) -> None:
    _scope.set(Scope(profile))


def for_sender(text: str) -> str:
    """Mark `text` as an answer for its sender only, and return it."""
    scope = _scope.get()
    if scope is not None:
        scope.texts.add(text)
    return text


def sender_only_profile(text: str | None) -> ChatProfile | None:
    """The chat's profile when `text` was marked for its sender in this update, else None."""
    scope = _scope.get()
    if scope is None or text is None or text not in scope.texts:
        return None
    return scope.profile
