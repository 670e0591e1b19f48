"""Points: the ledger, the one place that changes balances.

Every change is a `points_ledger` row with an idempotency key, written in the same savepoint as
the member's balances, so a redelivered update, a retried job or a second worker never pays
twice, and `members.points == SUM(ledger.delta)` always holds (`services/points_audit.py`).
A single change and a batch of earnings take one path (`PointsService._apply`). What an
earning sets off above the ledger (a tier reached, its congratulation and entry rewards) is
reported through `Promotions`, which `services/promotions.py` implements: the ledger, the
lowest domain service, calls no service above it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, Member, PeriodTotal
from models.base import UTCDateTime
from models.queries import built_once, insert_for, table_of
from services.campaigns import CampaignService
from services.clock import Clock, local_day
from services.daystats import DayCounts
from services.members import ensure_accounts, ensure_members
from services.programs import ProgramMap
from services.standings import Balance, Standings, period_keys
from services.tiers import LadderCache, Tier, TierService

MAX_CHANGE = 1_000_000
# Points staked and paid back to a game's winner (dice): moved between members, never earned,
# so a duel moves no lifetime, tier or /top, and no campaign multiplies a stake's return.
WAGERED = frozenset({"dice", "dice_stake"})
# Positive changes that give back what was spent, rather than earn: they leave lifetime alone.
NOT_EARNED = frozenset({"refund"}) | WAGERED
# What a campaign does not multiply: an admin's own grant, money given back, and purchase
# points (their multipliers are those of the moment the order was paid, figured then), and a
# paid plan's points (issue 38: what the plan says, which its refund takes back).
NOT_BOOSTED = frozenset({"admin", "refund", "purchase", "vip"}) | WAGERED
# Deductions that take back earned points (a refunded order's): they lower lifetime too.
TAKEN_BACK = "clawback"
# A program joining another: a member's account moved, balance and lifetime (`lifetime_delta`),
# out of one program and into the other (services/program_merge.py); never earned nor spent.
MERGED = "merge"
# Points carried over from another tool (services/member_import.py): not earned here, the
# row's `lifetime_delta` is what it adds to lifetime, as a merge's.
IMPORTED = "import"
# Points that expired unspent (services/points_expiry.py): a deduction that is not spent and
# leaves lifetime alone.
EXPIRED = "expire"

MemberKey = tuple[int, int]  # (chat id, user id)
TierState = tuple[int, str | None]  # (the figure the chat's tiers go by, the tier key now)
MemberState = tuple[int, int, str | None, int]  # (points, lifetime points, tier, points owed)


class NotEnoughPoints(Exception):
    def __init__(self, balance: int) -> None:
        super().__init__(f"balance {balance} is too low")
        self.balance = balance


@dataclass(frozen=True, slots=True)
class Award:
    """One change of a member's points: an earning in a batch (`PointsService.award_many`),
    or the one change `PointsService.change` makes."""

    chat_id: int
    user_id: int
    points: int
    reason: str
    key: str
    ref: str | None = None
    campaign_id: int | None = None  # whose multiplier the caller figured into `points`


@dataclass(frozen=True, slots=True)
class Promotion:
    chat_id: int
    user_id: int
    tier: Tier


@dataclass(frozen=True, slots=True)
class AwardResult:
    applied: set[str] = field(default_factory=set)  # keys paid now (others were paid before)
    promotions: list[Promotion] = field(default_factory=list)
    paid: dict[str, int] = field(default_factory=dict)  # key -> points, multiplier included
    balances: dict[MemberKey, tuple[int, int]] = field(default_factory=dict)  # (points, lifetime)


class Promotions(Protocol):
    """What an earning sets off above the ledger, in its transaction: members whose figure
    reached another tier moved there, each promotion congratulated and rewarded. `states`:
    each member who just earned -> (lifetime points, tier now). The promotions made."""

    async def after_earning(
        self, timezones: Mapping[int, str], states: Mapping[MemberKey, TierState]
    ) -> list[Promotion]: ...


@dataclass(slots=True)
class _Moved:
    """What one member's changes applied now add up to."""

    delta: int = 0
    lifetime: int = 0  # earned, or taken back (a clawback lowers lifetime too): points issued
    spent: int = 0  # what deductions took, less what refunds gave back
    earned: int = 0
    earning: str | None = None  # the key of their first earning now (None: nothing earned)

    def add(self, points: int, reason: str, key: str) -> None:
        earns = points >= 0 and reason not in NOT_EARNED
        earned = points if earns else 0
        self.delta += points
        self.lifetime += points if reason == TAKEN_BACK else earned
        self.spent += 0 if reason in (TAKEN_BACK, EXPIRED) else earned - points
        if earns:
            self.earned += earned
            self.earning = self.earning or key


