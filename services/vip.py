"""Paid membership (付费会员, issue 38): a program's monthly plans sold as Telegram Stars
subscriptions, the payments ledger (one row per `telegram_payment_charge_id`), and the
memberships the payments keep alive.

A payment is recorded once: a redelivered `successful_payment` finds its charge taken and does
nothing. A membership lasts until the subscription's expiration date; a renewal extends it; a
lapse (no renewal by then) and a refund end it. While it is active the plan's tier holds
(`TierService.holds`), and the points a plan pays each period are ledger rows keyed by the
charge, taken back by a row keyed by the refund.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Member, VipMembership, VipPayment, VipPlan
from models.queries import insert_for
from services.clock import Clock, local_day
from services.points import TAKEN_BACK, PointsService
from services.promotions import TierPromotions
from services.tiers import Tier, TierService, tier_figure

PERIOD = timedelta(seconds=2_592_000)  # Telegram's only subscription period: 30 days
# Telegram charges a renewal at the period's end, and its successful_payment arrives after: a
# subscription still renewing is given this long before it lapses, so a paying member does not
# drop a tier (and get told they no longer qualify) each month. A cancelled one ends on time.
RENEWAL_WAIT = timedelta(days=1)
MAX_STARS = 10_000
MAX_POINTS = 100_000
PAYLOAD = "vip:"
ACTIVE, LAPSED, REFUNDED = "active", "lapsed", "refunded"
GRANTED = "vip"  # the ledger reason of a plan's points


class PlanError(ValueError):
    """Why a plan cannot be made: `name`, `taken`, `stars`, `points` or `tier`."""


def payload_of(plan: VipPlan) -> str:
    return f"{PAYLOAD}{plan.id}"


def plan_id_of(payload: str) -> int | None:
    rest = payload.removeprefix(PAYLOAD)
    return int(rest) if payload.startswith(PAYLOAD) and rest.isdigit() and len(rest) < 19 else None


@dataclass(frozen=True, slots=True)
class Recorded:
    """A payment as the ledger has it; `new`: recorded now (False: the charge was known)."""

    payment: VipPayment
    membership: VipMembership
    plan: VipPlan
    new: bool
    timezone: str  # the program's


@dataclass(frozen=True, slots=True)
class Held:
    """An active membership, for /me and the Mini App."""

    plan: str
    expires_at: datetime
    canceled: bool


@dataclass(frozen=True, slots=True)
class PaidUntil:
    """An active membership on a member's card: the plan, its last day, whether it renews."""

    plan: str
    last_day: date
    renews: bool


async def paid_until(
    points: PointsService, program_id: int, user_id: int, timezone: str
) -> tuple[PaidUntil, ...]:
    """The member's active memberships for /me and the Mini App (the day in the group's zone)."""
    held = await VipService(points.session, points.clock, points).active(program_id, user_id)
    return tuple(PaidUntil(h.plan, local_day(h.expires_at, timezone), not h.canceled) for h in held)


@dataclass(frozen=True, slots=True)
class VipFigures:
    """A program's paid membership: active members by plan, and in the period new, renewed,
    lapsed, refunded, and the Stars paid (refunds taken off)."""

    active: list[tuple[str, int]]
    new: int
    renewed: int
    lapsed: int
    refunded: int
    stars: int


