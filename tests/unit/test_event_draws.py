"""An online session's keyword draw on a real database: open for those signed up, by its
keyword, during the session only; a button press or a member without a seat is refused; the
draw ends with the session (moved with it) through the ordinary provably fair draw."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Draw
from services.chats import ChatService
from services.draw_entries import JoinOutcome, JoinRequest
from services.event_draws import EventWords, Opened
from services.event_specs import parse_event
from services.tiers import DEFAULT_TIERS
from tests.unit.test_events import NOW, SHANGHAI, Events

Pool = async_sessionmaker[AsyncSession]


async def test_a_keyword_draw_for_those_signed_up_during_the_session(
    session_pool: Pool, chat: int
) -> None:
    events = Events(session_pool, chat)
    spec = parse_event(
        "直播 2h ends=1h place=online keyword=芝士 draw=Hoodie", NOW, SHANGHAI, DEFAULT_TIERS
    )
    event_id = int((await events.run(lambda s: s.create(chat, chat, spec, 1))).id)
    for user in (1, 2):
        await events.sign_up(event_id, user)
    await events.run(lambda s: s.cancel(event_id, 2))
    async with session_pool() as session:
        profile = await ChatService(session, events.clock, SHANGHAI).profile(chat)
    assert profile is not None
    assert profile.rules(EventWords).is_keyword(" 芝士 ")  # the chatter lane hands it on
    assert not profile.rules(EventWords).is_keyword("芝士蛋糕")

    assert await events.run(lambda s: s.draws.sent(chat, "芝士", NOW)) is None  # not yet on
    during = NOW + timedelta(hours=2, minutes=10)
    found = await events.run(lambda s: s.draws.sent(chat, "芝士", during))
    assert found is not None
    event, draw = found
    assert event.id == event_id
    assert draw.ends_at == event.ends_at
    assert await events.run(lambda s: s.draws.sent(chat, "cheese", during)) is None

    events.clock.set(during)

    async def join(user: int, keyword: bool = True) -> JoinOutcome:
        async with session_pool() as session, session.begin():
            draws = events.factory.draws(session)
            (joined,) = await draws.join_many([JoinRequest(draw.id, chat, user, keyword)])
            return joined.outcome

    assert await join(1, keyword=False) == JoinOutcome.EVENT  # no button way in
    assert await join(1) == JoinOutcome.JOINED
    assert await join(1) == JoinOutcome.ALREADY
    assert await join(2) == JoinOutcome.EVENT  # cancelled: no seat
    assert await join(3) == JoinOutcome.EVENT  # never signed up

    again = await events.run(lambda s: s.locked(event_id))
    assert again is not None
    opened = await events.run(lambda s: s.draws.open(again, "Mug", "咖啡", 1, 1))
    assert opened[0] == Opened.TWICE
    async with session_pool() as session, session.begin():
        ended = await events.factory.draws(session).end(chat, draw.id)
    assert ended.draw.winner_ids == [1]


async def test_a_keyword_draw_moves_and_is_cancelled_with_its_session(
    session_pool: Pool, chat: int
) -> None:
    events = Events(session_pool, chat)
    offline = await events.create()
    first = await events.run(lambda s: s.locked(offline))
    assert first is not None
    refused = await events.run(lambda s: s.draws.open(first, "Hoodie", "芝士", 1, 1))
    assert refused[0] == Opened.NOT_ONLINE
    online = await events.create(online=True, place=None)
    event = await events.run(lambda s: s.locked(online))
    assert event is not None
    opened, draw = await events.run(lambda s: s.draws.open(event, "Hoodie", "芝士", 2, 1))
    assert opened == Opened.OPENED
    assert draw is not None
    later = NOW + timedelta(days=5)
    await events.run(lambda s: s.move(online, later, None))
    async with session_pool() as session:
        moved = await session.get(Draw, draw.id)
        assert moved is not None
        assert moved.ends_at == later + timedelta(hours=2)
    await events.run(lambda s: s.cancel_event(online))
    async with session_pool() as session:
        cancelled = await session.get(Draw, draw.id)
        assert cancelled is not None
        assert cancelled.status == "cancelled"
