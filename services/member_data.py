"""Everything fanbot holds about a member (`/mydata`, the right of access: PIPL art. 45, GDPR
art. 15), as one JSON document: each table's rows about them, with the columns that are other
people's data (the admin who acted, who reported them) left out.

`SECTIONS` names every table with a `user_id` column, `LEFT_OUT` the ones deliberately not
exported and why; `tests/unit/test_member_data.py` fails when a table with a `user_id` column
is in neither, so a new feature's table is not forgotten. Tables that name the member under
another column (`target_id`, `invitee_id`, `reporter_id`) are in `OTHER_COLUMNS`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Base, Chat, Draw, DrawEntry, Redemption, Referral, RewardCode
from services.clock import Clock

# Tables with a `user_id` column, each with the columns not exported: other people's ids (the
# admin who labelled, warned, bound; who granted a role) and internal keys of no meaning.
SECTIONS: Mapping[str, frozenset[str]] = {
    "members": frozenset(),
    "points_ledger": frozenset({"actor", "idempotency_key"}),
    "points_periods": frozenset(),
    "points_expiry_warnings": frozenset(),
    "checkins": frozenset(),
    "draw_entries": frozenset(),
    "event_seats": frozenset({"checked_in_by"}),  # sign-ups and tickets (issue 40)
    "redemptions": frozenset({"key"}),
    "orders": frozenset(),
    "buyer_bindings": frozenset({"bound_by"}),
    "bind_tries": frozenset(),
    "labels": frozenset({"added_by"}),
    "member_notes": frozenset({"author_id"}),
    "member_tags": frozenset(),
    "member_segments": frozenset(),
    "warnings": frozenset({"actor_id"}),
    "bans": frozenset(),
    "verifications": frozenset({"answer"}),
    "channel_joins": frozenset(),
    "invite_links": frozenset(),
    "chat_boosts": frozenset(),
    "reaction_days": frozenset(),
    "message_authors": frozenset(),
    "topic_members": frozenset(),
    "topic_reactions": frozenset(),
    "topic_replies": frozenset(),
    "raid_joins": frozenset(),
    "staff": frozenset({"granted_by"}),
    "erasures": frozenset({"requested_by"}),
    "game_entries": frozenset(),
    "game_days": frozenset(),
    "badges": frozenset({"given_by"}),
    "quest_completions": frozenset(),
    "quest_events": frozenset(),
    "season_results": frozenset(),
    "jielong_entries": frozenset(),
    "group_buy_members": frozenset(),
    "vip_seats": frozenset(),
    "vip_memberships": frozenset(),
    "vip_payments": frozenset({"refunded_by"}),  # the admin who refunded
    "distributors": frozenset({"added_by"}),  # a distributor's rate and earnings
    "distributor_codes": frozenset(),
    "commissions": frozenset(),  # what they earned on each order (not whose order it was)
    "commission_entries": frozenset({"actor", "key"}),
}

# Tables with a `user_id` column deliberately not exported, and why.
LEFT_OUT: Mapping[str, str] = {
    "console_logins": "one-time web console sign-in nonces: secrets used within minutes, "
    "not a record about the member",
}

# Tables that name the member under another column: (column, columns not exported).
OTHER_COLUMNS: Mapping[str, tuple[str, frozenset[str]]] = {
    "mod_actions": ("target_id", frozenset({"actor_id"})),
    "reports": ("target_id", frozenset({"reported_by", "reporters", "handled_by"})),
    "report_votes": ("reporter_id", frozenset()),
    "referrals": ("invitee_id", frozenset({"inviter_id"})),  # how they came, not who asked
}


@dataclass(frozen=True, slots=True)
class MemberData:
    user_id: int
    document: dict[str, Any]

    def rows(self, section: str) -> list[dict[str, Any]]:
        return list(self.document["tables"].get(section, []))

    def as_json(self) -> bytes:
        """UTF-8, indented, Chinese as itself (not \\u escapes)."""
        return json.dumps(self.document, ensure_ascii=False, indent=2, default=_plain).encode()


def tables_with_user_id() -> set[str]:
    return {name for name, table in Base.metadata.tables.items() if "user_id" in table.c}


class MemberDataService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def export(self, user_id: int) -> MemberData:
        tables: dict[str, list[dict[str, Any]]] = {}
        for name, hidden in SECTIONS.items():
            tables[name] = await self._rows(name, "user_id", user_id, hidden)
        for name, (column, hidden) in OTHER_COLUMNS.items():
            tables[name] = await self._rows(name, column, user_id, hidden)
        chat_ids = {
            row[key] for rows in tables.values() for row in rows
            for key in ("chat_id", "program_id") if isinstance(row.get(key), int)
        }  # fmt: skip
        document: dict[str, Any] = {
            "user_id": user_id,
            "exported_at": self.clock.now(),
            "groups": await self._titles(chat_ids),
            "tables": tables,
            "draws_won": await self._draws_won(user_id),
            "codes": await self._codes(user_id),
            "referrals_made": await self._referrals_made(user_id),
            "left_out": dict(LEFT_OUT),
        }
        return MemberData(user_id, document)

    async def _rows(
        self, name: str, column: str, user_id: int, hidden: frozenset[str]
    ) -> list[dict[str, Any]]:
        table: Table = Base.metadata.tables[name]
        found = await self.session.execute(select(table).where(table.c[column] == user_id))
        return [
            {key: value for key, value in row._mapping.items() if key not in hidden}
            for row in found
        ]

    async def _titles(self, chat_ids: set[int]) -> dict[str, str]:
        if not chat_ids:
            return {}
        rows = await self.session.execute(
            select(Chat.id, Chat.title).where(Chat.id.in_(sorted(chat_ids)))
        )
        return {str(chat_id): title or "" for chat_id, title in rows}

    async def _draws_won(self, user_id: int) -> list[dict[str, Any]]:
        entered = select(DrawEntry.draw_id).where(DrawEntry.user_id == user_id)
        draws = await self.session.scalars(select(Draw).where(Draw.id.in_(entered)))
        return [
            {"draw_id": d.id, "chat_id": d.chat_id, "prize": d.prize, "ended_at": d.ended_at}
            for d in draws
            if user_id in (d.winner_ids or [])
        ]

    async def _codes(self, user_id: int) -> list[dict[str, Any]]:
        """The codes of their own redemptions: theirs to see, as /mycoupons shows them."""
        rows = await self.session.execute(
            select(Redemption.id, RewardCode.code)
            .join(RewardCode, RewardCode.id == Redemption.code_id)
            .where(Redemption.user_id == user_id)
        )
        return [{"redemption_id": rid, "code": code} for rid, code in rows]

    async def _referrals_made(self, user_id: int) -> list[dict[str, Any]]:
        """Friends they invited, counted: who the friends are is the friends' data."""
        rows = await self.session.execute(
            select(Referral.chat_id, Referral.status, func.count())
            .where(Referral.inviter_id == user_id)
            .group_by(Referral.chat_id, Referral.status)
        )
        return [
            {"chat_id": chat_id, "status": status, "friends": count}
            for chat_id, status, count in rows
        ]


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, Sequence):
        return list(value)
    return str(value)
