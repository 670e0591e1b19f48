"""An online session's keyword draw (直播抽奖): "the same card without a door, with a keyword
draw that opens during the session for those who signed up".

It is an ordinary provably fair draw (`services/draws.py`) with one more entry requirement,
`Draw.event_id`: entrants hold a confirmed seat at the event and enter by sending its keyword in
the group while the session runs (no Join button). It ends when the session ends, moves with it
and is cancelled with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Draw, Event
from services.chat_settings import update_section
from services.clock import Clock
from services.draw_specs import MAX_PRIZE, MAX_WINNERS, DrawSpec
from services.draws import DrawService
from services.points import PointsService

MAX_KEYWORD = 64
KEPT_WORDS = 20  # the group's latest draws' keywords, in its settings


class Opened(StrEnum):
    OPENED = "opened"
    NOT_ONLINE = "not_online"  # a draw by keyword is for online sessions
    OVER = "over"  # cancelled or ended
    TWICE = "twice"  # the event has an open draw already
    BAD = "bad"  # the prize, keyword or winners out of bounds


def same_word(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class EventWords:
    """The keywords of the group's latest event draws (settings section `event_draws`), read
    with the cached chat profile: the chatter lane hands a message that is one of them to the
    handlers (one set lookup), and only then is the database asked whether a session runs."""

    words: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> EventWords:
        stored = (settings.get("event_draws") or {}).get("words") or []
        return cls(frozenset(str(word) for word in stored))

    def is_keyword(self, text: str) -> bool:
        return bool(self.words) and len(text) <= MAX_KEYWORD and same_word(text) in self.words


class EventDraws:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.draws = DrawService(session, clock, points)

    async def open_draw(self, event: Event) -> Draw | None:
        found = await self.session.scalars(
            select(Draw).where(Draw.event_id == event.id, Draw.status == "open").limit(1)
        )
        return found.first()

    async def open(
        self, event: Event, prize: str, keyword: str, winners: int, by: int
    ) -> tuple[Opened, Draw | None]:
        """The event's keyword draw, ending when the session ends (the event row is locked by
        the caller, or new)."""
        if not event.online:
            return Opened.NOT_ONLINE, None
        if event.status != "open" or self.clock.now() >= event.ends_at:
            return Opened.OVER, None
        if not (0 < len(prize) <= MAX_PRIZE and 0 < len(keyword) <= MAX_KEYWORD
                and 1 <= winners <= MAX_WINNERS):  # fmt: skip
            return Opened.BAD, None
        if await self.open_draw(event) is not None:
            return Opened.TWICE, None
        event.keyword = keyword
        await self._keep_word(event.chat_id, same_word(keyword))
        spec = DrawSpec(prize=prize, winners=winners, ends_at=event.ends_at, event_id=event.id)
        return Opened.OPENED, await self.draws.create(event.chat_id, by, spec)

    async def _keep_word(self, chat_id: int, word: str) -> None:
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == chat_id))
        kept = [w for w in (dict(settings or {}).get("event_draws") or {}).get("words") or []
                if w != word]  # fmt: skip
        await update_section(session=self.session, chat_id=chat_id, section="event_draws",
                             values={"words": [*kept, word][-KEPT_WORDS:]})  # fmt: skip

    async def sent(self, chat_id: int, text: str, now: datetime) -> tuple[Event, Draw] | None:
        """The session running in the group whose keyword `text` is, and its open draw."""
        row = (
            await self.session.execute(
                select(Event, Draw)
                .join(Draw, Draw.event_id == Event.id)
                .where(
                    Event.chat_id == chat_id,
                    Event.online.is_(True),
                    Event.status == "open",
                    Event.keyword.is_not(None),
                    Event.starts_at <= now,
                    Event.ends_at > now,
                    Draw.status == "open",
                )
                .order_by(Event.id)
            )
        ).all()
        word = same_word(text)
        return next(
            ((event, draw) for event, draw in row if same_word(event.keyword or "") == word), None
        )

    async def moved(self, event: Event) -> None:
        """The draw ends when the moved session does."""
        await self.session.execute(
            update(Draw)
            .where(Draw.event_id == event.id, Draw.status == "open")
            .values(ends_at=event.ends_at)
        )

    async def cancelled(self, event: Event) -> None:
        """The session called off: its draw too (entry costs given back)."""
        draw = await self.open_draw(event)
        if draw is not None:
            await self.draws.cancel(draw.chat_id, draw.id)
