"""Members moving in from another tool: what a member list would change (a dry run), and
applying it, a chunk of members a transaction (the caller's).

The file's `points` are what the old tool owed a member: carried over once in total. Each
member's import is ONE `points_ledger` row with reason `import` whose `delta` is the file's
figure less what imports already gave them, and whose `lifetime_delta` is the file's lifetime
(its points when it has none) less what imports already counted: so a second run of the same
file adds nothing, an updated file adds only the difference, and a lower figure takes nothing
away. Imported points are not earned here: no day counts, period totals or promotions; the
audit counts the row's `lifetime_delta` (`services/points_audit.py`), as it does a merge's.
Tier, streak and joined are applied to the account: the file's tier, else the one the imported
lifetime reaches, when above the member's (an import never demotes, and congratulates nobody),
the longer streak (it runs on if the member signs in today), the earlier join.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, Member
from models.queries import insert_for
from services.clock import Clock, local_day
from services.member_files import MemberLine, RefusedMember
from services.members import ensure_accounts, ensure_members
from services.points import IMPORTED
from services.tiers import Tier, TierService, standing, tier_figure

CHUNK = 500  # members a transaction: a 10,000-row file never holds the write lock for long


@dataclass(frozen=True, slots=True)
class PlannedMember:
    """One member's change: points and lifetime to add, what to set on the account."""

    line: MemberLine
    user_id: int
    known: bool  # an account in the program already
    add: int
    add_lifetime: int
    points_after: int  # what imports will have given in total
    lifetime_after: int
    tier: str | None = None


@dataclass(slots=True)
class ImportPlan:
    rows: int = 0
    matched: int = 0  # members the program knows
    new: int = 0  # new by id
    unchanged: int = 0  # already imported as the file says
    points: int = 0  # what the import adds in all
    refused: list[RefusedMember] = field(default_factory=list)
    changes: list[PlannedMember] = field(default_factory=list)
    applied: int = 0  # after applying: members whose ledger row was written now


