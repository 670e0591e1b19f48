"""Dice (骰子): `/dice <stake>` against another member, who accepts with a button, or against
the bot. Telegram draws the values (`sendDice`); this service only holds the stakes, records
the values and settles, each step once.

A stake is held when the duel is made or accepted (a `dice_stake` row, `-stake`), so nobody
stakes what they do not have; settling pays the winner both stakes (`dice`), or gives each
their own back on a tie (`dice_stake`, `+stake`); against the bot a win pays twice the stake
and a loss keeps it, so the game has no edge either way. Every row has a key of the duel, so
a pressed-again button or a crash between two writes settles nothing twice. Wagered points
are neither earned nor boosted (`services/points.WAGERED`): dice moves no lifetime or tier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import GameRound, LedgerEntry
from services.clock import Clock
from services.game_rules import GameRules
from services.games import GameBook
from services.points import NotEnoughPoints, PointsService

OPEN_FOR = timedelta(minutes=10)  # an unanswered challenge is called off after this
ROLLING_FOR = timedelta(minutes=2)  # a duel whose dice never came back is called off
BOT = 0  # the bot's seat in a duel's values


class DiceRefused(Exception):
    """Why a duel cannot be made or accepted: `reason` names it, `limit` the figure."""

    def __init__(self, reason: str, limit: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Duel:
    id: int
    chat_id: int
    challenger: int
    opponent: int | None  # None: the bot, or (while open) whoever accepts
    stake: int
    vs_bot: bool
    status: str
    message_id: int | None
    values: dict[int, int]
    rolled: bool = False  # called off while rolling: its dice never came back

    @property
    def winner(self) -> int | None:
        """The winner's id (BOT for the bot); None on a tie or before both threw."""
        seats = [self.challenger, BOT if self.vs_bot else self.opponent]
        if any(seat is None or seat not in self.values for seat in seats):
            return None
        first, second = (self.values[seat] for seat in seats if seat is not None)
        if first == second:
            return None
        return seats[0] if first > second else seats[1]


def duel_of(row: GameRound) -> Duel:
    values = {int(seat): int(value) for seat, value in (row.details.get("values") or {}).items()}
    return Duel(
        row.id, row.chat_id, row.started_by or 0, row.opponent_id, row.stake,
        bool(row.details.get("bot")), row.status, row.message_id, values,
        bool(row.details.get("rolled")),
    )  # fmt: skip


