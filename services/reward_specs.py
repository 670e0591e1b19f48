"""A reward as `/reward add|edit` and the console's form ask for it: name, price, stock, limit
per member and period, minimum tier, badge, kind and validity, checked once for both (whether
the badge is the program's is `ShopService`'s to say: it needs the database)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from services.badges import BadgeError, resolve_badge
from services.tiers import Tier
from services.words import OptionsOutOfOrder, head_and_options, no_hour

KINDS = ("coupon", "gift", "perk")
PERIODS = ("day", "week", "month", "ever")
OPTIONS = ("price", "stock", "limit", "per", "min_tier", "badge", "kind", "valid")
NO_BADGE = "-"  # `badge=-`: the reward asks for no badge any more
NO_BADGE_DASHES = frozenset({NO_BADGE, "—", "–", "－"})
MAX_NAME = 64
MAX_PRICE = 1_000_000
MAX_STOCK = 1_000_000
MAX_LIMIT = 1_000
MAX_VALID_DAYS = 3_650


class ShopInputError(ValueError):
    """`part` of an admin's command is wrong: name, price, stock, limit, per, min_tier, badge,
    kind, valid, prefix, count, file (`detail` says why; of a mixed encoding, `line` is the first
    not in `encoding`, the file's), or an option given twice."""

    def __init__(self, part: str, detail: str = "", *, line: int = 0, encoding: str = "") -> None:
        super().__init__(part)
        self.part = part
        self.detail = detail
        self.line = line
        self.encoding = encoding


@dataclass(frozen=True, slots=True)
class RewardSpec:
    name: str
    price: int
    kind: str = "coupon"
    stock: int | None = None
    limit_count: int | None = None
    limit_per: str = "ever"
    min_tier: str | None = None  # a tier key
    badge: str | None = None  # a badge of the program (a milestone's key or a given name)
    valid_days: int | None = None


def parse_reward(args: str, ladder: Sequence[Tier]) -> RewardSpec:
    """`<name> price=<points> [stock=N] [limit=N] [per=day|week|month|ever] [min_tier=…]
    [badge=…] [kind=coupon|gift|perk] [valid=30d]`, options in any order after the name."""
    return reward_spec(*_name_and_options(args), ladder)


def reward_spec(name: str, options: dict[str, str], ladder: Sequence[Tier]) -> RewardSpec:
    """A new reward from its name and options (`price`, `stock`, … as `/reward add` names
    them, values as text): the command's and the console's form's one validation."""
    if not name or len(name) > MAX_NAME:
        raise ShopInputError("name")
    if "price" not in options:
        raise ShopInputError("price")
    values = _reward_values(options, ladder)
    return RewardSpec(name=name, **values)  # type: ignore[arg-type]


def parse_changes(args: str, ladder: Sequence[Tier]) -> dict[str, object]:
    """The options of `/reward edit <id> …`: only those given, `name=` included."""
    name, options = _name_and_options(args)
    if name:
        raise ShopInputError("name")
    return reward_changes(options, ladder)


def reward_changes(options: dict[str, str], ladder: Sequence[Tier]) -> dict[str, object]:
    """A reward's changes from the options given (the command's and the console's)."""
    changes = _reward_values(options, ladder)
    if not changes:
        raise ShopInputError("price")  # nothing to change: the usage says what can be
    return changes


def _name_and_options(args: str) -> tuple[str, dict[str, str]]:
    try:
        name, options = head_and_options(args, OPTIONS, no_hour)
    except OptionsOutOfOrder as error:
        raise ShopInputError(error.field or "name") from None  # the name comes first, in one piece
    return " ".join(name), options


def _reward_values(options: dict[str, str], ladder: Sequence[Tier]) -> dict[str, object]:
    values: dict[str, object] = {}
    if "price" in options:
        values["price"] = _number(options["price"], "price", 0, MAX_PRICE)
    if "stock" in options:
        values["stock"] = _number(options["stock"], "stock", 0, MAX_STOCK)
    if "limit" in options:
        values["limit_count"] = _number(options["limit"], "limit", 1, MAX_LIMIT)
    if "per" in options:
        per = options["per"].lower()
        if per not in PERIODS:
            raise ShopInputError("per")
        values["limit_per"] = per
    if "kind" in options:
        kind = options["kind"].lower()
        if kind not in KINDS:
            raise ShopInputError("kind")
        values["kind"] = kind
    if "min_tier" in options:
        tier = next((t for t in ladder if t.answers_to(options["min_tier"])), None)
        if tier is None:
            raise ShopInputError("min_tier")
        values["min_tier"] = tier.key
    if "badge" in options:
        values["badge"] = _badge(options["badge"])
    if "valid" in options:
        days = options["valid"].lower().removesuffix("d")
        values["valid_days"] = _number(days, "valid", 1, MAX_VALID_DAYS)
    return values


def _badge(text: str) -> str | None:
    if unicodedata.normalize("NFKC", text).strip() in NO_BADGE_DASHES:  # －, — from zh keyboards
        return None
    try:
        return resolve_badge(text)  # a milestone's label means its key
    except BadgeError:
        raise ShopInputError("badge") from None


class NoSuchBadge(ShopInputError):
    """`badge=` names a badge nobody in the program holds and no milestone is called;
    `known` lists those that are (as they are written in `badge=`)."""

    def __init__(self, known: Sequence[str]) -> None:
        super().__init__("badge", "unknown")
        self.known = list(known)


def _number(text: str, part: str, low: int, high: int) -> int:
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ShopInputError(part)
    return int(text)
