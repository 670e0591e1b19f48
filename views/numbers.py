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
    """19900 -> "¥199.00": an amount the shop was paid, kept in fen."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"
