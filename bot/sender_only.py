"""Replies that matter only to the member who asked: a usage line, a refusal, "too fast".

They are marked as they are written (`for_sender`), per update: in a quiet group the sender
reads them, then they and the command that drew them are deleted (`bot/quiet.py`), so a busy
group's chat is not a wall of usage lines.
"""

from __future__ import annotations

from contextvars import ContextVar

_marked: ContextVar[set[str] | None] = ContextVar("sender_only", default=None)


def for_sender(text: str) -> str:
    """Mark `text` as an answer for its sender only, and return it."""
    marked = _marked.get()
    if marked is None:
        marked = set()
        _marked.set(marked)  # each update runs in a task of its own: the mark stays in it
    marked.add(text)
    return text


def is_for_sender(text: str | None) -> bool:
    marked = _marked.get()
    return text is not None and marked is not None and text in marked
