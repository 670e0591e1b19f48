"""Guess the price (猜价格): an admin shows an item (a product's title and a photo) with its
price kept secret; members guess once each, where only they see it; when it closes the
closest guess wins (a tie goes to the earlier guess), revealed with every guess. The prize is
paid under the daily cap, once per round (`guess:<round>`); admins do not guess."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import GameEntry, GameRound
from models.queries import insert_for
from services.clock import Clock
from services.game_rules import GameRules
from services.games import GameBook, rounds_due
from services.members import display_names
from services.points import PointsService

MAX_TITLE = 100


class GuessClosed(Exception):
    """The round takes no more guesses."""


@dataclass(frozen=True, slots=True)
class GuessRound:
    id: int
    chat_id: int
    title: str
    photo: str | None
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class GuessResult:
    chat_id: int
    message_id: int | None
    title: str
    price: int  # fen
    winner: str | None
    points: int
    guesses: list[tuple[str, int]]  # (name, fen), closest first


class GuessService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.book = GameBook(session, clock, points)

    async def start(
        self,
        chat_id: int,
        program_id: int,
        timezone: str,
        rules: GameRules,
        *,
        started_by: int | None,
        title: str,
        price: int,
        photo: str | None,
    ) -> GuessRound:
        now = self.clock.now()
        closes_at = now + timedelta(minutes=rules.guess_minutes)
        row = GameRound(
            chat_id=chat_id, kind="guess", status="open", started_by=started_by, stake=0,
            details={"program": program_id, "tz": timezone, "title": title[:MAX_TITLE],
                     "price": price, "photo": photo, "points": rules.guess_points,
                     "cap": rules.cap},
            created_at=now, closes_at=closes_at,
        )  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        return GuessRound(row.id, chat_id, title[:MAX_TITLE], photo, closes_at)

    async def placed(self, round_id: int, message_id: int) -> None:
        row = await self.session.get(GameRound, round_id)
        if row is not None:
            row.message_id = message_id

    async def open_in(self, chat_id: int) -> GuessRound | None:
        row = await self.session.scalar(
            select(GameRound)
            .where(GameRound.chat_id == chat_id, GameRound.kind == "guess")
            .where(GameRound.status == "open")
            .order_by(GameRound.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        return GuessRound(
            row.id, row.chat_id, row.details["title"], row.details.get("photo"),
            row.closes_at or row.created_at,
        )  # fmt: skip

    async def guess(self, round_id: int, user_id: int, fen: int) -> int | None:
        """The member's guess, kept once: None when kept now, else their earlier guess
        (GuessClosed: the round closed, or its time is up). The round is locked, so a guess
        is kept before a close reads the guesses, or not at all."""
        row = await self.session.scalar(
            select(GameRound)
            .where(GameRound.id == round_id, GameRound.kind == "guess")
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if (
            row is None
            or row.status != "open"
            or (row.closes_at is not None and row.closes_at <= self.clock.now())
        ):
            raise GuessClosed(round_id)
        made = await self.session.scalar(
            insert_for(self.session, GameEntry)
            .values(
                round_id=round_id, user_id=user_id, value=fen, correct=False, points=0,
                answered_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["round_id", "user_id"])
            .returning(GameEntry.id)
        )  # fmt: skip
        if made is not None:
            return None
        earlier = await self.session.scalar(
            select(GameEntry.value).where(
                GameEntry.round_id == round_id, GameEntry.user_id == user_id
            )
        )
        return int(earlier or 0)

    async def due(self) -> list[int]:
        return await rounds_due(self.session, "guess", self.clock.now())

    async def close(self, round_id: int) -> GuessResult | None:
        """Close the round once: the closest guess paid (ties: the earlier), every guess."""
        row = await self.session.scalar(
            select(GameRound)
            .where(GameRound.id == round_id, GameRound.kind == "guess")
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None or row.status != "open":
            return None
        row.status, row.closed_at = "closed", self.clock.now()
        details = row.details
        price = int(details["price"])
        entries = sorted(
            await self.session.scalars(select(GameEntry).where(GameEntry.round_id == row.id)),
            key=lambda e: (abs(e.value - price), e.id),
        )
        names = await display_names(self.session, row.chat_id, [e.user_id for e in entries])
        winner, paid = None, 0
        if entries:
            best = entries[0]
            best.correct = True
            winner = names.get(best.user_id, str(best.user_id))
            if int(details["points"]) > 0:
                paid = await self.book.pay(
                    row.chat_id, int(details["program"]), best.user_id, int(details["points"]),
                    timezone=str(details["tz"]), cap=int(details["cap"]), reason="guess",
                    key=f"guess:{row.id}", ref=f"guess:{row.id}",
                )  # fmt: skip
            best.points = paid
        return GuessResult(
            row.chat_id, row.message_id, str(details["title"]), price, winner, paid,
            [(names.get(e.user_id, str(e.user_id)), e.value) for e in entries],
        )  # fmt: skip
