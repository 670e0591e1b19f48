"""Numbers as every reply shows them: one way, in both languages."""

from __future__ import annotations


def number(value: int) -> str:
    """1000057 -> "1,000,057": grouped by thousands, as zh and en readers both write them."""
    return f"{value:,}"


def signed(value: int) -> str:
    """+1,200 / -20: a change of points."""
    return f"{value:+,}"


MEDALS = ("🥇", "🥈", "🥉")  # first, second and third, in /top, topics and the digest


def yuan(fen: int) -> str:
    """19900 -> "¥199.00", -150 -> "-¥1.50": an amount kept in fen (a payable below zero is
    owed back, so the sign goes before the currency)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
