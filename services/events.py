"""Events (线下活动 · 同城 meetup · 直播): sign-up, the waiting list, cancels and changes.

Seats are counted under the event row's lock (PostgreSQL's `FOR UPDATE`; SQLite has one
writer, and fanbot's transactions take it up front), so presses at once never give more seats
than there are: each press gets the next `position`, a seat while there is one and no one is
waiting, else a place on the waiting list. A freed seat is offered to the first waiting member,
who confirms within the group's `confirm_hours` (`EventOffer`, privately); an offer not taken
lapses (`lapse_offers`) and goes to the next. The cost is taken through the ledger when a seat
is confirmed, under a key of the event, member and sign-up round, and given back (reason
`refund`) on a cancel `refund_hours` before the start or when the event is cancelled.

The door (tickets, check-in, no-shows, attendance) is `services/event_door.py`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Event, EventSeat, Member
from services.chat_settings import locked_chat
from services.clock import Clock
from services.event_door import EVENT_REASON, EventDoor
from services.event_draws import EventDraws
from services.event_messages import EventChange, EventOffer, card_changed
from services.event_rules import EventRules
from services.event_specs import EventSpec
from services.outbox import OutboxService
from services.points import NotEnoughPoints, PointsService
from services.tiers import TierService, tier_figure

HOLDING = ("confirmed", "offered")  # statuses that hold seats
SIGNED = ("confirmed", "offered", "waiting")
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the door
SENT_TWICE = timedelta(minutes=10)  # the same event made again this soon is the same send


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    ALREADY = "already"
    CLOSED = "closed"  # cancelled, started or over
    UNKNOWN = "unknown"
    TIER = "tier"
    PRIORITY = "priority"  # the priority window is on, and the member is not in it
    NO_SHOWS = "no_shows"  # in the window's tier, but no-shows in a row lost it
    COST = "cost"
    NO_OFFER = "no_offer"  # confirming a seat that was not (or no longer) offered


@dataclass(frozen=True, slots=True)
class SignUp:
    outcome: Outcome
    event: Event | None = None
    seat: EventSeat | None = None
    balance: int = 0
    place: int = 0  # on the waiting list, from 1 (NO_SHOWS: how many in a row lose priority)


@dataclass(frozen=True, slots=True)
class Cancelled:
    event: Event | None
    cancelled: bool  # False: the member held nothing
    refunded: int = 0
    started: bool = False  # refused: the event has started (a no-show stays one)


@dataclass(frozen=True, slots=True)
class Counts:
    confirmed: int  # seats, guests included
    offered: int
    waiting: int  # members
    members: int  # members holding seats


def ticket_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(8))


def is_open(event: Event, now: datetime) -> bool:
    return event.status == "open" and now < event.starts_at


class EventService:
    def __init__(
        self, session: AsyncSession, clock: Clock, points: PointsService, tiers: TierService
    ) -> None:
        self.session = session
        self.clock = clock
        self.points = points
        self.tiers = tiers
        self.door = EventDoor(session, clock, points)
        self.draws = EventDraws(session, clock, points)

    async def create(
        self, chat_id: int, program_id: int, spec: EventSpec, created_by: int | None
    ) -> Event:
        now = self.clock.now()
        event = Event(
            chat_id=chat_id, program_id=program_id, title=spec.title, place=spec.place,
            online=spec.online, starts_at=spec.starts_at, ends_at=spec.ends_at,
            capacity=spec.capacity, cost=spec.cost, guests=spec.guests,
            min_tier=spec.min_tier.key if spec.min_tier else None,
            priority_tier=spec.priority_tier.key if spec.priority_tier else None,
            priority_until=now + spec.priority_for if spec.priority_for else None,
            keyword=spec.keyword, status="open", created_by=created_by, created_at=now,
        )  # fmt: skip
        self.session.add(event)
        await self.session.flush()
        if spec.draw is not None and spec.keyword is not None:
            await self.draws.open(event, spec.draw, spec.keyword, 1, created_by or 0)
        return event

    async def create_once(
        self, chat_id: int, program_id: int, spec: EventSpec, created_by: int
    ) -> tuple[Event, bool]:
        """`create`, unless this admin made the same event (title and start) here within
        `SENT_TWICE`: a form sent twice (a double click) makes one event, True when new. The
        group's row is locked first, so two sends at once are taken one after the other."""
        await locked_chat(self.session, chat_id)
        made = await self.session.scalar(
            select(Event).where(
                Event.chat_id == chat_id, Event.title == spec.title,
                Event.starts_at == spec.starts_at, Event.created_by == created_by,
                Event.created_at >= self.clock.now() - SENT_TWICE, Event.status == "open",
            ).limit(1)
        )  # fmt: skip
        if made is not None:
            return made, False
        return await self.create(chat_id, program_id, spec, created_by), True

    async def set_card(self, event_id: int, message_id: int, photo: str | None = None) -> None:
        """The card posted: its message, and its photo's file id when the card is its caption."""
        await self.session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(message_id=message_id, photo_file_id=photo)
        )

    async def event(self, event_id: int, chat_ids: list[int] | None = None) -> Event | None:
        """The event, if it is one of `chat_ids`' (any group's when None)."""
        found = await self.session.get(Event, event_id)
        if found is None or (chat_ids is not None and found.chat_id not in chat_ids):
            return None
        return found

    async def upcoming(self, chat_id: int, limit: int = 10) -> list[Event]:
        found = await self.session.scalars(
            select(Event)
            .where(Event.chat_id == chat_id, Event.status == "open",
                   Event.ends_at > self.clock.now())
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )  # fmt: skip
        return list(found)

    async def of_group(self, chat_id: int, limit: int = 30) -> list[Event]:
        """The group's events, latest first (the console's page)."""
        found = await self.session.scalars(
            select(Event).where(Event.chat_id == chat_id).order_by(Event.id.desc()).limit(limit)
        )
        return list(found)

    async def rules(self, chat_id: int) -> EventRules:
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == chat_id))
        return EventRules.from_settings(dict(settings or {}))

    async def locked(self, event_id: int) -> Event | None:
        """The event, its row locked for this transaction."""
        return await self._locked(event_id)

    async def _locked(self, event_id: int) -> Event | None:
        return (
            await self.session.scalars(
                select(Event)
                .where(Event.id == event_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).one_or_none()

    async def _seat(self, event_id: int, user_id: int) -> EventSeat | None:
        return (
            await self.session.scalars(
                select(EventSeat)
                .where(EventSeat.event_id == event_id, EventSeat.user_id == user_id)
                .execution_options(populate_existing=True)
            )
        ).one_or_none()

    async def counts(self, event_id: int) -> Counts:
        rows = await self.session.execute(
            select(EventSeat.status, func.count(), func.coalesce(func.sum(EventSeat.seats), 0))
            .where(EventSeat.event_id == event_id, EventSeat.status.in_(SIGNED))
            .group_by(EventSeat.status)
        )
        by = {status: (int(members), int(seats)) for status, members, seats in rows}
        confirmed, offered = by.get("confirmed", (0, 0)), by.get("offered", (0, 0))
        return Counts(
            confirmed=confirmed[1], offered=offered[1], waiting=by.get("waiting", (0, 0))[0],
            members=confirmed[0] + offered[0],
        )  # fmt: skip

    async def waiting_place(self, event_id: int, position: int) -> int:
        ahead = await self.session.scalar(
            select(func.count()).where(
                EventSeat.event_id == event_id, EventSeat.status == "waiting",
                EventSeat.position <= position,
            )
        )  # fmt: skip
        return int(ahead or 0)

    async def lost_priority(self, program_id: int, user_id: int, rules: EventRules) -> bool:
        """Whether the member's last `rules.noshows` events with a door were all no-shows."""
        if rules.noshows == 0:
            return False
        last = await self.session.scalars(
            select(EventSeat.no_show)
            .join(Event, Event.id == EventSeat.event_id)
            .where(EventSeat.program_id == program_id, EventSeat.user_id == user_id,
                   EventSeat.status == "confirmed", Event.closed_at.is_not(None),
                   Event.online.is_(False))
            .order_by(Event.starts_at.desc(), Event.id.desc())
            .limit(rules.noshows)
        )  # fmt: skip
        shows = list(last)
        return len(shows) == rules.noshows and all(shows)

    async def _refusal(self, event: Event, user_id: int, now: datetime) -> SignUp | None:
        """Why the member may not sign up (its tier, the priority window), if they may not."""
        if event.min_tier is None and event.priority_tier is None:
            return None
        ladder = await self.tiers.ladder(event.program_id)
        basis = await self.tiers.basis(event.program_id)
        figure = tier_figure(await self.session.get(Member, (event.program_id, user_id)), basis)
        thresholds = {tier.key: tier.threshold for tier in ladder}
        if event.min_tier is not None and figure < thresholds.get(event.min_tier, 0):
            return SignUp(Outcome.TIER, event)
        if event.priority_tier is None or event.priority_until is None:
            return None
        if now >= event.priority_until:
            return None
        if figure < thresholds.get(event.priority_tier, 0):
            return SignUp(Outcome.PRIORITY, event)
        rules = await self.rules(event.chat_id)
        if await self.lost_priority(event.program_id, user_id, rules):
            return SignUp(Outcome.NO_SHOWS, event, place=rules.noshows)
        return None

    async def sign_up(self, event_id: int, user_id: int, guests: int = 0) -> SignUp:
        """One press of 报名 / Sign up: a seat, a place on the waiting list, or the reason."""
        now = self.clock.now()
        event = await self._locked(event_id)
        if event is None:
            return SignUp(Outcome.UNKNOWN)
        if not is_open(event, now):
            return SignUp(Outcome.CLOSED, event)
        seat = await self._seat(event_id, user_id)
        if seat is not None and seat.status in SIGNED:
            place = await self.waiting_place(event_id, seat.position)
            return SignUp(Outcome.ALREADY, event, seat, place=place)
        refused = await self._refusal(event, user_id, now)
        if refused is not None:
            return refused
        seats = 1 + max(0, min(guests, event.guests))
        if event.capacity is not None:  # more would wait forever, and everyone behind them
            seats = min(seats, event.capacity)
        counts = await self.counts(event_id)
        taken = counts.confirmed + counts.offered
        fits = event.capacity is None or taken + seats <= event.capacity
        position = (
            int(
                await self.session.scalar(
                    select(func.coalesce(func.max(EventSeat.position), 0)).where(
                        EventSeat.event_id == event_id
                    )
                )
                or 0
            )
            + 1
        )
        round_ = 1 if seat is None else seat.round + 1
        status = "confirmed" if fits and counts.waiting == 0 else "waiting"
        balance, paid = 0, 0
        if status == "confirmed":
            try:
                balance, paid = await self._charge(event, user_id, seats, round_)
            except NotEnoughPoints as short:
                return SignUp(Outcome.COST, event, balance=short.balance)
        if seat is None:
            seat = EventSeat(
                event_id=event_id, program_id=event.program_id, user_id=user_id,
                code=ticket_code(), created_at=now,
            )  # fmt: skip
            self.session.add(seat)
        seat.seats, seat.position, seat.round, seat.status = seats, position, round_, status
        seat.paid, seat.offered_until, seat.changed_at = paid, None, now
        seat.checked_in_at, seat.checked_in_by, seat.no_show, seat.reminded = None, None, False, 0
        await self.session.flush()
        await self._card_changed(event)
        if status == "waiting":
            place = await self.waiting_place(event_id, position)
            return SignUp(Outcome.WAITING, event, seat, place=place)
        return SignUp(Outcome.CONFIRMED, event, seat, balance=balance)

    async def _charge(self, event: Event, user_id: int, seats: int, round_: int) -> tuple[int, int]:
        """The seat's cost taken (the balance after, what was paid); NotEnoughPoints if short."""
        cost = event.cost * seats
        if cost == 0:
            return (await self.points.balance(event.chat_id, user_id)).points, 0
        balance = await self.points.change(
            event.chat_id, user_id, -cost, reason=EVENT_REASON,
            key=f"event:{event.id}:{user_id}:{round_}:pay", ref=f"event:{event.id}",
        )  # fmt: skip
        return balance.points, cost

    async def _refund(self, event: Event, seat: EventSeat) -> int:
        if seat.paid == 0:
            return 0
        await self.points.change(
            event.chat_id, seat.user_id, seat.paid, reason="refund",
            key=f"event:{event.id}:{seat.user_id}:{seat.round}:refund", ref=f"event:{event.id}",
        )  # fmt: skip
        refunded, seat.paid = seat.paid, 0
        return refunded

    async def confirm(self, event_id: int, user_id: int) -> SignUp:
        """The offered seat taken (the cost paid now); refused once the offer lapsed."""
        now = self.clock.now()
        event = await self._locked(event_id)
        if event is None:
            return SignUp(Outcome.UNKNOWN)
        seat = await self._seat(event_id, user_id)
        if seat is not None and seat.status == "confirmed":
            return SignUp(Outcome.ALREADY, event, seat)
        if not is_open(event, now):
            return SignUp(Outcome.CLOSED, event)
        lapsed = seat is not None and seat.offered_until is not None and seat.offered_until <= now
        if seat is None or seat.status != "offered" or lapsed:
            return SignUp(Outcome.NO_OFFER, event)  # lapsed: the next lapse round passes it on
        try:
            balance, paid = await self._charge(event, user_id, seat.seats, seat.round)
        except NotEnoughPoints as short:
            return SignUp(Outcome.COST, event, seat, balance=short.balance)
        seat.status, seat.paid, seat.offered_until, seat.changed_at = "confirmed", paid, None, now
        await self.session.flush()
        return SignUp(Outcome.CONFIRMED, event, seat, balance=balance)

    async def cancel(self, event_id: int, user_id: int) -> Cancelled:
        """The member's seat (or place on the waiting list) given up: refunded when in time,
        and the freed seats offered to who waits first."""
        now = self.clock.now()
        event = await self._locked(event_id)
        if event is None:
            return Cancelled(None, False)
        seat = await self._seat(event_id, user_id)
        if seat is None or seat.status not in SIGNED or event.status != "open":
            return Cancelled(event, False)
        if seat.status == "confirmed" and seat.checked_in_at is not None:
            return Cancelled(event, False)  # came: nothing to give up
        if now >= event.starts_at:
            return Cancelled(event, False, started=True)
        refunded = 0
        rules = await self.rules(event.chat_id)
        if seat.status == "confirmed" and now <= event.starts_at - rules.refund_before:
            refunded = await self._refund(event, seat)
        seat.status, seat.changed_at, seat.offered_until = "cancelled", now, None
        await self.session.flush()
        await self._offer_freed(event, rules, now)
        await self._card_changed(event)
        return Cancelled(event, True, refunded)

    async def _card_changed(self, event: Event, *, once: str | None = None) -> None:
        """The card in the group to show the change (a paced edit, `services/paced_edits.py`)."""
        await card_changed(OutboxService(self.session, self.clock), self.clock, event, once=once)

    async def _offer_freed(self, event: Event, rules: EventRules, now: datetime) -> None:
        """Seats freed go to who waits first, in press order, each told privately."""
        if not is_open(event, now):
            return
        counts = await self.counts(event.id)
        free = (
            None if event.capacity is None else event.capacity - counts.confirmed - counts.offered
        )
        waiting = await self.session.scalars(
            select(EventSeat)
            .where(EventSeat.event_id == event.id, EventSeat.status == "waiting")
            .order_by(EventSeat.position)
        )
        outbox = OutboxService(self.session, self.clock)
        for seat in waiting:
            if free is not None and seat.seats > free:
                break
            until = min(now + rules.confirm_within, event.starts_at)
            seat.status, seat.offered_until, seat.changed_at = "offered", until, now
            if free is not None:
                free -= seat.seats
            await outbox.add(
                seat.user_id, EventOffer(event_id=event.id, until=until),
                f"event:{event.id}:offer:{seat.user_id}:{seat.round}:{until.isoformat()}",
            )  # fmt: skip
        await self.session.flush()

    async def lapse_offers(self) -> int:
        """Offers not taken in time lapse, and their seats go to the next (a background check)."""
        now = self.clock.now()
        lapsed = await self.session.scalars(
            select(EventSeat.event_id)
            .where(EventSeat.status == "offered", EventSeat.offered_until <= now)
            .distinct()
        )
        count = 0
        for event_id in list(lapsed):
            event = await self._locked(event_id)
            assert event is not None
            done = await self.session.execute(
                update(EventSeat)
                .where(EventSeat.event_id == event_id, EventSeat.status == "offered",
                       EventSeat.offered_until <= now)
                .values(status="lapsed", changed_at=now)
            )  # fmt: skip
            count += done.rowcount  # type: ignore[attr-defined]
            await self._offer_freed(event, await self.rules(event.chat_id), now)
            await self._card_changed(event)
        return count

    async def signed(self, event_id: int) -> list[EventSeat]:
        found = await self.session.scalars(
            select(EventSeat)
            .where(EventSeat.event_id == event_id, EventSeat.status.in_(SIGNED))
            .order_by(EventSeat.position)
        )
        return list(found)

    async def cancel_event(self, event_id: int) -> tuple[Event | None, int]:
        """The event called off: every seat's cost given back, everyone signed up told; the
        number of members told."""
        now = self.clock.now()
        event = await self._locked(event_id)
        if event is None or event.status != "open" or event.closed_at is not None:
            return event, 0
        event.status = "cancelled"
        await self.draws.cancelled(event)
        outbox = OutboxService(self.session, self.clock)
        seats = await self.signed(event_id)
        for seat in seats:
            refunded = await self._refund(event, seat) if seat.status == "confirmed" else 0
            seat.status, seat.changed_at = "cancelled", now
            await outbox.add(
                seat.user_id, EventChange(event_id=event_id, cancelled=True, refunded=refunded),
                f"event:{event_id}:cancelled:{seat.user_id}",
            )  # fmt: skip
        await self.session.flush()
        await self._card_changed(event, once="cancelled")
        return event, len(seats)

    async def move(
        self, event_id: int, starts_at: datetime | None, place: str | None
    ) -> tuple[Event | None, int]:
        """A new time (the end moves with it) or place, told to everyone signed up; reminders
        are due again for the new time."""
        event = await self._locked(event_id)
        if event is None or not is_open(event, self.clock.now()):
            return event, 0
        if starts_at is not None:
            event.ends_at = starts_at + (event.ends_at - event.starts_at)
            event.starts_at = starts_at
        if place is not None:
            event.place = place
        await self.draws.moved(event)
        seats = await self.signed(event_id)
        outbox = OutboxService(self.session, self.clock)
        stamp = f"{event.starts_at.isoformat()}:{event.place or ''}"
        for seat in seats:
            seat.reminded = 0
            await outbox.add(
                seat.user_id, EventChange(event_id=event_id),
                f"event:{event_id}:moved:{seat.user_id}:{stamp}",
            )  # fmt: skip
        await self.session.flush()
        await self._card_changed(event, once="moved")
        return event, len(seats)
