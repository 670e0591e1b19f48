"""What the web console reads: the groups, a members list that pages by index, a member's
history, and the single use of a one-time login link."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Chat, Checkin, ConsoleLogin, Draw, DrawEntry, LedgerEntry, Member
from services.clock import Clock
from services.labels import LabelError, labelled, normalise
from services.stats import Segment, SegmentService
from services.tiers import Tier

PAGE = 50
SORTS = ("points", "seen")
HISTORY = 50  # rows of each kind on a member's page
MAX_QUERY = 64
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The latest "seen" a cursor may name, in microseconds after EPOCH (Python's dates end in 9999).
MAX_SEEN = (datetime(9999, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class MemberQuery:
    """The members list's search, filters and sort, as the page's form sends them."""

    text: str = ""
    tier: str = ""
    segment: str = ""
    label: str = ""  # normalised; "" when none, or not a label
    sort: str = "points"
    after: str = ""  # the cursor: where the previous page ended

    @classmethod
    def of(cls, values: dict[str, str]) -> MemberQuery:
        sort = values.get("sort", "points")
        return cls(
            values.get("q", "").strip()[:MAX_QUERY],
            values.get("tier", "")[:64],
            values.get("segment", "") if values.get("segment", "") in set(Segment) else "",
            _label(values.get("label", "")),
            sort if sort in SORTS else "points",
            values.get("after", "")[:64],
        )


def _label(value: str) -> str:
    try:
        return normalise(value[:64]) if value.strip() else ""
    except LabelError:
        return ""


@dataclass(frozen=True, slots=True)
class MembersPage:
    members: list[Member]
    next_after: str | None  # the cursor of the next page, None on the last
    # Each member's account, when the group joined another's program (points, tier: there).
    accounts: dict[int, Member] = field(default_factory=dict)

    def account(self, member: Member) -> Member:
        return self.accounts.get(member.user_id, member)


@dataclass(frozen=True, slots=True)
class MemberHistory:
    member: Member  # in the group: seen, messages
    ledger: list[LedgerEntry]
    checkins: list[Checkin]
    draws: list[tuple[Draw, DrawEntry]]
    account: Member  # points, tier, streak: the program's account (the same row on its own)


class ConsoleService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def groups(self) -> list[Chat]:
        """Every active group the bot is in; the console keeps those the user administers."""
        found = await self.session.scalars(
            select(Chat).where(Chat.active.is_(True), Chat.type != "private").order_by(Chat.title)
        )
        return list(found)

    async def use_login_link(self, nonce: str, user_id: int) -> bool:
        """True the first time a link's nonce is used, on any worker; False after that."""
        try:
            async with self.session.begin_nested():
                self.session.add(ConsoleLogin(nonce=nonce, user_id=user_id,
                                              used_at=self.clock.now()))  # fmt: skip
        except IntegrityError:
            return False
        return True

    async def members(
        self, chat_id: int, query: MemberQuery, timezone: str, ladder: list[Tier],
        program_id: int | None = None,
    ) -> MembersPage:  # fmt: skip
        """One page of present members, best first by points (or most recently seen), found
        by keyset over the (chat, points|last seen, user) indexes: page 2,000 of a 100,000
        member group costs what page 1 does."""
        where: list[ColumnElement[bool]] = [Member.chat_id == chat_id, Member.left_at.is_(None)]
        joined = program_id is not None and program_id != chat_id
        account = aliased(Member, name="account") if joined else Member
        if query.text:
            where.append(self._search(query.text))
        if query.tier:
            where.append(account.tier == query.tier)
        if query.segment:
            segment = Segment(query.segment)
            inside: Select[Any] = await SegmentService(self.session, self.clock).members_of(
                chat_id, segment, timezone, ladder
            )
            where.append(Member.user_id.in_(inside))
        if query.label:  # the program's label (the group is its own program when not told)
            where.append(Member.user_id.in_(labelled(program_id or chat_id, query.label)))
        key = account.points if query.sort == "points" else Member.last_seen_at
        statement = select(Member).where(*where)
        if joined:  # the points and tier shown, sorted and filtered are the account's
            statement = statement.join(
                account, (account.chat_id == program_id) & (account.user_id == Member.user_id)
            )
        cursor = _cursor(query.after)
        if query.sort == "seen":
            # Members never seen (joined before the bot, entered a draw only) come last.
            if cursor is not None and cursor[0] is None:
                statement = statement.where(key.is_(None), Member.user_id < cursor[1])
            elif cursor is not None and cursor[0] is not None:
                seen = EPOCH + timedelta(microseconds=max(min(cursor[0], MAX_SEEN), 0))
                statement = statement.where(
                    or_(tuple_(key, Member.user_id) < tuple_(seen, cursor[1]), key.is_(None))
                )
            order = (key.desc().nulls_last(), Member.user_id.desc())
        else:
            if cursor is not None:
                statement = statement.where(tuple_(key, Member.user_id) < tuple_(*cursor))
            order = (key.desc(), Member.user_id.desc())
        rows = list(await self.session.scalars(statement.order_by(*order).limit(PAGE + 1)))
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        accounts = await self._accounts(program_id, rows) if joined else {}
        page = MembersPage(rows, None, accounts)
        return replace(page, next_after=_next_cursor(page, rows[-1], query.sort) if more else None)

    async def _accounts(self, program_id: int | None, rows: list[Member]) -> dict[int, Member]:
        found = await self.session.scalars(
            select(Member).where(
                Member.chat_id == program_id, Member.user_id.in_([m.user_id for m in rows])
            )
        )
        return {account.user_id: account for account in found}

    @staticmethod
    def _search(text: str) -> ColumnElement[bool]:
        """By id (all digits), @username or any part of the name, case-insensitively."""
        needle = text.removeprefix("@").lower()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        found = or_(
            func.lower(Member.display_name).like(pattern, escape="\\"),
            func.lower(Member.username).like(pattern, escape="\\"),
        )
        if needle.isascii() and needle.isdigit() and len(needle) < 19:
            return or_(Member.user_id == int(needle), found)
        return found

    async def member(
        self, chat_id: int, user_id: int, program_id: int | None = None
    ) -> MemberHistory | None:
        """A member of the group with their account's history (the program's, when the group
        joined another's: their points, tier, ledger and sign-ins are kept there)."""
        member = await self.session.get(Member, (chat_id, user_id))
        if member is None:
            return None
        program_id = program_id or chat_id
        account = await self.session.get(Member, (program_id, user_id)) or member
        ledger = await self.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.chat_id == program_id, LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id.desc())
            .limit(HISTORY)
        )
        checkins = await self.session.scalars(
            select(Checkin)
            .where(Checkin.chat_id == program_id, Checkin.user_id == user_id)
            .order_by(Checkin.day.desc())
            .limit(HISTORY)
        )
        draws = await self.session.execute(
            select(Draw, DrawEntry)
            .join(DrawEntry, and_(DrawEntry.draw_id == Draw.id, DrawEntry.user_id == user_id))
            .where(Draw.chat_id == chat_id)
            .order_by(Draw.id.desc())
            .limit(HISTORY)
        )
        return MemberHistory(member, list(ledger), list(checkins),
                             [(draw, entry) for draw, entry in draws], account)  # fmt: skip


def _cursor(after: str) -> tuple[int | None, int] | None:
    """`<value>:<user id>` (value empty: in the never-seen tail), or None for the first page
    (a cursor comes back in the address: anyone may write one, of any digits and size)."""
    value, _, user = after.partition(":")
    whole = re.compile(r"-?[0-9]{1,18}")  # fits the database's 64 bits
    if not whole.fullmatch(user) or not (value == "" or whole.fullmatch(value)):
        return None
    return (int(value) if value else None), int(user)


def _next_cursor(page: MembersPage, last: Member, sort: str) -> str:
    if sort == "points":
        return f"{page.account(last).points}:{last.user_id}"
    seen = last.last_seen_at
    return f"{(seen - EPOCH) // timedelta(microseconds=1) if seen else ''}:{last.user_id}"
