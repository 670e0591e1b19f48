"""What a zh reader would see as left in English: a raw key (a tier's `bronze`, a ledger reason
`checkin`, a state `issued`), a sentence of the English catalogue, a duration written for the
parser (`30m`, `HH:MM`), or a run of English words. What a person types or taps is English on
purpose and ignored: code spans, /commands, links, @names and #tags.

    assert untranslated(reply) == []
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from services.draw_entries import JoinOutcome
from services.exports import ExportKind
from services.order_files import OrderStatus
from services.referrals import ReferralStatus
from services.stats import Segment
from services.tiers import DEFAULTS
from views.member_card import REASONS

CATALOGUE = Path(__file__).resolve().parents[2] / "locales" / "en" / "LC_MESSAGES" / "messages.po"

# Stored values a page or reply must never show as they are stored.
STATES = {
    "open", "ended", "drawn", "cancelled", "canceled", "issued", "used", "void", "expired",
    "pending", "confirmed", "paid", "unpaid", "refunded", "closed", "bound", "unproven",
    "queued", "sent", "failed", "draft", "scheduled", "active", "inactive", "auto", "off",
    "on", "daily", "weekly", "monthly", "admins", "admin", "members", "member", "points",
    "shop", "makeup", "message", "checkin", "purchase", "clawback", "redeem",
}  # fmt: skip

TYPED = re.compile(
    r"<(code|pre)\b[^>]*>.*?</\1>"  # what to type, shown as code
    r"|(?:https?://|tg://|t\.me/)\S+"  # links
    r"|(?<![\w/])/[a-z][a-z0-9_]*(?:@\w+)?(?: [a-z]+\b)?"  # /commands, and a subcommand
    r"|[@#]\w+",  # @names and #tags
    re.DOTALL | re.IGNORECASE,
)
TAG = re.compile(r"<[^>]+>")
PARSER_FORMS = re.compile(
    r"(?<![\w.])(?:\d+(?:m|h|d|min|s)|HH:MM|YYYY-MM-DD)(?![\w])"  # what a parser reads
    r"|\b[a-z]+:\d+\b"  # a stored reference, `reward:1`
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
ENGLISH_RUN = re.compile(r"\b[a-z]{2,}(?:[ ,'’-]+[a-z]+)+\b")
PLACEHOLDER = re.compile(r"\{[^}]*\}|%\(\w+\)s|%s|%d")


def untranslated(text: str, allow: Iterable[str] = ()) -> list[str]:
    """The pieces of a zh `text` (HTML or a page's visible text) a zh reader would find in
    English. `allow` names what the test itself typed in English (a prize called "Tea set")."""
    for allowed in allow:
        text = text.replace(allowed, " ")
    plain = TAG.sub(" ", TYPED.sub(" ", text))
    found = [m.group(0) for m in PARSER_FORMS.finditer(plain)]
    found += [chunk for chunk in catalogue_sentences() if chunk in plain]
    found += [m.group(0) for m in ENGLISH_RUN.finditer(plain)]
    found += [
        word
        for word in WORD.findall(plain)
        if word.lower() in known_keys() and not word.isupper()  # KOL, VIP are zh usage too
    ]
    return sorted(set(found))


@cache
def known_keys() -> frozenset[str]:
    keys = set(DEFAULTS) | set(REASONS) | STATES
    for enum in (Segment, ExportKind, OrderStatus, ReferralStatus, JoinOutcome):
        keys |= {str(member.value) for member in enum}
    return frozenset(key for key in keys if " " not in key)


@cache
def catalogue_sentences() -> tuple[str, ...]:
    """Every English msgid's literal pieces of three words or more: one of them in a zh text is
    a sentence that reached the reader untranslated."""
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    pieces: set[str] = set()
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            for piece in PLACEHOLDER.split(TAG.sub(" ", str(msgid))):
                piece = piece.strip(" .,:;!?()·—-\n")
                if len(WORD.findall(piece)) >= 3:
                    pieces.add(piece)
    return tuple(sorted(pieces))
