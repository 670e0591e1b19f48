"""What `/groupbuy` asks for: the item, its price tiers (`2:99,5:89,10:79`: from 2 members
¥99, from 5 ¥89, ...), the end, and optionally the shop's code pool the codes come from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from services.clock import end_typed
from services.order_files import amount_in_fen
from services.words import OptionsOutOfOrder, head_and_options

MAX_ITEM = 200
MAX_TIERS = 6
MAX_MEMBERS = 10_000
OPTIONS = ("ends", "pool")
TIER = re.compile(r"^(\d{1,5})[:：]([0-9.]+)$")


class GroupBuyInputError(ValueError):
    """Which part of `/groupbuy` could not be used: "item", "tiers", "ends", "pool"."""


@dataclass(frozen=True, slots=True)
class GroupBuySpec:
    item: str
    tiers: tuple[tuple[int, int], ...]  # (members, price in fen), fewest first, cheaper each
    ends_at: datetime
    reward_id: int | None = None  # the shop reward whose code pool pays out


def parse_group_buy(args: str, now: datetime, timezone: str) -> GroupBuySpec:
    """`<item> <tiers> ends=<when> [pool=<reward id>]`: the tiers are the last word before the
    options."""
    try:
        rest, options = head_and_options(args, OPTIONS)
    except OptionsOutOfOrder as error:
        raise GroupBuyInputError(error.field or "item") from None
    if len(rest) < 2 or len(" ".join(rest[:-1])) > MAX_ITEM:
        raise GroupBuyInputError("item")
    tiers = _tiers(rest[-1])
    if "ends" not in options:
        raise GroupBuyInputError("ends")
    pool = None
    if "pool" in options:
        if not options["pool"].isdigit() or not 0 < int(options["pool"]) < 10**12:
            raise GroupBuyInputError("pool")
        pool = int(options["pool"])
    return GroupBuySpec(" ".join(rest[:-1]), tiers, _end(options["ends"], now, timezone), pool)


def _tiers(text: str) -> tuple[tuple[int, int], ...]:
    tiers: list[tuple[int, int]] = []
    for part in text.replace("，", ",").split(","):
        found = TIER.match(part)
        fen = amount_in_fen(found[2]) if found else None
        if found is None or not fen or not 2 <= int(found[1]) <= MAX_MEMBERS:
            raise GroupBuyInputError("tiers")
        tiers.append((int(found[1]), fen))
    ordered = all(
        more > fewer and cheaper < dearer for (fewer, dearer), (more, cheaper) in pairwise(tiers)
    )
    if not 1 <= len(tiers) <= MAX_TIERS or not ordered:
        raise GroupBuyInputError("tiers")
    return tuple(tiers)


def _end(value: str, now: datetime, timezone: str) -> datetime:
    ends_at = end_typed(value, now, timezone)
    if ends_at is None:
        raise GroupBuyInputError("ends")
    return ends_at