class PointsService(Standings):
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        default_timezone: str = "UTC",
        ladders: LadderCache | None = None,
        promotions: Callable[[PointsService], Promotions] | None = None,
        programs: ProgramMap | None = None,
    ) -> None:
        super().__init__(session, clock, default_timezone, programs)
        self.ladders = ladders
        self._boosts: dict[int, tuple[int, int] | None] = {}
        # None: the ledger alone, which moves nobody's tier (the factory wires promotions in).
        self.promotions = promotions(self) if promotions is not None else None

    async def boost(self, chat_id: int) -> tuple[int, int] | None:
        """(campaign id, multiplier in %) of the campaign running in the chat now, if any;
        asked once per chat by this service (one transaction, one moment)."""
        await self._load_boosts({chat_id})
        return self._boosts[chat_id]

    async def _load_boosts(self, chat_ids: set[int]) -> None:
        wanted = sorted(chat_ids - self._boosts.keys())
        if wanted:
            running = await CampaignService(self.session, self.clock).running_in(wanted)
            self._boosts |= {chat_id: running.get(chat_id) for chat_id in wanted}

    async def tier_multipliers(
        self, members: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], int]:
        """The points multiplier (in %) of each member's tier, for the chats whose ladder has
        one (`multiplier=1.2` in a tier's perks); a chat without reads only its cached ladder."""
        tiers = TierService(self.session, self.ladders)
        boosting: dict[int, dict[str, int]] = {}
        for chat_id in {chat_id for chat_id, _user in members}:
            ladder = await tiers.ladder(chat_id)
            found = {tier.key: tier.multiplier_pct for tier in ladder if tier.multiplier_pct > 100}
            if found:
                boosting[chat_id] = found
        wanted = sorted({member for member in members if member[0] in boosting})
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Member.chat_id, Member.user_id, Member.tier).where(
                tuple_(Member.chat_id, Member.user_id).in_(wanted)
            )
        )
        return {
            (chat_id, user_id): boosting[chat_id][tier]
            for chat_id, user_id, tier in rows
            if tier in boosting[chat_id]
        }

    async def change(
        self,
        chat_id: int,
        user_id: int,
        delta: int,
        *,
        reason: str,
        key: str,
        ref: str | None = None,
        actor: int | None = None,
        timezone: str | None = None,
        member_exists: bool = False,
        campaign_id: int | None = None,
    ) -> Balance:
        """Apply `delta` once per `key`; a negative delta never takes the balance below zero.

        `timezone` (the chat's) and `member_exists` (the caller holds the row) save a query each;
        `campaign_id` names the campaign whose multiplier a caller figured into `delta` itself.
        """
        if delta == 0 or abs(delta) > MAX_CHANGE:
            raise ValueError(f"a change must be between 1 and {MAX_CHANGE} points either way")
        timezones = {chat_id: timezone or await self.timezone_of(chat_id)}  # the group's clock
        change = Award(chat_id, user_id, delta, reason, key, ref, campaign_id)
        done = await self._apply([change], timezones, actor=actor, members_exist=member_exists)
        if key not in done.applied:
            return await self.balance(chat_id, user_id)
        points, lifetime = done.balances[await self.account_of(chat_id), user_id]
        promoted_to = done.promotions[0].tier if done.promotions else None
        return Balance(points, lifetime, applied=True, promoted_to=promoted_to, paid=done.paid[key])

    async def award_many(
        self,
        awards: Sequence[Award],
        timezones: Mapping[int, str],
        *,
        members_exist: bool = False,
    ) -> AwardResult:
        """Pay many earnings with a few statements, each once per key (the hot path of message
        points). A deduction or a refund is a `change` of its own: only alone can a deduction
        be refused. `timezones` maps each chat to its own; `members_exist` skips creating rows
        the caller holds locked."""
        if not awards:
            return AwardResult()
        if any(award.points < 0 or award.reason in NOT_EARNED for award in awards):
            raise ValueError("a batch pays earnings; a deduction or a refund is a change alone")
        return await self._apply(awards, timezones, members_exist=members_exist)

    async def _apply(
        self,
        changes: Sequence[Award],
        timezones: Mapping[int, str],
        *,
        actor: int | None = None,
        members_exist: bool,
    ) -> AwardResult:
        """The one way points change: price each change (campaign, tier), write its ledger row
        once per key, then the balances; repay what refunds left owing from what was earned,
        count the day, add to the period totals and report the earnings to promotions.

        A change named by a group is made to its program's account (the same id for a group on
        its own), its day counted on the group's clock."""
        in_groups = changes  # a campaign multiplies what is earned in its group
        changes, timezones = await self._in_programs(changes, timezones)
        # The caller holds the group's rows, not always the program's accounts.
        members_exist = members_exist and changes is in_groups
        if not members_exist:
            moved_in = {(c.chat_id, c.user_id) for g, c in zip(in_groups, changes, strict=True)
                        if g.chat_id != c.chat_id}  # fmt: skip
            await ensure_accounts(self.session, moved_in, self.clock.now())  # not in its group
            await ensure_members(
                self.session, ((c.chat_id, c.user_id) for c in changes), skip=moved_in
            )
        priced = await self._priced(in_groups, changes)
        where = {
            (c.chat_id, c.user_id): g.chat_id
            for g, c in zip(in_groups, changes, strict=True)
            if g.chat_id != c.chat_id
        }  # the group a program's account earned in, for the group's day counts
        now = self.clock.now()
        # A refused deduction (only ever alone) undoes its ledger row; an earning cannot be.
        refusable = any(points < 0 for points, _campaign in priced)
        async with self.session.begin_nested() if refusable else nullcontext():
            applied = await self._record(changes, priced, actor, now)
            paid: dict[str, int] = {}
            moved: dict[MemberKey, _Moved] = defaultdict(_Moved)
            for change, (points, _campaign) in zip(changes, priced, strict=True):
                if change.key in applied:
                    paid[change.key] = points
                    moved[change.chat_id, change.user_id].add(points, change.reason, change.key)
            if not moved:
                return AwardResult()
            if len(moved) == 1:
                states = await self._change_balances(*next(iter(moved.items())), now)
            else:
                states = await self._add_earnings(moved, now)
        owing = {
            member: (moved[member].earned, owed, earning)
            for member, (_points, _lifetime, _tier, owed) in states.items()
            if owed and (earning := moved[member].earning) is not None
        }  # rare: a refund took back more than the balance held
        repaid = await self._repay_owed(owing) if owing else {}
        balances = {
            member: (points - repaid.get(member, 0), lifetime - repaid.get(member, 0))
            for member, (points, lifetime, _tier, _owed) in states.items()
        }
        days = DayCounts()  # issued: what was earned; spent: what was taken (in each group)
        for (chat_id, user_id), member in moved.items():
            group = where.get((chat_id, user_id), chat_id)
            day = local_day(now, timezones.get(group) or timezones[chat_id])
            days.add(group, day, points_issued=member.lifetime, points_spent=member.spent)
        days.add_to(self.session)
        earned = {m: each.earned for m, each in moved.items() if each.earning is not None}
        tiers = {m: (balances[m][1], states[m][2]) for m in earned if m in states}
        promotions = await self._after_earning(timezones, earned, tiers) if earned else []
        return AwardResult(applied, promotions, paid, balances)

    async def _in_programs(
        self, changes: Sequence[Award], timezones: Mapping[int, str]
    ) -> tuple[Sequence[Award], Mapping[int, str]]:
        programs = await self.programs.of(self.session, {c.chat_id for c in changes})
        if all(program == chat_id for chat_id, program in programs.items()):
            return changes, timezones
        moved = [replace(c, chat_id=programs[c.chat_id]) for c in changes]
        zones = {programs[chat]: zone for chat, zone in timezones.items() if chat in programs}
        return moved, {**timezones, **zones}

    async def _priced(
        self, in_groups: Sequence[Award], changes: Sequence[Award]
    ) -> list[tuple[int, int | None]]:
        """Each change's points, an earning's multiplied by the campaign running in the group
        it is earned in (then named as the change's campaign) and by the member's tier in the
        program; and the change's campaign."""
        multiplied = [c for c in in_groups if _multiplied(c)]
        await self._load_boosts({c.chat_id for c in multiplied})  # one query for the chats
        accounts = [(c.chat_id, c.user_id) for c in changes if _multiplied(c)]
        tiered = await self.tier_multipliers(accounts)
        priced = []
        for where, change in zip(in_groups, changes, strict=True):
            points, campaign_id = change.points, change.campaign_id
            if _multiplied(change):
                if (boost := self._boosts[where.chat_id]) is not None:
                    campaign_id, pct = boost
                    points = times(points, pct)
                points = times(points, tiered.get((change.chat_id, change.user_id)))
            priced.append((points, campaign_id))
        return priced

    async def _record(
        self,
        changes: Sequence[Award],
        priced: Sequence[tuple[int, int | None]],
        actor: int | None,
        now: datetime,
    ) -> set[str]:
        """Write the ledger rows, each once per key: the keys written now."""
        rows = [
            {
                "chat_id": c.chat_id, "user_id": c.user_id, "delta": points, "reason": c.reason,
                "ref": c.ref, "idempotency_key": c.key, "actor": actor,
                "campaign_id": campaign_id, "created_at": now,
            }
            for c, (points, campaign_id) in zip(changes, priced, strict=True)
        ]  # fmt: skip
        inserted = await self.session.scalars(
            insert_for(self.session, LedgerEntry)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(LedgerEntry.idempotency_key),
            rows,
        )
        return set(inserted)

    async def _change_balances(
        self, member: MemberKey, moved: _Moved, now: datetime
    ) -> dict[MemberKey, MemberState]:
        """One member's balances, never below zero (else NotEnoughPoints), read back at once."""
        chat_id, user_id = member
        changed = (
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == user_id)
                .where(Member.points + moved.delta >= 0)
                .values(
                    points=Member.points + moved.delta,
                    lifetime_points=Member.lifetime_points + moved.lifetime,
                    lifetime_reached_at=(
                        now if moved.earning is not None else Member.lifetime_reached_at
                    ),
                )
                .returning(Member.points, Member.lifetime_points, Member.tier, Member.points_owed)
            )
        ).one_or_none()
        if changed is None:
            raise NotEnoughPoints((await self.balance(chat_id, user_id)).points)
        points, lifetime, tier, owed = changed
        return {member: (points, lifetime, tier, owed)}

    async def _add_earnings(
        self, moved: Mapping[MemberKey, _Moved], now: datetime
    ) -> dict[MemberKey, MemberState]:
        """Many members' earnings in one executemany (a batch holds earnings only), read back."""
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member"))
            .values(
                points=Member.points + bindparam("earned"),
                lifetime_points=Member.lifetime_points + bindparam("earned"),
                lifetime_reached_at=bindparam("now", type_=UTCDateTime),
            )
            .execution_options(dml_strategy="core_only"),
            [  # in key order, as every writer takes members (a caller may not hold them yet)
                {"chat": chat_id, "member": user_id, "earned": member.earned, "now": now}
                for (chat_id, user_id), member in sorted(moved.items())
            ],
        )
        rows = await self.session.execute(
            select(
                Member.chat_id, Member.user_id, Member.points, Member.lifetime_points, Member.tier,
                Member.points_owed,
            ).where(tuple_(Member.chat_id, Member.user_id).in_(list(moved)))
        )  # fmt: skip
        return {
            (chat_id, user_id): (points, lifetime, tier, owed)
            for chat_id, user_id, points, lifetime, tier, owed in rows
        }

    async def _repay_owed(
        self, owing: Mapping[MemberKey, tuple[int, int, str]]
    ) -> dict[MemberKey, int]:
        """Take what refunds left owing from what members just earned (`owing`: member ->
        (just earned, owed, the key of one earning now applied)), as clawback rows keyed after
        that earning; what was taken of each."""
        taken: dict[MemberKey, int] = {}
        for (chat_id, user_id), (earned, owed, key) in sorted(owing.items()):
            taken[chat_id, user_id] = repaid = min(earned, owed)
            await self.session.execute(
                insert_for(self.session, LedgerEntry).values(
                    chat_id=chat_id, user_id=user_id, delta=-repaid, reason=TAKEN_BACK,
                    ref="owed", idempotency_key=f"owed:{key}"[:200],
                    created_at=self.clock.now(),
                )
            )  # fmt: skip
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == user_id)
                .values(
                    points=Member.points - repaid,
                    lifetime_points=Member.lifetime_points - repaid,
                    points_owed=Member.points_owed - repaid,
                )
            )
        return taken

    async def _after_earning(
        self,
        timezones: Mapping[int, str],
        earned: Mapping[MemberKey, int],
        states: Mapping[MemberKey, TierState],
    ) -> list[Promotion]:
        """Add to the period totals, and report the earnings to promotions."""
        now = self.clock.now()
        periods = {
            chat_id: period_keys(now.astimezone(ZoneInfo(timezone)).date()).values()
            for chat_id, timezone in timezones.items()
        }
        rows = [
            {"chat_id": chat_id, "period": period, "user_id": user_id, "earned": points,
             "reached_at": now}
            for (chat_id, user_id), points in sorted(earned.items())
            for period in periods[chat_id]
        ]  # fmt: skip
        await self.session.execute(built_once(self.session, "period totals", _add_earned), rows)
        if self.promotions is None:
            return []
        return await self.promotions.after_earning(timezones, states)


def _multiplied(change: Award) -> bool:
    """Campaigns and tiers multiply an earning, unless it is one of `NOT_BOOSTED`."""
    return change.points > 0 and change.reason not in NOT_BOOSTED


def times(points: int, pct: int | None) -> int:
    """`points` multiplied by `pct` percent (None: as they are), never past MAX_CHANGE."""
    return points if pct is None else min(MAX_CHANGE, points * pct // 100)


def _add_earned(dialect: Any) -> Any:
    statement = dialect.insert(table_of(PeriodTotal))
    return statement.on_conflict_do_update(
        index_elements=["chat_id", "period", "user_id"],
        set_={
            "earned": PeriodTotal.earned + statement.excluded.earned,
            "reached_at": statement.excluded.reached_at,
        },
    )