class MemberImportService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def plan(
        self, program_id: int, groups: Sequence[int], lines: Iterable[MemberLine | RefusedMember]
    ) -> ImportPlan:
        """What the file would change in the program (`groups`: its groups, where a
        `@username` is looked up), refusals by line; writes nothing."""
        plan = ImportPlan()
        names = await self._usernames(groups)
        known = set(
            await self.session.scalars(select(Member.user_id).where(Member.chat_id == program_id))
        )
        given = await self.imported(program_id)
        ladder = await TierService(self.session).ladder(program_id)
        tiers = {t.key.casefold(): t.key for t in ladder} | {
            t.label(language).casefold(): t.key for t in ladder for language in ("zh", "en")
        }  # its key, or its name in either language (金牌, Gold)
        seen: set[int] = set()
        for read in lines:
            plan.rows += 1
            if isinstance(read, RefusedMember):
                plan.refused.append(read)
                continue
            user_id = read.user_id if read.user_id is not None else names.get(read.username or "")
            if user_id is None:
                plan.refused.append(RefusedMember(read.line, "unknown username"))
                continue
            if user_id in seen:
                plan.refused.append(RefusedMember(read.line, "twice"))
                continue
            tier = None
            if read.tier is not None:
                tier = tiers.get(read.tier.casefold())
                if tier is None:
                    plan.refused.append(RefusedMember(read.line, "tier"))
                    continue
            seen.add(user_id)
            points_given, lifetime_given = given.get(user_id, (0, 0))
            lifetime = max(read.lifetime or 0, read.points)
            change = PlannedMember(
                read, user_id, user_id in known,
                add=max(0, read.points - points_given),
                add_lifetime=max(0, lifetime - lifetime_given),
                points_after=max(read.points, points_given),
                lifetime_after=max(lifetime, lifetime_given),
                tier=tier,
            )  # fmt: skip
            plan.matched += change.known
            plan.new += not change.known
            plan.points += change.add
            plan.unchanged += not (change.add or change.add_lifetime)
            plan.changes.append(change)
        return plan

    async def apply(
        self, program_id: int, group_id: int, timezone: str, changes: Sequence[PlannedMember]
    ) -> int:
        """Apply planned changes in the caller's transaction: members whose row was written
        now (a key written before, by a run alongside, is skipped)."""
        now = self.clock.now()
        accounts = sorted({(program_id, change.user_id) for change in changes})
        if program_id == group_id:
            await ensure_members(self.session, accounts)
        else:
            await ensure_accounts(self.session, accounts, now)
        moving = [change for change in changes if change.add or change.add_lifetime]
        written: set[str] = set()
        if moving:
            rows = [
                {"chat_id": program_id, "user_id": c.user_id, "delta": c.add,
                 "reason": IMPORTED, "ref": None,
                 "idempotency_key": _key(program_id, c), "lifetime_delta": c.add_lifetime,
                 "created_at": now}
                for c in moving
            ]  # fmt: skip
            written = set(
                await self.session.scalars(
                    insert_for(self.session, LedgerEntry)
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(LedgerEntry.idempotency_key),
                    rows,
                )
            )
        carried = [
            {"chat": program_id, "member": c.user_id, "add": c.add, "lifetime": c.add_lifetime}
            for c in sorted(moving, key=lambda c: c.user_id)
            if _key(program_id, c) in written
        ]  # in key order, as every writer takes members
        if carried:
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member"))
                .values(
                    points=Member.points + bindparam("add"),
                    lifetime_points=Member.lifetime_points + bindparam("lifetime"),
                )
                .execution_options(dml_strategy="core_only"),
                carried,
            )
        # The day before today on the program's clock: a streak runs on from it.
        yesterday = local_day(now, timezone) - timedelta(days=1)
        tiers = TierService(self.session)
        ladder, basis = await tiers.ladder(program_id), await tiers.basis(program_id)
        loaded = await self.session.scalars(
            select(Member).where(
                Member.chat_id == program_id, Member.user_id.in_([c.user_id for c in changes])
            )
        )  # after the balances' update: each account's lifetime as imported
        accounts_now = {member.user_id: member for member in loaded}
        for change in changes:
            account = accounts_now[change.user_id]
            _set_account(account, change, yesterday, timezone)
            _raise_tier(account, change.tier, ladder, basis)
        return len(written)

    async def imported(self, program_id: int) -> dict[int, tuple[int, int]]:
        """Each member's (points, lifetime) imports gave them in the program."""
        rows = await self.session.execute(
            select(
                LedgerEntry.user_id,
                func.sum(LedgerEntry.delta),
                func.sum(func.coalesce(LedgerEntry.lifetime_delta, 0)),
            )
            .where(LedgerEntry.chat_id == program_id, LedgerEntry.reason == IMPORTED)
            .group_by(LedgerEntry.user_id)
        )
        return {user_id: (int(points), int(lifetime)) for user_id, points, lifetime in rows}

    async def _usernames(self, groups: Sequence[int]) -> dict[str, int]:
        rows = await self.session.execute(
            select(func.lower(Member.username), Member.user_id).where(
                Member.chat_id.in_(list(groups)), Member.username.is_not(None)
            )
        )
        return dict(rows.all())


def _set_account(member: Member, change: PlannedMember, yesterday: date, timezone: str) -> None:
    """The file's streak and joined on the account, where they add to what it has."""
    line = change.line
    if line.streak is not None and line.streak > member.streak:
        member.streak = line.streak
        member.best_streak = max(member.best_streak, line.streak)
        if member.last_checkin_day is None or member.last_checkin_day < yesterday:
            member.last_checkin_day = yesterday  # so it runs on at today's sign-in
    if line.joined is not None:
        joined = datetime.combine(line.joined, time(), ZoneInfo(timezone)).astimezone(UTC)
        if member.joined_at is None or joined < member.joined_at:
            member.joined_at = joined


def _raise_tier(member: Member, filed: str | None, ladder: list[Tier], basis: str) -> None:
    """The file's tier, else the one the imported lifetime reaches, when it ranks above the
    member's tier here: an import never demotes, and moves quietly (no congratulation)."""
    rank = {tier.key: n for n, tier in enumerate(ladder)}
    reached = standing(ladder, tier_figure(member, basis)).tier
    candidate = filed if filed is not None else (reached.key if reached else None)
    if candidate is not None and rank.get(candidate, -1) > rank.get(member.tier or "", -1):
        member.tier = candidate


def _key(program_id: int, change: PlannedMember) -> str:
    """Once per member and total: a run alongside with the same figures writes nothing."""
    return f"import:{program_id}:{change.user_id}:{change.points_after}:{change.lifetime_after}"
