"""Points: the ledger, the one place that changes balances.

Every change is a `points_ledger` row with an idempotency key, written in the same savepoint as
the member's balances, so a redelivered update, a retried job or a second worker never pays
twice, and `members.points == SUM(ledger.delta)` always holds (`services/points_audit.py`).
What an earning sets off above the ledger (a tier reached, its congratulation and entry
rewards) is reported through `Promotions`, which `services/promotions.py` implements: the
ledger, the lowest domain service, calls no service above it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, Member, PeriodTotal
from models.base import UTCDateTime
from models.queries import built_once, insert_for, table_of
from services.campaigns import CampaignService
from services.clock import Clock, local_day
from services.daystats import DayCounts, count_today
from services.members import ensure_members
from services.standings import Balance, Standings, period_keys
from services.tiers import LadderCache, Tier, TierService

MAX_CHANGE = 1_000_000
# Positive changes that give back what was spent, rather than earn: they leave lifetime alone.
NOT_EARNED = frozenset({"refund"})
# What a campaign does not multiply: an admin's own grant, money given back, and purchase
# points (their multipliers are those of the moment the order was paid, figured then).
NOT_BOOSTED = frozenset({"admin", "refund", "purchase"})
# Deductions that take back earned points (a refunded order's): they lower lifetime too.
TAKEN_BACK = "clawback"

MemberKey = tuple[int, int]  # (chat id, user id)
TierState = tuple[int, str | None]  # (the figure the chat's tiers go by, the tier key now)


class NotEnoughPoints(Exception):
    def __init__(self, balance: int) -> None:
        super().__init__(f"balance {balance} is too low")
        self.balance = balance


@dataclass(frozen=True, slots=True)
class Award:
    """One positive change in a batch (see `PointsService.award_many`)."""

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


class Promotions(Protocol):
    """What an earning sets off above the ledger, in its transaction: members whose figure
    reached another tier moved there, each promotion congratulated and rewarded. `states`:
    each member who just earned -> (lifetime points, tier now). The promotions made."""

    async def after_earning(
        self, timezones: Mapping[int, str], states: Mapping[MemberKey, TierState]
    ) -> list[Promotion]: ...


class PointsService(Standings):
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        default_timezone: str = "UTC",
        ladders: LadderCache | None = None,
        promotions: Callable[[PointsService], Promotions] | None = None,
    ) -> None:
        super().__init__(session, clock, default_timezone)
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

    async def _boosted(self, chat_id: int, points: int, reason: str) -> tuple[int, int | None]:
        """`points` with the running campaign's multiplier, and that campaign."""
        if points <= 0 or reason in NOT_BOOSTED:
            return points, None
        boost = await self.boost(chat_id)
        if boost is None:
            return points, None
        campaign_id, pct = boost
        return min(MAX_CHANGE, points * pct // 100), campaign_id

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
        if not member_exists:
            await ensure_members(self.session, [(chat_id, user_id)])
        delta, boosted_by = await self._boosted(chat_id, delta, reason)
        campaign_id = boosted_by or campaign_id
        if delta > 0 and reason not in NOT_BOOSTED and reason not in NOT_EARNED:
            tiered = await self.tier_multipliers([(chat_id, user_id)])
            delta = times(delta, tiered.get((chat_id, user_id)))
        # A refused deduction undoes its ledger row; an addition cannot be refused.
        savepoint = self.session.begin_nested() if delta < 0 else nullcontext()
        async with savepoint:
            inserted = await self.session.scalar(
                insert_for(self.session, LedgerEntry)
                .values(
                    chat_id=chat_id,
                    user_id=user_id,
                    delta=delta,
                    reason=reason,
                    ref=ref,
                    idempotency_key=key,
                    actor=actor,
                    campaign_id=campaign_id,
                    created_at=self.clock.now(),
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(LedgerEntry.id)
            )
            if inserted is None:
                return await self.balance(chat_id, user_id)
            earned = delta if delta > 0 and reason not in NOT_EARNED else 0
            lifetime_change = delta if reason == TAKEN_BACK else earned
            changed = (
                await self.session.execute(
                    update(Member)
                    .where(Member.chat_id == chat_id, Member.user_id == user_id)
                    .where(Member.points + delta >= 0)
                    .values(
                        points=Member.points + delta,
                        lifetime_points=Member.lifetime_points + lifetime_change,
                        lifetime_reached_at=(
                            self.clock.now() if earned else Member.lifetime_reached_at
                        ),
                    )
                    .returning(
                        Member.points, Member.lifetime_points, Member.tier, Member.points_owed
                    )
                )
            ).one_or_none()
            if changed is None:
                balance = await self.balance(chat_id, user_id)
                raise NotEnoughPoints(balance.points)
        points, lifetime, tier, owed = changed
        if earned and owed:
            repaid = await self._repay_owed({(chat_id, user_id): (earned, owed, key)})
            points -= repaid
            lifetime -= repaid
        timezone = timezone or await self.timezone_of(chat_id)
        # Issued: what was earned; spent: what was taken (a refund gives spending back).
        count_today(
            self.session, chat_id, self.clock.now(), timezone, points_issued=lifetime_change,
            points_spent=0 if reason == TAKEN_BACK else earned - delta,
        )  # fmt: skip
        promoted_to = None
        if earned:
            timezones = {chat_id: timezone}
            promotions = await self._after_earning(
                timezones, {(chat_id, user_id): earned}, {(chat_id, user_id): (lifetime, tier)}
            )
            promoted_to = promotions[0].tier if promotions else None
        return Balance(points, lifetime, applied=True, promoted_to=promoted_to, paid=delta)

    async def award_many(
        self,
        awards: Sequence[Award],
        timezones: Mapping[int, str],
        *,
        members_exist: bool = False,
    ) -> AwardResult:
        """Pay many earned (positive) awards with a few statements, each once per key.

        The hot path of message points: one executemany INSERT for the ledger, one for the
        balances, then the period totals and tiers as `change` does. `timezones` maps each
        chat to its own; `members_exist` skips creating rows the caller holds locked.
        """
        if not awards:
            return AwardResult()
        if not members_exist:
            await ensure_members(self.session, ((a.chat_id, a.user_id) for a in awards))
        now = self.clock.now()
        await self._load_boosts({a.chat_id for a in awards})  # one query for the batch's chats
        boosted = [await self._boosted(a.chat_id, a.points, a.reason) for a in awards]
        tiered = await self.tier_multipliers([(a.chat_id, a.user_id) for a in awards])
        if tiered:
            boosted = [
                (times(points, tiered.get((a.chat_id, a.user_id))), campaign)
                if a.reason not in NOT_BOOSTED else (points, campaign)
                for a, (points, campaign) in zip(awards, boosted, strict=True)
            ]  # fmt: skip
        entries = [
            {
                "chat_id": award.chat_id, "user_id": award.user_id, "delta": points,
                "reason": award.reason, "ref": award.ref, "idempotency_key": award.key,
                "actor": None, "campaign_id": campaign_id or award.campaign_id,
                "created_at": now,
            }
            for award, (points, campaign_id) in zip(awards, boosted, strict=True)
        ]  # fmt: skip
        inserted = await self.session.scalars(
            insert_for(self.session, LedgerEntry)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(LedgerEntry.idempotency_key),
            entries,
        )
        applied = set(inserted)
        earned: dict[tuple[int, int], int] = defaultdict(int)
        paid: dict[str, int] = {}
        for award, (points, _campaign) in zip(awards, boosted, strict=True):
            if award.key in applied:
                earned[award.chat_id, award.user_id] += points
                paid[award.key] = points
        if not earned:
            return AwardResult()
        issued = DayCounts()
        for (chat_id, _user), points in earned.items():
            issued.add(chat_id, local_day(now, timezones[chat_id]), points_issued=points)
        issued.add_to(self.session)
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
                {"chat": chat_id, "member": user_id, "earned": points, "now": now}
                for (chat_id, user_id), points in sorted(earned.items())
            ],
        )
        after = await self.session.execute(
            select(
                Member.chat_id, Member.user_id, Member.lifetime_points, Member.tier,
                Member.points_owed,
            ).where(tuple_(Member.chat_id, Member.user_id).in_(list(earned)))
        )  # fmt: skip
        states: dict[tuple[int, int], tuple[int, str | None]] = {}
        owing: dict[tuple[int, int], tuple[int, int, str]] = {}
        for chat_id, user_id, lifetime, tier, owed in after:
            states[chat_id, user_id] = (lifetime, tier)
            if owed:  # rare: a refund took back more than the balance held
                key = next(
                    a.key for a in awards
                    if a.key in paid and (a.chat_id, a.user_id) == (chat_id, user_id)
                )  # fmt: skip
                owing[chat_id, user_id] = (earned[chat_id, user_id], owed, key)
        if owing:
            await self._repay_owed(owing)
            states = {
                member: (lifetime - min(owing[member][:2]) if member in owing else lifetime, tier)
                for member, (lifetime, tier) in states.items()
            }
        promotions = await self._after_earning(timezones, earned, states)
        return AwardResult(applied, promotions, paid)

    async def _repay_owed(self, owing: Mapping[tuple[int, int], tuple[int, int, str]]) -> int:
        """Take what refunds left owing from what members just earned (`owing`: member ->
        (just earned, owed, the key of one earning now applied)), as clawback rows keyed after
        that earning; the amount taken (of the last member: callers of one member read it)."""
        taken = 0
        for (chat_id, user_id), (earned, owed, key) in sorted(owing.items()):
            taken = min(earned, owed)
            await self.session.execute(
                insert_for(self.session, LedgerEntry).values(
                    chat_id=chat_id, user_id=user_id, delta=-taken, reason=TAKEN_BACK,
                    ref="owed", idempotency_key=f"owed:{key}"[:200],
                    created_at=self.clock.now(),
                )
            )  # fmt: skip
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == user_id)
                .values(
                    points=Member.points - taken,
                    lifetime_points=Member.lifetime_points - taken,
                    points_owed=Member.points_owed - taken,
                )
            )
        return taken

    async def _after_earning(
        self,
        timezones: Mapping[int, str],
        earned: Mapping[tuple[int, int], int],
        states: Mapping[tuple[int, int], tuple[int, str | None]],
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
