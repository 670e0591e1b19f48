"""A coupon reward's code pool as an admin fills it: a file of codes read (one a line, or a
CSV's code column), or codes generated; and the code a redemption holds."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Redemption, RewardCode
from services.files import MixedEncoding, NotText, csv_rows, decode_text
from services.reward_specs import ShopInputError

MAX_CODE = 64
MAX_FILE_BYTES = 1 << 20
MAX_FILE_LINES = 100_000
MAX_GENERATED = 10_000
# Column names a code pool's CSV may use for its codes (Taobao and Youzan exports among them).
CODE_HEADERS = frozenset(
    {"code", "codes", "coupon", "coupon code", "券码", "优惠券码", "兑换码", "卡密"}
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed


@dataclass(frozen=True, slots=True)
class CodeFile:
    """A code pool's file as read: its codes with their line numbers, and the lines refused
    (line, reason: `not a code`, `too long`, `twice in the file`)."""

    codes: list[tuple[int, str]]
    refused: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CodeImport:
    added: int
    refused: list[tuple[int, str]]  # the file's, and `already in the pool`


def read_codes(data: bytes) -> CodeFile:
    """A code pool's file: one code a line, or a CSV whose code column is named (`code`, `券码`,
    …) or first; UTF-8 or GBK (as Taobao exports), with or without a BOM. A header line is
    skipped, blank lines ignored; codes refused are listed by line."""
    if len(data) > MAX_FILE_BYTES:
        raise ShopInputError("file", "too big")
    try:
        text = decode_text(data)
    except MixedEncoding as mixed:
        raise ShopInputError(
            "file", "mixed encoding", line=mixed.line, encoding=mixed.encoding
        ) from None
    except NotText:
        raise ShopInputError("file", "not text") from None
    rows = list(csv_rows(io.StringIO(text, newline="")))  # None: a field over the csv limit
    if len(rows) > MAX_FILE_LINES:
        raise ShopInputError("file", "too many lines")
    column, first = 0, 0
    header = rows[0] if rows else None
    if header is not None and any(cell.strip().casefold() in CODE_HEADERS for cell in header):
        column = next(i for i, c in enumerate(header) if c.strip().casefold() in CODE_HEADERS)
        first = 1
    codes: list[tuple[int, str]] = []
    refused: list[tuple[int, str]] = []
    seen: set[str] = set()
    for line, row in enumerate(rows[first:], start=first + 1):
        if row is None:
            refused.append((line, "too long"))
            continue
        cell = row[column].strip() if column < len(row) else ""
        if not cell:
            if any(value.strip() for value in row):
                refused.append((line, "not a code"))
            continue
        if len(cell) > MAX_CODE:
            refused.append((line, "too long"))
        elif not cell.isprintable() or any(char.isspace() for char in cell):
            refused.append((line, "not a code"))
        elif cell in seen:
            refused.append((line, "twice in the file"))
        else:
            seen.add(cell)
            codes.append((line, cell))
    if not codes and not refused:
        raise ShopInputError("file", "empty")
    return CodeFile(codes, refused)


def generated_codes(count: int, prefix: str) -> list[str]:
    """`count` random codes, `FAN-7K3M-Q9XD`: 40 bits each, from an alphabet without 0/O, 1/I."""
    if not 1 <= count <= MAX_GENERATED:
        raise ShopInputError("count")
    if len(prefix) > 16 or not all(char.isascii() and char.isalnum() for char in prefix):
        raise ShopInputError("prefix")

    def one() -> str:
        body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        return "-".join(part for part in (prefix.upper(), body[:4], body[4:]) if part)

    return [one() for _ in range(count)]


async def code_of(session: AsyncSession, redemption: Redemption) -> str | None:
    if redemption.code_id is None:
        return None
    return await session.scalar(select(RewardCode.code).where(RewardCode.id == redemption.code_id))
