"""Events (线下活动) on a real database: the seat arithmetic under concurrent presses, the
waiting list moving up, costs and refunds through the ledger, the priority window and the
no-shows that lose it, tickets checked in once, reminders written once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import EventSeat, OutboxMessage
from services.clock import FrozenClock
from services.event_door import Door
from services.event_specs import EventInputError, EventSpec, parse_event
from services.events import EventService, Outcome, SignUp
from services.factory import ServiceFactory
from services.points_audit import audit
from services.tiers import DEFAULT_TIERS

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"
Pool = async_sessionmaker[AsyncSession]
T = TypeVar("T")


def spec(**changes: object) -> EventSpec:
    values: dict[str, object] = {
        "title": "同城 meetup", "starts_at": NOW + timedelta(days=3),
        "ends_at": NOW + timedelta(days=3, hours=2), "place": "Shanghai", "capacity": 30,
    }  # fmt: skip
    values.update(changes)
    return EventSpec(**values)  # type: ignore[arg-type]


class Events:
    """The services on one clock, each call its own transaction (as each press is)."""

    def __init__(self, pool: Pool, chat: int) -> None:
        self.pool, self.chat = pool, chat
        self.clock = FrozenClock(NOW)
        self.factory = ServiceFactory(self.clock, SHANGHAI)

    async def run(self, work: Callable[[EventService], Awaitable[T]]) -> T:
        async with self.pool() as session, session.begin():
            return await work(self.factory.events(session))

    async def create(self, **changes: object) -> int:
        event = await self.run(
            lambda events: events.create(self.chat, self.chat, spec(**changes), 1)
        )
        return int(event.id)

    async def sign_up(self, event_id: int, user: int) -> SignUp:
        return await self.run(lambda service: service.sign_up(event_id, user))

    async def grant(self, user: int, points: int) -> None:
        async with self.pool() as session, session.begin():
            await self.factory.points(session).change(
                self.chat, user, points, reason="admin", key=f"grant:{user}:{points}"
            )

    async def seats(self, event_id: int) -> list[EventSeat]:
        async with self.pool() as session:
            found = await session.scalars(
                select(EventSeat).where(EventSeat.event_id == event_id).order_by(EventSeat.position)
            )
            return list(found)

    async def balance(self, user: int) -> int:
        async with self.pool() as session:
            return (await self.factory.points(session).balance(self.chat, user)).points


@pytest.fixture
async def events(session_pool: Pool, chat: int) -> Events:
    return Events(session_pool, chat)


async def test_forty_presses_at_once_for_thirty_seats(events: Events, session_pool: Pool) -> None:
    event_id = await events.create(capacity=30)
    users = list(range(1001, 1041))

    async def press(user: int) -> Outcome:
        signed = await events.run(lambda service: service.sign_up(event_id, user))
        return signed.outcome

    outcomes = await asyncio.gather(*(press(user) for user in users))
    assert outcomes.count(Outcome.CONFIRMED) == 30
    assert outcomes.count(Outcome.WAITING) == 10
    seats = await events.seats(event_id)
    assert [seat.position for seat in seats] == list(range(1, 41))  # one place per press
    # In press order: the first 30 presses hold the seats, the next 10 wait behind them.
    assert [seat.status for seat in seats] == ["confirmed"] * 30 + ["waiting"] * 10
    async with session_pool() as session:
        counts = await events.factory.events(session).counts(event_id)
    assert (counts.confirmed, counts.waiting) == (30, 10)


async def test_a_cancel_offers_the_seat_to_the_first_waiting(
    events: Events, session_pool: Pool
) -> None:
    event_id = await events.create(capacity=2, cost=50)
    for user in (1, 2, 3, 4):
        await events.grant(user, 100)
    for user in (1, 2, 3, 4):
        await events.sign_up(event_id, user)
    assert await events.balance(1) == 50  # the seat's cost taken
    assert await events.balance(3) == 100  # waiting pays nothing
    cancelled = await events.run(lambda service: service.cancel(event_id, 1))
    assert cancelled.cancelled
    assert cancelled.refunded == 50
    assert await events.balance(1) == 100
    statuses = {seat.user_id: seat.status for seat in await events.seats(event_id)}
    assert statuses == {1: "cancelled", 2: "confirmed", 3: "offered", 4: "waiting"}
    async with session_pool() as session:
        offers = list(await session.scalars(select(OutboxMessage.chat_id).where(
            OutboxMessage.kind == "event_offer")))  # fmt: skip
    assert offers == [3]  # told privately
    confirmed = await events.run(lambda service: service.confirm(event_id, 3))
    assert confirmed.outcome == Outcome.CONFIRMED
    assert confirmed.balance == 50
    # The next cancel is late (an hour before): no refund; the offer to 4 lapses unanswered.
    events.clock.set(NOW + timedelta(days=3) - timedelta(hours=1))
    late = await events.run(lambda service: service.cancel(event_id, 2))
    assert late.cancelled
    assert late.refunded == 0
    assert {s.user_id: s.status for s in await events.seats(event_id)}[4] == "offered"
    events.clock.set(NOW + timedelta(days=3) - timedelta(minutes=1))
    assert await events.run(lambda service: service.lapse_offers()) == 0  # until the start
    events.clock.set(NOW + timedelta(days=3))
    assert await events.run(lambda service: service.lapse_offers()) == 1
    refused = await events.run(lambda service: service.confirm(event_id, 4))
    assert refused.outcome == Outcome.CLOSED
    async with session_pool() as session:
        assert await audit(session) == []


async def test_a_cancelled_event_refunds_everyone(events: Events, session_pool: Pool) -> None:
    event_id = await events.create(capacity=1, cost=30)
    await events.grant(5, 40)
    await events.grant(6, 40)
    await events.run(lambda service: service.sign_up(event_id, 5))
    await events.run(lambda service: service.sign_up(event_id, 6))
    assert await events.balance(5) == 10
    event, told = await events.run(lambda service: service.cancel_event(event_id))
    assert told == 2
    assert event is not None
    assert event.status == "cancelled"
    assert (await events.balance(5), await events.balance(6)) == (40, 40)
    again = await events.run(lambda service: service.cancel_event(event_id))
    assert again[1] == 0  # nothing twice
    async with session_pool() as session:
        assert await audit(session) == []


async def test_not_enough_points_is_refused_and_holds_nothing(events: Events) -> None:
    event_id = await events.create(cost=30)
    signed = await events.run(lambda service: service.sign_up(event_id, 7))
    assert signed.outcome == Outcome.COST
    assert signed.balance == 0
    assert await events.seats(event_id) == []


async def test_priority_window_then_everyone_and_two_no_shows_lose_it(
    events: Events, session_pool: Pool
) -> None:
    gold = next(tier for tier in DEFAULT_TIERS if tier.threshold > 0)
    await events.grant(8, gold.threshold)  # a member of the priority tier
    window = {"priority_tier": gold, "priority_for": timedelta(hours=24)}
    first = await events.create(**window)
    assert (await events.run(lambda s: s.sign_up(first, 9))).outcome == Outcome.PRIORITY
    assert (await events.run(lambda s: s.sign_up(first, 8))).outcome == Outcome.CONFIRMED
    events.clock.set(NOW + timedelta(hours=25))  # the window is over: everyone
    assert (await events.run(lambda s: s.sign_up(first, 9))).outcome == Outcome.CONFIRMED

    # Member 8 misses two events in a row: no priority window at the next.
    events.clock.set(NOW)
    second = await events.create(
        starts_at=NOW + timedelta(days=4), ends_at=NOW + timedelta(days=4, hours=2)
    )
    await events.run(lambda s: s.sign_up(second, 8))
    events.clock.set(NOW + timedelta(days=5))
    async with session_pool() as session, session.begin():
        assert await events.factory.events(session).door.close_ended() == 2
    async with session_pool() as session:  # each thank-you post with its photo thread queued
        threads = await events.factory.topics(session).queued(events.chat)
        assert sorted(topic.title for topic in threads) == ["📸 同城 meetup", "📸 同城 meetup"]
        assert {topic.kind for topic in threads} == {"show"}
    events.clock.set(NOW + timedelta(days=6))
    third = await events.create(
        starts_at=NOW + timedelta(days=9), ends_at=NOW + timedelta(days=9, hours=2), **window
    )
    assert (await events.run(lambda s: s.sign_up(third, 8))).outcome == Outcome.NO_SHOWS
    events.clock.set(NOW + timedelta(days=7, hours=1))
    assert (await events.run(lambda s: s.sign_up(third, 8))).outcome == Outcome.CONFIRMED


async def test_a_ticket_checks_in_once(events: Events, session_pool: Pool) -> None:
    event_id = await events.create()
    other = await events.create(title="Another")
    signed = await events.run(lambda s: s.sign_up(event_id, 11))
    assert signed.seat is not None
    code = signed.seat.code
    wrong = await events.run(lambda s: s.door.check_in("ZZZZZZZZ", 1, 10))
    assert wrong.outcome == Door.WRONG
    elsewhere = await events.run(lambda s: s.door.check_in(code, 1, 10, other))
    assert elsewhere.outcome == Door.OTHER_EVENT
    done = await events.run(lambda s: s.door.check_in(code.lower(), 1, 10, event_id))
    assert done.outcome == Door.CHECKED_IN
    assert done.points == 10
    used = await events.run(lambda s: s.door.check_in(code, 1, 10))
    assert used.outcome == Door.USED
    assert await events.balance(11) == 10  # paid once
    async with session_pool() as session:
        door = events.factory.events(session).door
        assert await door.attended(events.chat, 11) == 1
        assert [a.event_id for a in await door.attendance(events.chat, 11)] == [event_id]
        event = await events.factory.events(session).event(event_id)
        assert event is not None
        stats = await door.stats(event)
        assert (stats.confirmed, stats.checked_in) == (1, 1)
        assert await audit(session) == []


async def test_reminders_are_written_once_each(events: Events, session_pool: Pool) -> None:
    event_id = await events.create()
    await events.run(lambda s: s.sign_up(event_id, 12))

    async def remind() -> int:
        async with session_pool() as session, session.begin():
            return int(await events.factory.events(session).door.remind_due())

    assert await remind() == 0  # three days ahead
    events.clock.set(NOW + timedelta(days=2, hours=1))
    assert await remind() == 1  # the day before
    assert await remind() == 0
    events.clock.set(NOW + timedelta(days=3) - timedelta(minutes=30))
    assert await remind() == 1  # the hour before
    assert await remind() == 0


def test_parse_event() -> None:
    made = parse_event(
        "同城 meetup 2026-12-20 14:00 place=静安 capacity=30 cost=50 priority=gold:24h",
        NOW, SHANGHAI, DEFAULT_TIERS,
    )  # fmt: skip
    assert made.title == "同城 meetup"
    assert made.capacity == 30
    assert made.cost == 50
    assert made.starts_at == datetime(2026, 12, 20, 6, 0, tzinfo=UTC)
    assert made.priority_for == timedelta(hours=24)
    assert made.priority_tier is not None
    online = parse_event("直播 3d place=online keyword=芝麻", NOW, SHANGHAI, DEFAULT_TIERS)
    assert online.online
    assert online.place is None
    assert online.keyword == "芝麻"
    refused = (
        ("title", "start"), ("x 2020-01-01 10:00", "start"), ("x 3d capacity=0", "capacity"),
        ("x 3d priority=nobody:2h", "priority"),
    )  # fmt: skip
    for bad, part in refused:
        with pytest.raises(EventInputError) as raised:
            parse_event(bad, NOW, SHANGHAI, DEFAULT_TIERS)
        assert str(raised.value) == part


async def test_the_background_rounds_run(events: Events, session_pool: Pool) -> None:
    from infrastructure.background import Background
    from workflows.events import EventRounds

    rounds = EventRounds(Background(session_pool, events.factory, None))  # type: ignore[arg-type]
    await asyncio.wait_for(rounds.look(), 10)


async def test_a_move_tells_everyone_signed_up_and_reminds_anew(
    events: Events, session_pool: Pool
) -> None:
    event_id = await events.create(capacity=1)
    await events.sign_up(event_id, 21)
    await events.sign_up(event_id, 22)  # waiting: told too
    events.clock.set(NOW + timedelta(days=2, hours=1))
    async with session_pool() as session, session.begin():
        assert await events.factory.events(session).door.remind_due() == 1
    later = NOW + timedelta(days=5)
    moved, told = await events.run(lambda s: s.move(event_id, later, "Jingan"))
    assert told == 2
    assert moved is not None
    assert (moved.starts_at, moved.ends_at, moved.place) == (
        later,
        later + timedelta(hours=2),
        "Jingan",
    )
    async with session_pool() as session:
        changes = list(await session.scalars(select(OutboxMessage.chat_id).where(
            OutboxMessage.kind == "event_change")))  # fmt: skip
    assert sorted(changes) == [21, 22]
    assert [seat.reminded for seat in await events.seats(event_id)] == [0, 0]


async def test_an_offer_past_its_time_is_not_confirmed_before_the_lapse_check(
    events: Events,
) -> None:
    event_id = await events.create(capacity=1)
    await events.sign_up(event_id, 1)
    await events.sign_up(event_id, 2)
    await events.run(lambda service: service.cancel(event_id, 1))
    offered = {s.user_id: s for s in await events.seats(event_id)}[2]
    assert offered.status == "offered"
    assert offered.offered_until is not None
    events.clock.set(offered.offered_until)  # the offer's time is up; no lapse round ran yet
    refused = await events.run(lambda service: service.confirm(event_id, 2))
    assert refused.outcome == Outcome.NO_OFFER
    assert {s.user_id: s.status for s in await events.seats(event_id)}[2] == "offered"


async def test_a_cancel_once_the_event_started_keeps_the_seat_and_its_no_show(
    events: Events,
) -> None:
    event_id = await events.create(capacity=5)
    await events.sign_up(event_id, 1)
    events.clock.set(NOW + timedelta(days=3, minutes=5))
    late = await events.run(lambda service: service.cancel(event_id, 1))
    assert not late.cancelled
    events.clock.set(NOW + timedelta(days=3, hours=3))
    await events.run(lambda service: service.door.close_ended())
    after = await events.run(lambda service: service.cancel(event_id, 1))
    assert not after.cancelled
    seat = (await events.seats(event_id))[0]
    assert (seat.status, seat.no_show) == ("confirmed", True)  # the no-show stays on record


async def test_the_card_lets_a_member_bring_the_guests_it_allows(events: Events) -> None:
    from views.events import EventButton, card_keyboard, guests_of

    event_id = await events.create(capacity=4, guests=2)
    event = await events.run(lambda service: service.event(event_id))
    assert event is not None
    presses = [
        EventButton.unpack(button.callback_data or "").action
        for row in card_keyboard(event).inline_keyboard
        for button in row
    ]
    assert presses == ["in", "out", "in1", "in2"]
    assert [guests_of(action) for action in presses] == [0, None, 1, 2]
    signed = await events.run(lambda service: service.sign_up(event_id, 1, guests_of("in2") or 0))
    assert signed.seat is not None
    assert signed.seat.seats == 3


async def test_more_guests_than_seats_do_not_block_the_waiting_list(events: Events) -> None:
    event_id = await events.create(capacity=2, guests=3)
    big = await events.run(lambda service: service.sign_up(event_id, 1, 3))
    assert big.outcome == Outcome.CONFIRMED  # as many as there are seats, not a place forever
    assert big.seat is not None
    assert big.seat.seats == 2
    late = await events.sign_up(event_id, 2)
    assert late.outcome == Outcome.WAITING
    assert late.place == 1
