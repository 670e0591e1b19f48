"""What `/jielong` asks for: the title, and optionally the end, the limit, the price and the
options members choose from (a size, a flavour)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.clock import end_typed
from services.order_files import amount_in_fen
from services.words import OptionsOutOfOrder, head_and_options

MAX_TITLE = 200
MAX_LIMIT = 100_000
MAX_OPTIONS = 8
MAX_OPTION = 12  # characters: an option is a button's label
OPTIONS = ("ends", "limit", "price", "options")


class JielongInputError(ValueError):
    """Which part of `/jielong` could not be used: "title", "ends", "limit", "price", "options"."""


@dataclass(frozen=True, slots=True)
class JielongSpec:
    title: str
    ends_at: datetime | None = None  # None: open until an admin ends it
    limit: int | None = None  # the most, all entries together
    price_fen: int | None = None
    options: tuple[str, ...] = ()


def parse_jielong(args: str, now: datetime, timezone: str) -> JielongSpec:
    """`<title> [ends=2h|2026-12-01 20:00] [limit=50] [price=29.9] [options=S|M|L]`, options in
    any order after the title."""
    try:
        title, options = head_and_options(args, OPTIONS)
    except OptionsOutOfOrder as error:
        raise JielongInputError(error.field or "title") from None
    text = " ".join(title)
    if not text or len(text) > MAX_TITLE:
        raise JielongInputError("title")
    limit = None
    if "limit" in options:
        if not options["limit"].isdigit() or not 1 <= int(options["limit"]) <= MAX_LIMIT:
            raise JielongInputError("limit")
        limit = int(options["limit"])
    price = None
    if "price" in options:
        price = amount_in_fen(options["price"])
        if not price:
            raise JielongInputError("price")
    return JielongSpec(
        title=text,
        ends_at=_end(options["ends"], now, timezone) if "ends" in options else None,
        limit=limit,
        price_fen=price,
        options=_choices(options.get("options")),
    )


def _choices(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    choices = tuple(part.strip() for part in value.replace("｜", "|").split("|"))
    if (
        not 2 <= len(choices) <= MAX_OPTIONS
        or len(set(choices)) != len(choices)
        or not all(0 < len(choice) <= MAX_OPTION for choice in choices)
    ):
        raise JielongInputError("options")
    return choices


def _end(value: str, now: datetime, timezone: str) -> datetime:
    ends_at = end_typed(value, now, timezone)
    if ends_at is None:
        raise JielongInputError("ends")
    return ends_at