class VipService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points
        self.tiers = TierService(session, points.ladders)

    # -- plans ----------------------------------------------------------------------------

    async def add_plan(
        self, program_id: int, name: str, stars: int, tier: Tier | None, points: int, by: int
    ) -> VipPlan:
        """A plan on sale, without its link yet (`set_link` once Telegram made it)."""
        if not 0 < len(name) <= 32:
            raise PlanError("name")
        if not 0 < stars <= MAX_STARS:
            raise PlanError("stars")
        if not 0 <= points <= MAX_POINTS:
            raise PlanError("points")
        made = await self.session.scalar(
            insert_for(self.session, VipPlan)
            .values(
                program_id=program_id, name=name, name_key=name.casefold(), stars=stars,
                tier=tier.key if tier else None, points=points, on_sale=True, created_by=by,
                created_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["program_id", "name_key"])
            .returning(VipPlan.id)
        )  # fmt: skip
        if made is None:
            raise PlanError("taken")
        self.tiers.forget(program_id)  # it may hold tiers now
        plan = await self.session.get(VipPlan, made)
        assert plan is not None
        return plan

    async def set_link(self, plan: VipPlan, link: str) -> None:
        plan.link = link
        await self.session.flush()

    async def plans(self, program_id: int, *, on_sale: bool = False) -> list[VipPlan]:
        query = select(VipPlan).where(VipPlan.program_id == program_id)
        if on_sale:
            query = query.where(VipPlan.on_sale, VipPlan.link.is_not(None))
        return list(await self.session.scalars(query.order_by(VipPlan.stars, VipPlan.id)))

    async def plan_named(self, program_id: int, name: str) -> VipPlan | None:
        return await self.session.scalar(
            select(VipPlan).where(
                VipPlan.program_id == program_id, VipPlan.name_key == name.casefold()
            )
        )

    async def stop_selling(self, plan: VipPlan) -> bool:
        """Off sale: no one new buys it; who holds it keeps it until they stop paying."""
        done = await self.session.scalar(
            update(VipPlan)
            .where(VipPlan.id == plan.id, VipPlan.on_sale)
            .values(on_sale=False)
            .returning(VipPlan.id)
        )
        return done is not None

    async def checkout_refusal(self, payload: str, currency: str, amount: int) -> str | None:
        """Why a pre-checkout must be refused (`gone`: the plan is off sale or unknown,
        `price`: the invoice no longer matches it); None: let it through."""
        plan_id = plan_id_of(payload)
        plan = await self.session.get(VipPlan, plan_id) if plan_id is not None else None
        if plan is None or not plan.on_sale:
            return "gone"
        if currency != "XTR" or amount != plan.stars:
            return "price"
        return None

    # -- payments -------------------------------------------------------------------------

    async def record_payment(
        self,
        user_id: int,
        payload: str,
        charge_id: str,
        stars: int,
        expires: datetime | None,
        *,
        first: bool,
    ) -> Recorded | None:
        """Record a successful payment once; None when its payload names no plan of ours."""
        plan_id = plan_id_of(payload)
        plan = await self.session.get(VipPlan, plan_id) if plan_id is not None else None
        if plan is None:
            return None
        now = self.clock.now()
        until = expires or now + PERIOD
        timezone = await self.points.timezone_of(plan.program_id)
        known = await self._payment(charge_id)
        if known is not None:
            membership = await self.session.get(VipMembership, known.membership_id)
            assert membership is not None
            return Recorded(known, membership, plan, False, timezone)
        membership = await self._membership(plan, user_id, charge_id, now, until, first)
        made = await self.session.scalar(
            insert_for(self.session, VipPayment)
            .values(
                charge_id=charge_id, program_id=plan.program_id, user_id=user_id,
                plan_id=plan.id, membership_id=membership.id, stars=stars, first=first,
                paid_at=now, expires_at=until,
            )
            .on_conflict_do_nothing(index_elements=["charge_id"])
            .returning(VipPayment.id)
        )  # fmt: skip
        payment = await self._payment(charge_id)
        assert payment is not None
        if made is None:  # another worker recorded it meanwhile
            return Recorded(payment, membership, plan, False, timezone)
        if plan.points:
            await self.points.change(
                plan.program_id, user_id, plan.points, reason=GRANTED,
                key=f"vip:{charge_id}", ref=f"vip:{plan.id}", timezone=timezone,
            )  # fmt: skip
        await self.retier(plan.program_id, [user_id], timezone)
        return Recorded(payment, membership, plan, True, timezone)

    async def _membership(
        self, plan: VipPlan, user_id: int, charge_id: str, now: datetime, until: datetime,
        first: bool,
    ) -> VipMembership:  # fmt: skip
        found = await self.session.scalar(
            select(VipMembership)
            .where(VipMembership.program_id == plan.program_id, VipMembership.user_id == user_id)
            .where(VipMembership.plan_id == plan.id)
            .with_for_update()
        )
        if found is None:
            found = VipMembership(
                program_id=plan.program_id, user_id=user_id, plan_id=plan.id,
                charge_id=charge_id, status=ACTIVE, started_at=now, expires_at=until,
                canceled=False,
            )  # fmt: skip
            self.session.add(found)
        else:
            if first:  # a new subscription: Telegram knows it by its first charge
                found.charge_id, found.canceled = charge_id, False
            if first or found.status != ACTIVE:  # a new run (a late renewal restarts one)
                found.started_at, found.ended_at = now, None
            found.status = ACTIVE
            found.expires_at = max(found.expires_at, until) if not first else until
        await self.session.flush()
        return found

    async def _payment(self, charge_id: str) -> VipPayment | None:
        return await self.session.scalar(
            select(VipPayment)
            .where(VipPayment.charge_id == charge_id)
            .execution_options(populate_existing=True)
        )

    async def membership_of(self, payment: VipPayment) -> VipMembership | None:
        return await self.session.get(VipMembership, payment.membership_id, populate_existing=True)

    async def payment(self, charge_id: str) -> VipPayment | None:
        return await self._payment(charge_id)

    async def last_payment(self, program_id: int, user_id: int) -> VipPayment | None:
        """The member's newest payment not refunded: what `/vip refund @user` refunds."""
        return await self.session.scalar(
            select(VipPayment)
            .where(VipPayment.program_id == program_id, VipPayment.user_id == user_id)
            .where(VipPayment.refunded_at.is_(None))
            .order_by(VipPayment.paid_at.desc(), VipPayment.id.desc())
            .limit(1)
        )

    async def refunded(self, charge_id: str, reason: str, by: int | None) -> VipPayment | None:
        """Telegram refunded the charge: mark it (once), end its membership and take back the
        points it paid. None when it was marked already (or is no payment of ours)."""
        now = self.clock.now()
        marked = await self.session.scalar(
            update(VipPayment)
            .where(VipPayment.charge_id == charge_id, VipPayment.refunded_at.is_(None))
            .values(refunded_at=now, refund_reason=reason[:200], refunded_by=by)
            .returning(VipPayment.id)
        )
        if marked is None:
            return None
        payment = await self._payment(charge_id)
        assert payment is not None
        timezone = await self.points.timezone_of(payment.program_id)
        await self._end_refunded(payment.membership_id, now)
        plan = await self.session.get(VipPlan, payment.plan_id)
        if plan is not None and plan.points:
            await self.points.change(
                payment.program_id, payment.user_id, -plan.points, reason=TAKEN_BACK,
                key=f"vip_refund:{charge_id}", ref=f"vip:{plan.id}", timezone=timezone,
            )  # fmt: skip
        await self.retier(payment.program_id, [payment.user_id], timezone)
        return payment

    async def _end_refunded(self, membership_id: int, now: datetime) -> None:
        """An active membership ends with its refund only when no other payment of its run
        still pays for now: refunding an earlier month's charge leaves the month paid since."""
        membership = await self.session.get(
            VipMembership, membership_id, with_for_update=True, populate_existing=True
        )
        if membership is None or membership.status != ACTIVE:
            return
        still_paid = await self.session.scalar(
            select(func.max(VipPayment.expires_at)).where(
                VipPayment.membership_id == membership_id,
                VipPayment.refunded_at.is_(None),
                VipPayment.paid_at >= membership.started_at,
            )
        )
        if still_paid is not None and still_paid > now:
            membership.expires_at = still_paid
        else:
            membership.status, membership.ended_at = REFUNDED, now
        await self.session.flush()

    async def titles(self, chat_ids: Sequence[int]) -> dict[int, str]:
        rows = await self.session.execute(select(Chat.id, Chat.title).where(Chat.id.in_(chat_ids)))
        return {chat_id: title or str(chat_id) for chat_id, title in rows}

    async def active(self, program_id: int, user_id: int) -> list[Held]:
        rows = await self.session.execute(
            select(VipPlan.name, VipMembership.expires_at, VipMembership.canceled)
            .join(VipPlan, VipPlan.id == VipMembership.plan_id)
            .where(VipMembership.program_id == program_id, VipMembership.user_id == user_id)
            .where(VipMembership.status == ACTIVE)
            .order_by(VipMembership.expires_at)
        )
        return [Held(name, expires, canceled) for name, expires, canceled in rows]

    async def cancelable(self, program_id: int, user_id: int) -> list[VipMembership]:
        return list(
            await self.session.scalars(
                select(VipMembership).where(
                    VipMembership.program_id == program_id,
                    VipMembership.user_id == user_id,
                    VipMembership.status == ACTIVE,
                    ~VipMembership.canceled,
                )
            )
        )

    async def mark_canceled(self, membership: VipMembership) -> None:
        """The member stopped the subscription: it runs to the end of the paid period."""
        membership.canceled = True
        await self.session.flush()

    async def lapse_due(self) -> list[VipMembership]:
        """End the memberships whose paid period is over (no renewal came within
        `RENEWAL_WAIT`, or cancelled): their tiers drop back to what their figures reach."""
        now = self.clock.now()
        due = list(
            await self.session.scalars(
                select(VipMembership)
                .where(
                    VipMembership.status == ACTIVE,
                    or_(
                        VipMembership.expires_at <= now - RENEWAL_WAIT,
                        and_(VipMembership.canceled, VipMembership.expires_at <= now),
                    ),
                )
                .with_for_update()
                .limit(200)
            )
        )
        for membership in due:
            membership.status, membership.ended_at = LAPSED, membership.expires_at
        await self.session.flush()
        by_program: dict[int, list[int]] = {}
        for membership in due:
            by_program.setdefault(membership.program_id, []).append(membership.user_id)
        for program_id, user_ids in by_program.items():
            await self.retier(program_id, user_ids, await self.points.timezone_of(program_id))
        return due

    async def retier(self, program_id: int, user_ids: Sequence[int], timezone: str) -> None:
        """Put the members on the tier their figure and their memberships reach, now."""
        basis = await self.tiers.basis(program_id)
        members = await self.session.scalars(
            select(Member)
            .where(Member.chat_id == program_id, Member.user_id.in_(list(user_ids)))
            .execution_options(populate_existing=True)
        )
        states = {(program_id, m.user_id): (tier_figure(m, basis), m.tier) for m in members}
        if states:
            await TierPromotions(self.points).move({program_id: timezone}, states)

    async def is_paid(self, program_id: int, user_ids: Sequence[int]) -> set[int]:
        """Of the members, those with an active membership of any plan."""
        rows = await self.session.scalars(
            select(VipMembership.user_id).where(
                VipMembership.program_id == program_id,
                VipMembership.status == ACTIVE,
                VipMembership.user_id.in_(list(user_ids)),
            )
        )
        return set(rows)

    async def figures(self, program_id: int, since: datetime) -> VipFigures:
        active = await self.session.execute(
            select(VipPlan.name, func.count(VipMembership.id))
            .join(VipPlan, VipPlan.id == VipMembership.plan_id)
            .where(VipMembership.program_id == program_id, VipMembership.status == ACTIVE)
            .group_by(VipPlan.name)
            .order_by(VipPlan.name)
        )
        paid = (VipPayment.program_id == program_id) & (VipPayment.paid_at >= since)
        kept = VipPayment.refunded_at.is_(None)
        counted = await self.session.execute(
            select(
                func.count().filter(VipPayment.first),
                func.count().filter(~VipPayment.first),
                func.coalesce(func.sum(VipPayment.stars).filter(kept), 0),
            ).where(paid)
        )  # fmt: skip
        new, renewed, stars = counted.one()
        ended = (VipMembership.program_id == program_id) & (VipMembership.ended_at >= since)
        lapsed = await self.session.scalar(
            select(func.count()).where(ended, VipMembership.status == LAPSED)
        )
        refunded = await self.session.scalar(
            select(func.count()).where(
                VipPayment.program_id == program_id, VipPayment.refunded_at >= since
            )
        )
        return VipFigures(
            [(name, int(count)) for name, count in active], int(new or 0), int(renewed or 0),
            int(lapsed or 0), int(refunded or 0), int(stars or 0),
        )  # fmt: skip
