"""What a console POST changed, noted by its page for the change log (`Console._log_change`),
and what the page says of it after the redirect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Change:
    """What a console POST changed, for the change log: a short action name and a summary
    (never a secret: a file of codes is told by its count)."""

    action: str
    summary: str
    target: int | None = None  # a member (or staff) it was about


CHANGE = "console_change"
NO_CHANGE = object()  # noted by a page whose POST changed nothing (a form sent unchanged)


def note_change(request: web.Request, action: str, summary: str, target: int | None = None) -> None:
    request[CHANGE] = Change(action, summary, target)


def note_no_change(request: web.Request) -> None:
    request[CHANGE] = NO_CHANGE


def said(request: web.Request, outcomes: dict[str, Callable[[int, int], str]]) -> str | None:
    """What the last change did, after its redirect (`?said=<outcome>&id=<n>&n=<count>`): a
    known outcome only, told with numbers only, so an address cannot put words in the page."""
    query = request.query
    tell = outcomes.get(query.get("said", ""))
    numbers = [query.get(name, "0") for name in ("id", "n")]
    if tell is None or not all(n.isascii() and n.isdigit() and len(n) <= 18 for n in numbers):
        return None
    return tell(int(numbers[0]), int(numbers[1]))
