"""The door of an event: tickets, check-in, reminders, no-shows, and who came.

A ticket is the confirmed seat's short code (8 letters, typed at the door or after
`/checkin_event`) and, in the Mini App, a QR code of a signed token naming it (`web/auth.py`'s
"ticket" key): the signature proves the bot made it, the seat's `checked_in_at` makes it single
use. Attendance earns the group's `attend` points through the ledger, once per event and
member. Once an event has ended, confirmed members who did not come are recorded as no-shows
(`close_ended`); `attended` and `attendance` are what other features (missions, badges) count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Event, EventSeat, Member, Order
from services.clock import Clock
from services.event_messages import EventReminder, EventThanks, card_changed
from services.event_rules import EventRules
from services.outbox import OutboxService
from services.points import PointsService
from services.topic_specs import MAX_TITLE, TopicInputError, TopicSpec
from services.topics import TopicService

AFTER_DAYS = 30  # orders by attendees counted this long after the event
EVENT_REASON = "event"  # the ledger reason of a seat's cost and of coming


def reminder_stage(starts_at: datetime, now: datetime) -> int:
    """1 within a day of the start, 2 within the hour, 0 otherwise (or once started)."""
    if now >= starts_at:
        return 0
    if now >= starts_at - timedelta(hours=1):
        return 2
    return 1 if now >= starts_at - timedelta(days=1) else 0


class Door(StrEnum):
    CHECKED_IN = "checked_in"
    USED = "used"  # checked in before
    WRONG = "wrong"  # no such ticket
    OTHER_EVENT = "other_event"
    NOT_CONFIRMED = "not_confirmed"  # cancelled, waiting
    CLOSED = "closed"  # the event was cancelled or is over


@dataclass(frozen=True, slots=True)
class CheckIn:
    outcome: Door
    event: Event | None = None
    seat: EventSeat | None = None
    points: int = 0


@dataclass(frozen=True, slots=True)
class Ticket:
    event: Event
    seat: EventSeat


@dataclass(frozen=True, slots=True)
class Attendance:
    """One event a member came to (for missions and badges)."""

    event_id: int
    chat_id: int
    checked_in_at: datetime


@dataclass(frozen=True, slots=True)
class EventStats:
    event: Event
    confirmed: int  # members with a seat
    seats: int
    waiting: int
    checked_in: int
    no_shows: int
    cancelled: int
    # tier key (None: no tier) -> (confirmed, came)
    by_tier: dict[str | None, tuple[int, int]] = field(default_factory=dict)
    orders: int = 0  # by attendees in the 30 days after the event
    order_fen: int = 0


def normal_code(text: str) -> str:
    """What was typed, as codes are stored: no spaces or dashes, upper case."""
    return "".join(text.split()).replace("-", "").upper()


class EventDoor:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def ticket(self, code: str) -> Ticket | None:
        seat = await self.session.scalar(
            select(EventSeat).where(EventSeat.code == normal_code(code)[:16])
        )
        if seat is None:
            return None
        event = await self.session.get(Event, seat.event_id)
        return None if event is None else Ticket(event, seat)

    async def tickets(self, user_id: int) -> list[Ticket]:
        """The member's confirmed seats at events with a door that have not ended."""
        rows = await self.session.execute(
            select(Event, EventSeat)
            .join(EventSeat, EventSeat.event_id == Event.id)
            .where(EventSeat.user_id == user_id, EventSeat.status == "confirmed",
                   Event.status == "open", Event.online.is_(False),
                   Event.ends_at > self.clock.now())
            .order_by(Event.starts_at, Event.id)
        )  # fmt: skip
        return [Ticket(event, seat) for event, seat in rows]

    async def doors_open(
        self, user_id: int, programs: Sequence[int], limit: int = 20
    ) -> list[Event]:
        """Events with a door that have not ended, soonest first, in the groups the user is in
        and the programs they are staff of (the candidates for the staff's choice)."""
        groups = select(Member.chat_id).where(Member.user_id == user_id, Member.left_at.is_(None))
        found = await self.session.scalars(
            select(Event)
            .where(Event.status == "open", Event.online.is_(False),
                   Event.closed_at.is_(None), Event.ends_at > self.clock.now(),
                   or_(Event.chat_id.in_(groups), Event.program_id.in_(list(programs))))
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )  # fmt: skip
        return list(found)

    async def check_in(
        self, code: str, by: int | None, attend_points: int, event_id: int | None = None
    ) -> CheckIn:
        """A ticket at the door (`event_id`: the event the staff are checking in for, when
        they chose one). Once per ticket: a second scan says when it was used."""
        now = self.clock.now()
        found = await self.session.scalars(
            select(EventSeat)
            .where(EventSeat.code == normal_code(code)[:16])
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        seat = found.one_or_none()
        if seat is None:
            return CheckIn(Door.WRONG)
        event = await self.session.get(Event, seat.event_id)
        assert event is not None
        if event_id is not None and event.id != event_id:
            return CheckIn(Door.OTHER_EVENT, event, seat)
        if seat.checked_in_at is not None:
            return CheckIn(Door.USED, event, seat)
        if event.status != "open" or event.closed_at is not None or event.online:
            return CheckIn(Door.CLOSED, event, seat)
        if seat.status != "confirmed":
            return CheckIn(Door.NOT_CONFIRMED, event, seat)
        seat.checked_in_at, seat.checked_in_by, seat.changed_at = now, by, now
        await self.session.flush()
        points = 0
        if attend_points:
            await self.points.change(
                event.chat_id, seat.user_id, attend_points, reason=EVENT_REASON,
                key=f"event:{event.id}:{seat.user_id}:came", ref=f"event:{event.id}",
            )  # fmt: skip
            points = attend_points
        return CheckIn(Door.CHECKED_IN, event, seat, points)

    async def remind_due(self) -> int:
        """The day-before and hour-before reminders now due, each written once to the outbox
        (the seat's `reminded` stage and the outbox key: a restart sends none twice)."""
        now = self.clock.now()
        rows = await self.session.execute(
            select(EventSeat, Event)
            .join(Event, Event.id == EventSeat.event_id)
            .where(Event.status == "open", Event.starts_at > now,
                   Event.starts_at <= now + timedelta(days=1),
                   EventSeat.status == "confirmed", EventSeat.reminded < 2)
            .with_for_update(of=EventSeat)
        )  # fmt: skip
        outbox, written = OutboxService(self.session, self.clock), 0
        for seat, event in rows:
            stage = reminder_stage(event.starts_at, now)
            if stage <= seat.reminded:
                continue
            seat.reminded = stage
            hour = stage == 2
            written += await outbox.add(
                seat.user_id,
                EventReminder(event_id=event.id, hour=hour, starts_at=event.starts_at),
                f"event:{event.id}:remind:{seat.user_id}:{stage}:{event.starts_at.isoformat()}",
            )
        await self.session.flush()
        return written

    async def close_ended(self) -> int:
        """Events that ended: their confirmed members who did not come are no-shows (not for
        online sessions, which have no door), and the thank-you post is queued."""
        now = self.clock.now()
        ended = list(
            await self.session.scalars(
                select(Event)
                .where(Event.status == "open", Event.closed_at.is_(None), Event.ends_at <= now)
                .with_for_update()
            )
        )
        outbox = OutboxService(self.session, self.clock)
        for event in ended:
            event.closed_at = now
            if not event.online:
                await self.session.execute(
                    update(EventSeat)
                    .where(EventSeat.event_id == event.id, EventSeat.status == "confirmed",
                           EventSeat.checked_in_at.is_(None))
                    .values(no_show=True, changed_at=now)
                )  # fmt: skip
            await outbox.add(
                event.chat_id,
                EventThanks(event_id=event.id, topic_id=await self._photo_thread(event)),
                f"event:{event.id}:thanks",
            )
            await card_changed(outbox, self.clock, event, once="ended")  # no buttons now
        await self.session.flush()
        return len(ended)

    async def _photo_thread(self, event: Event) -> int | None:
        """The photo thread (a 晒单-style topic: photo replies earn) queued for the thank-you
        post, when the group wants one and its topic queue has room."""
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == event.chat_id))
        if not EventRules.from_settings(dict(settings or {})).photos:
            return None
        spec = TopicSpec(title=f"📸 {event.title}"[:MAX_TITLE], kind="show")
        try:
            topic = await TopicService(self.session, self.clock, self.points).enqueue(
                event.chat_id, event.created_by or 0, spec
            )
        except TopicInputError:
            return None  # the queue is full: the thanks go without a thread
        return topic.id

    async def attended(self, program_id: int, user_id: int) -> int:
        """How many events of the program the member came to (checked in)."""
        count = await self.session.scalar(
            select(func.count()).where(
                EventSeat.program_id == program_id, EventSeat.user_id == user_id,
                EventSeat.checked_in_at.is_not(None),
            )
        )  # fmt: skip
        return int(count or 0)

    async def attendance(self, program_id: int, user_id: int) -> list[Attendance]:
        rows = await self.session.execute(
            select(Event.id, Event.chat_id, EventSeat.checked_in_at)
            .join(EventSeat, EventSeat.event_id == Event.id)
            .where(EventSeat.program_id == program_id, EventSeat.user_id == user_id,
                   EventSeat.checked_in_at.is_not(None))
            .order_by(EventSeat.checked_in_at)
        )  # fmt: skip
        return [
            Attendance(event_id, chat_id, at) for event_id, chat_id, at in rows if at is not None
        ]

    async def attendees(self, event_id: int) -> list[tuple[EventSeat, Member | None]]:
        """Everyone who signed up, in press order, with their account (for the CSV)."""
        event = await self.session.get(Event, event_id)
        if event is None:
            return []
        rows = await self.session.execute(
            select(EventSeat, Member)
            .outerjoin(Member, (Member.chat_id == event.chat_id)
                       & (Member.user_id == EventSeat.user_id))
            .where(EventSeat.event_id == event_id)
            .order_by(EventSeat.position)
        )  # fmt: skip
        return [(seat, member) for seat, member in rows]

    async def stats(self, event: Event) -> EventStats:
        seats = list(
            await self.session.scalars(select(EventSeat).where(EventSeat.event_id == event.id))
        )
        confirmed = [seat for seat in seats if seat.status in ("confirmed", "offered")]
        came = [seat for seat in confirmed if seat.checked_in_at is not None]
        rows = await self.session.execute(
            select(Member.user_id, Member.tier).where(
                Member.chat_id == event.program_id,
                Member.user_id.in_([seat.user_id for seat in confirmed] or [0]),
            )
        )
        tiers: dict[int, str | None] = {}
        for user_id, tier in rows:
            tiers[user_id] = tier
        by_tier: dict[str | None, tuple[int, int]] = {}
        for seat in confirmed:
            tier = tiers.get(seat.user_id)
            signed, attended = by_tier.get(tier, (0, 0))
            by_tier[tier] = (signed + 1, attended + (seat.checked_in_at is not None))
        orders, fen = 0, 0
        if came:
            row = (
                await self.session.execute(
                    select(func.count(), func.coalesce(func.sum(Order.amount_fen), 0)).where(
                        Order.chat_id == event.program_id,
                        Order.user_id.in_([seat.user_id for seat in came]),
                        Order.paid_at >= event.starts_at,
                        Order.paid_at < event.ends_at + timedelta(days=AFTER_DAYS),
                    )
                )
            ).one()
            orders, fen = int(row[0]), int(row[1])
        return EventStats(
            event=event, confirmed=len(confirmed), seats=sum(seat.seats for seat in confirmed),
            waiting=sum(seat.status == "waiting" for seat in seats), checked_in=len(came),
            no_shows=sum(seat.no_show for seat in seats),
            cancelled=sum(seat.status in ("cancelled", "lapsed") for seat in seats),
            by_tier=by_tier, orders=orders, order_fen=fen,
        )  # fmt: skip