class DiceService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points
        self.book = GameBook(session, clock, points)

    async def challenge(
        self,
        chat_id: int,
        program_id: int,
        timezone: str,
        rules: GameRules,
        user_id: int,
        stake: int,
        *,
        opponent: int | None = None,
        vs_bot: bool = False,
    ) -> Duel:
        """A duel made, the challenger's stake held (DiceRefused: over the limits, or more
        than they have)."""
        await self._check_stake(program_id, timezone, rules, user_id, stake)
        now = self.clock.now()
        row = GameRound(
            chat_id=chat_id, kind="dice", status="rolling" if vs_bot else "open",
            started_by=user_id, opponent_id=opponent, stake=stake,
            details={"bot": vs_bot, "tz": timezone, "program": program_id},
            created_at=now, closes_at=now + (ROLLING_FOR if vs_bot else OPEN_FOR),
        )  # fmt: skip
        async with self.session.begin_nested():
            self.session.add(row)
            await self.session.flush()
            await self._hold(row, user_id)
        return duel_of(row)

    async def placed(self, duel_id: int, message_id: int) -> None:
        row = await self.session.get(GameRound, duel_id)
        if row is not None:
            row.message_id = message_id

    async def accept(
        self,
        duel_id: int,
        chat_id: int,
        program_id: int,
        timezone: str,
        rules: GameRules,
        user_id: int,
    ) -> Duel:
        """The opponent's stake held and the duel ready to throw (DiceRefused: taken, over,
        past its time, of another group, their own, not theirs, or over the limits)."""
        row = await self._locked(duel_id)
        if (
            row is None
            or row.kind != "dice"
            or row.status != "open"
            or row.chat_id != chat_id  # a button forged or carried from another group
            or (row.closes_at is not None and row.closes_at <= self.clock.now())
        ):
            raise DiceRefused("gone")
        if row.started_by == user_id:
            raise DiceRefused("own")
        if row.opponent_id is not None and row.opponent_id != user_id:
            raise DiceRefused("not_yours")
        await self._check_stake(program_id, timezone, rules, user_id, row.stake, except_duel=row.id)
        async with self.session.begin_nested():
            await self._hold(row, user_id)
        row.opponent_id = user_id
        row.status = "rolling"
        row.closes_at = self.clock.now() + ROLLING_FOR
        return duel_of(row)

    async def thrown(self, duel_id: int, seat: int, value: int) -> None:
        """A value Telegram drew for one seat (BOT for the bot's), kept once."""
        row = await self._locked(duel_id)
        if row is None or row.status != "rolling":
            return
        values = dict(row.details.get("values") or {})
        values.setdefault(str(seat), value)
        row.details = {**row.details, "values": values}

    async def settle(self, duel_id: int) -> Duel | None:
        """Pay the duel out once both threw: the duel settled now, None if it was before (or
        is not ready)."""
        row = await self._locked(duel_id)
        if row is None or row.status != "rolling":
            return None
        duel = duel_of(row)
        seats = [duel.challenger] + ([] if duel.vs_bot else [duel.opponent or 0])
        if any(seat not in duel.values for seat in [*seats, BOT][:2]):
            return None
        winner = duel.winner
        if winner is None:  # a tie: each takes their own back
            for seat in seats:
                await self._give_back(row, seat)
        elif winner != BOT:
            await self.points.change(
                row.chat_id, winner, 2 * row.stake, reason="dice", key=f"dice:{row.id}:win",
                ref=f"dice:{row.id}", timezone=row.details.get("tz"),
            )  # fmt: skip
            await self.book.count_won(
                int(row.details.get("program") or row.chat_id), winner,
                str(row.details.get("tz") or "UTC"), row.stake,
            )  # fmt: skip
        row.status = "closed"
        row.closed_at = self.clock.now()
        return duel_of(row)

    async def call_off(self, duel_id: int) -> Duel | None:
        """An unanswered challenge, or a duel whose dice never came back: the stakes held given
        back (a duel both threw in is settled instead). None if it was over already, or is not
        due (re-read under the lock: an Accept may have just given it more time)."""
        row = await self._locked(duel_id)
        if row is None or row.status not in ("open", "rolling"):
            return None
        if row.closes_at is None or row.closes_at > self.clock.now():
            return None
        if row.status == "rolling":
            settled = await self.settle(duel_id)
            if settled is not None:
                return settled
        for seat in await self._held(row):
            await self._give_back(row, seat)
        if row.status == "rolling":
            row.details = {**row.details, "rolled": True}
        row.status = "cancelled"
        row.closed_at = self.clock.now()
        return duel_of(row)

    async def due(self) -> list[int]:
        """Duels past their time: challenges nobody took, throws that never came back."""
        rows = await self.session.scalars(
            select(GameRound.id)
            .where(
                GameRound.status.in_(("open", "rolling")),
                GameRound.kind == "dice",
                GameRound.closes_at <= self.clock.now(),
            )
            .order_by(GameRound.id)
            .limit(100)
        )
        return list(rows)

    async def duel(self, duel_id: int) -> Duel | None:
        row = await self.session.get(GameRound, duel_id)
        return duel_of(row) if row is not None and row.kind == "dice" else None

    async def _check_stake(
        self,
        program_id: int,
        timezone: str,
        rules: GameRules,
        user_id: int,
        stake: int,
        *,
        except_duel: int | None = None,
    ) -> None:
        if stake > rules.dice_max:
            raise DiceRefused("max", rules.dice_max)
        await self.book.lock_day(program_id, user_id, timezone)  # two stakes at once wait here
        room = await self.book.room_today(
            program_id, user_id, timezone, rules.cap, except_duel=except_duel
        )
        if stake > room:
            raise DiceRefused("cap", room)

    async def _held(self, row: GameRound) -> list[int]:
        """The seats whose stake this duel holds (a named opponent's only once accepted)."""
        keys = {
            f"dice:{row.id}:{seat}:hold": seat
            for seat in (row.started_by, row.opponent_id)
            if seat is not None and seat != BOT
        }
        found = await self.session.scalars(
            select(LedgerEntry.idempotency_key).where(LedgerEntry.idempotency_key.in_(keys))
        )
        return [keys[key] for key in keys if key in set(found)]

    async def _hold(self, row: GameRound, user_id: int) -> None:
        try:
            await self.points.change(
                row.chat_id, user_id, -row.stake, reason="dice_stake",
                key=f"dice:{row.id}:{user_id}:hold", ref=f"dice:{row.id}",
                timezone=row.details.get("tz"),
            )  # fmt: skip
        except NotEnoughPoints as poor:
            raise DiceRefused("points", poor.balance) from None

    async def _give_back(self, row: GameRound, user_id: int) -> None:
        await self.points.change(
            row.chat_id, user_id, row.stake, reason="dice_stake",
            key=f"dice:{row.id}:{user_id}:back", ref=f"dice:{row.id}",
            timezone=row.details.get("tz"),
        )  # fmt: skip

    async def _locked(self, duel_id: int) -> GameRound | None:
        return await self.session.scalar(
            select(GameRound)
            .where(GameRound.id == duel_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
