"""What a member list from another tool says: each member's carried-over figures, or why its
line is refused.

A MEE6-style leaderboard export or a spreadsheet's CSV (UTF-8 or GBK, with or without a BOM):
`user_id` or `username` (`@` optional), `points`, and optionally `lifetime`, `tier`, `joined`
(a date) and `streak`, headed in English or Chinese (用户ID, 用户名, 积分, 累计积分, 等级,
加入时间, 连续签到). Read row by row (`read_members` yields as it goes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from services.files import TableFileError, table_rows
from services.order_files import EXCEL_TEXT, MAX_FILE_BYTES
from services.untrusted import fits_bigint

MAX_ROWS = 100_000
MAX_POINTS = 1_000_000  # the ledger's largest change: more is a typo
MAX_STREAK = 36_500
MAX_TIER = 64

COLUMNS = {
    "user_id": ("user_id", "user id", "userid", "id", "用户id", "用户编号"),
    "username": ("username", "user name", "user", "用户名", "用户"),
    "points": ("points", "积分", "balance", "余额", "xp"),
    "lifetime": ("lifetime", "lifetime points", "累计积分", "总积分"),
    "tier": ("tier", "等级", "会员等级"),
    "joined": ("joined", "joined_at", "joined at", "加入时间", "入群时间"),
    "streak": ("streak", "连续签到", "连续签到天数"),
}
USERNAME = re.compile(r"^@?(\w{3,32})$", re.ASCII)


class MemberFileError(TableFileError):
    """A members file that cannot be read as a whole (`TableFileError`'s reasons)."""


@dataclass(frozen=True, slots=True)
class MemberLine:
    line: int
    user_id: int | None
    username: str | None  # lower case, without @; None when the line names an id
    points: int
    lifetime: int | None = None
    tier: str | None = None
    joined: date | None = None
    streak: int | None = None


@dataclass(frozen=True, slots=True)
class RefusedMember:
    line: int
    # member, unknown username, points, out of range, lifetime, tier, joined, streak, twice,
    # too long
    reason: str


def read_members(data: bytes) -> Iterator[MemberLine | RefusedMember]:
    """Each row as a member's figures or a refusal; MemberFileError before the first when the
    file cannot be read, or at the row past `MAX_ROWS`."""
    header, rows = table_rows(data, MAX_FILE_BYTES, MemberFileError)
    where = _columns(header)
    missing = tuple(
        name
        for name, present in (
            ("user_id|username", "user_id" in where or "username" in where),
            ("points", "points" in where),
        )
        if not present
    )
    if missing:
        raise MemberFileError("columns", missing)
    return _members(rows, where)


def _members(
    rows: Iterator[list[str] | None], where: dict[str, int]
) -> Iterator[MemberLine | RefusedMember]:
    count = 0
    for line, row in enumerate(rows, start=2):
        if row is not None and not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > MAX_ROWS:
            raise MemberFileError("too many rows")
        yield RefusedMember(line, "too long") if row is None else _member(line, row, where)


def _columns(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lstrip("\ufeff").casefold() for cell in header]
    where: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.casefold() in names and names.index(alias.casefold()) not in where.values():
                where[field] = names.index(alias.casefold())
                break
    return where


def _count(text: str, most: int) -> int | str | None:
    """A whole number 0..most; None for none given; "bad" or "range" for why not."""
    cleaned = text.replace(",", "").replace("_", "").strip()
    if not cleaned:
        return None
    if re.fullmatch(r"-?[0-9]{1,12}(?:\.0+)?", cleaned) is None:
        return "bad"
    value = int(cleaned.split(".")[0])
    return value if 0 <= value <= most else "range"


def _member(line: int, row: list[str], where: dict[str, int]) -> MemberLine | RefusedMember:
    def cell(field: str) -> str:
        index = where.get(field)
        value = row[index].strip() if index is not None and index < len(row) else ""
        found = EXCEL_TEXT.match(value)
        return (found[1] if found else value).lstrip("'\t").strip()

    user_id: int | None = None
    username: str | None = None
    raw_id = cell("user_id")
    if (
        raw_id.isascii()
        and raw_id.isdigit()
        and len(raw_id) <= 20
        and int(raw_id) > 0
        and fits_bigint(int(raw_id))
    ):
        user_id = int(raw_id)
    elif raw_id:
        return RefusedMember(line, "member")
    elif found := USERNAME.match(cell("username")):
        username = found[1].lower()
    else:
        return RefusedMember(line, "member")
    points = _count(cell("points"), MAX_POINTS)
    if points is None or points == "bad":
        return RefusedMember(line, "points")
    if points == "range":
        return RefusedMember(line, "out of range")
    lifetime = _count(cell("lifetime"), MAX_POINTS * 100)
    if isinstance(lifetime, str):
        return RefusedMember(line, "lifetime")
    assert isinstance(points, int)
    streak = _count(cell("streak"), MAX_STREAK)
    if isinstance(streak, str):
        return RefusedMember(line, "streak")
    tier = cell("tier") or None
    if tier is not None and (len(tier) > MAX_TIER or not tier.isprintable()):
        return RefusedMember(line, "tier")
    joined = None
    if raw_joined := cell("joined"):
        try:
            joined = datetime.fromisoformat(raw_joined.replace("/", "-")[:10]).date()
        except ValueError:
            return RefusedMember(line, "joined")
    return MemberLine(line, user_id, username, points, lifetime, tier, joined, streak)
