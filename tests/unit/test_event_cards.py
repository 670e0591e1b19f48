"""An event's card follows its counts (real database): each change the card shows (a sign-up,
a cancel, a waiting member moving up, a lapsed offer, a move, the event cancelled or ended)
queues an edit of the card, paced as draws' counts are, so many changes in one window make one
edit; a card not posted is not edited; a photo card is edited as its caption."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import OutboxMessage
from services.chats import ChatService
from services.event_messages import EventCardEdit
from services.paced_edits import COUNT_EDIT_EVERY, edit_window
from tests.unit.test_events import NOW, Events
from workflows.delivery import RenderContext
from workflows.event_messages import card_edit

Pool = async_sessionmaker[AsyncSession]
STEP = timedelta(seconds=COUNT_EDIT_EVERY)


@pytest.fixture
async def events(session_pool: Pool, chat: int) -> Events:
    return Events(session_pool, chat)


async def card_edits(pool: Pool) -> list[tuple[int, str, Any]]:
    async with pool() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.key, OutboxMessage.due_at)
            .where(OutboxMessage.kind == EventCardEdit.kind)
            .order_by(OutboxMessage.id)
        )
        return [(int(chat), key, due) for chat, key, due in rows]


async def posted(events: Events, **changes: object) -> int:
    event_id = await events.create(**changes)
    await events.run(lambda service: service.set_card(event_id, 77))
    return event_id


async def test_a_card_not_posted_is_not_edited(events: Events, session_pool: Pool) -> None:
    event_id = await events.create(capacity=2)
    await events.sign_up(event_id, 11)
    assert await card_edits(session_pool) == []


async def test_forty_presses_in_a_window_make_one_edit(events: Events, session_pool: Pool) -> None:
    event_id = await posted(events, capacity=30)
    users = range(2001, 2041)
    await asyncio.gather(*(events.sign_up(event_id, user) for user in users))
    window, due = edit_window(NOW)
    assert await card_edits(session_pool) == [(events.chat, f"event_card:{event_id}:{window}", due)]
    again = await events.sign_up(event_id, 2001)  # already signed up: no change, no new row
    assert again.seat is not None
    assert len(await card_edits(session_pool)) == 1


async def test_each_change_the_card_shows_queues_an_edit(
    events: Events, session_pool: Pool
) -> None:
    event_id = await posted(events, capacity=1)
    await events.sign_up(event_id, 31)  # confirmed
    events.clock.set(NOW + STEP)
    await events.sign_up(event_id, 32)  # waiting
    assert len(await card_edits(session_pool)) == 2
    events.clock.set(NOW + 2 * STEP)
    await events.run(lambda service: service.cancel(event_id, 31))  # 32 is offered the seat
    assert len(await card_edits(session_pool)) == 3
    events.clock.set(NOW + 3 * STEP)
    await events.run(lambda service: service.confirm(event_id, 32))  # seats left: the same
    assert len(await card_edits(session_pool)) == 3
    events.clock.set(NOW + 4 * STEP)
    await events.run(lambda service: service.move(event_id, None, "Jingan"))
    assert len(await card_edits(session_pool)) == 4
    events.clock.set(NOW + 5 * STEP)
    await events.run(lambda service: service.cancel_event(event_id))
    keys = [key for _chat, key, _due in await card_edits(session_pool)]
    assert len(keys) == len(set(keys)) == 5


async def test_a_lapsed_offer_and_the_end_edit_the_card(events: Events, session_pool: Pool) -> None:
    event_id = await posted(events, capacity=1)
    await events.sign_up(event_id, 41)
    await events.sign_up(event_id, 42)  # waiting
    events.clock.set(NOW + STEP)
    await events.run(lambda service: service.cancel(event_id, 41))  # offered to 42
    events.clock.set(NOW + timedelta(days=2, hours=23))  # the offer lapsed
    assert await events.run(lambda service: service.lapse_offers()) == 1
    assert len(await card_edits(session_pool)) == 3
    events.clock.set(NOW + timedelta(days=4))  # ended
    async with session_pool() as session, session.begin():
        assert await events.factory.events(session).door.close_ended() == 1
    assert len(await card_edits(session_pool)) == 4


async def test_the_edit_shows_the_card_now(events: Events, session_pool: Pool) -> None:
    event_id = await posted(events, capacity=3)
    await events.sign_up(event_id, 51)
    i18n = create_i18n("en")
    context = RenderContext(bot=None, background=Background(session_pool, events.factory, i18n))  # type: ignore[arg-type]
    async with session_pool() as session:
        profile = await ChatService(session, events.clock, "Asia/Shanghai").profile(events.chat)
    assert profile is not None
    with i18n.context():
        delivery = await card_edit(context, profile, EventCardEdit(event_id=event_id))
        assert delivery is not None
        assert (delivery.edit, delivery.edit_caption) == (77, False)
        assert "2 of 3 seats left" in delivery.text
        assert delivery.markup is not None
        async with session_pool() as session, session.begin():  # posted as a photo's caption
            await events.factory.events(session).set_card(event_id, 78, "photo-file-id")
        await events.run(lambda service: service.cancel_event(event_id))
        delivery = await card_edit(context, profile, EventCardEdit(event_id=event_id))
    assert delivery is not None
    assert (delivery.edit, delivery.edit_caption, delivery.markup) == (78, True, None)
    assert "3 of 3 seats left" in delivery.text
    assert "Cancelled" in delivery.text


async def test_an_ended_event_s_card_says_so_without_buttons(
    events: Events, session_pool: Pool
) -> None:
    event_id = await posted(events, capacity=3)
    await events.sign_up(event_id, 61)
    events.clock.set(NOW + timedelta(days=4))
    async with session_pool() as session, session.begin():
        assert await events.factory.events(session).door.close_ended() == 1
    i18n = create_i18n("zh")
    context = RenderContext(bot=None, background=Background(session_pool, events.factory, i18n))  # type: ignore[arg-type]
    async with session_pool() as session:
        profile = await ChatService(session, events.clock, "Asia/Shanghai").profile(events.chat)
    assert profile is not None
    with i18n.context():
        delivery = await card_edit(context, profile, EventCardEdit(event_id=event_id))
    assert delivery is not None
    assert delivery.markup is None
    assert delivery.text.endswith("🏁 已结束")


async def test_a_move_or_a_cancel_in_a_window_already_edited_gets_an_edit_of_its_own(
    events: Events, session_pool: Pool
) -> None:
    # The window's edit may be sent before a later change in it commits: a press is repaired
    # by the next press, a move or a cancel by nothing, so each has an edit due at once.
    event_id = await posted(events, capacity=5)
    await events.sign_up(event_id, 51)
    await events.run(lambda service: service.move(event_id, None, "Jingan"))
    await events.run(lambda service: service.cancel_event(event_id))
    edits = await card_edits(session_pool)
    assert len(edits) == 3  # the press's paced edit, then the move's and the cancel's own
    assert [due for _chat, _key, due in edits[1:]] == [NOW, NOW]
