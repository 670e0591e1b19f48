"""Who may be in a VIP room: the rule `/vip room` takes ("gold", "gold or paid",
"spend>=500 or tag:vip") read into parts, and a member's standing checked against it. Pure: the
account's figures come in, the verdict and what would qualify them go out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.labels import LabelError, normalise
from services.tiers import BY_SPEND, Tier

SEPARATORS = re.compile(r"\s+(?:or|或)\s+|\s*[|,，]\s*", re.IGNORECASE)
SPEND = re.compile(r"spend>=(\d{1,9})", re.IGNORECASE)
PAID = ("paid", "付费")
MAX_PARTS = 5


class RuleError(ValueError):
    """Why the words are no rule: `empty`, `tier` (no such tier: `word`) or `long`."""

    def __init__(self, reason: str, word: str = "") -> None:
        super().__init__(reason)
        self.reason, self.word = reason, word


@dataclass(frozen=True, slots=True)
class Rule:
    """Any one part lets a member in: a tier or above, lifetime spend (yuan), a label
    (the admins' own, never named to the member), an active paid membership."""

    tier: str | None = None  # the key of the lowest tier that qualifies
    spend_yuan: int | None = None
    label: str | None = None
    paid: bool = False

    def text(self) -> str:
        """The rule as stored (`tier:gold|paid`)."""
        parts = [f"tier:{self.tier}"] if self.tier else []
        parts += [f"spend:{self.spend_yuan}"] if self.spend_yuan is not None else []
        parts += [f"tag:{self.label}"] if self.label else []
        parts += ["paid"] if self.paid else []
        return "|".join(parts)

    @classmethod
    def stored(cls, text: str) -> Rule:
        found: dict[str, str] = {}
        for part in text.split("|"):
            kind, _colon, value = part.partition(":")
            found[kind] = value
        spend = found.get("spend")
        return cls(
            tier=found.get("tier") or None,
            spend_yuan=int(spend) if spend else None,
            label=found.get("tag") or None,
            paid="paid" in found,
        )


def parse_rule(words: str, ladder: Sequence[Tier]) -> Rule:
    """`gold or paid`, `spend>=500`, `tag:vip | 金牌`: a RuleError says what is wrong."""
    parts = [part for part in SEPARATORS.split(words.strip()) if part]
    if not parts:
        raise RuleError("empty")
    if len(parts) > MAX_PARTS:
        raise RuleError("long")
    tier: Tier | None = None
    spend: int | None = None
    label: str | None = None
    paid = False
    for part in parts:
        if part.casefold() in PAID:
            paid = True
        elif found := SPEND.fullmatch(part):
            spend = int(found[1])
        elif part.lower().startswith("tag:"):
            try:
                label = normalise(part[4:])
            except LabelError:
                raise RuleError("tier", part) from None
        else:
            named = next((t for t in ladder if t.answers_to(part)), None)
            if named is None:
                raise RuleError("tier", part)
            if tier is None or named.threshold < tier.threshold:
                tier = named
    return Rule(tier.key if tier else None, spend, label, paid)


@dataclass(frozen=True, slots=True)
class Account:
    """What a rule asks of a member's account in the program."""

    tier: str | None  # the tier held now (a paid membership's included)
    figure: int  # what the ladder goes by: lifetime points or spend in yuan
    spent_yuan: int
    labels: frozenset[str] = frozenset()
    paid: bool = False


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What would qualify a member: `points` (or `tier_yuan` spent, on a ladder by spend) more
    to reach `tier`, `yuan` more spent, or a plan bought (`paid`); `invited`: a label only the
    admins give."""

    tier: Tier | None = None
    points: int = 0
    tier_yuan: int = 0
    yuan: int | None = None
    paid: bool = False
    invited: bool = False


def qualifies(rule: Rule, account: Account, ladder: Sequence[Tier]) -> bool:
    if rule.paid and account.paid:
        return True
    if rule.label is not None and rule.label in account.labels:
        return True
    if rule.spend_yuan is not None and account.spent_yuan >= rule.spend_yuan:
        return True
    if rule.tier is not None:
        wanted = next((t for t in ladder if t.key == rule.tier), None)
        held = next((t for t in ladder if t.key == account.tier), None)
        return wanted is not None and held is not None and held.threshold >= wanted.threshold
    return False


def shortfall(rule: Rule, account: Account, ladder: Sequence[Tier], basis: str) -> Shortfall:
    """What the member lacks, part by part (a member who qualifies lacks nothing)."""
    tier = next((t for t in ladder if t.key == rule.tier), None) if rule.tier else None
    short = max(0, tier.threshold - account.figure) if tier is not None else 0
    points, tier_yuan = (0, short) if basis == BY_SPEND else (short, 0)
    yuan = max(0, rule.spend_yuan - account.spent_yuan) if rule.spend_yuan is not None else None
    return Shortfall(tier, points, tier_yuan, yuan, rule.paid, rule.label is not None)
