"""What games pay, under the daily cap: every game's winnings go through `GameBook.pay`, which
counts them on the member's day (`game_days`, the program's: one cap across a brand's groups)
in the transaction of the ledger row, so a redelivered answer pays nothing twice and counts
nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import GameDay, GameRound
from models.queries import insert_for
from services.clock import Clock, local_day
from services.points import PointsService


class GameBook:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def won_today(self, program_id: int, user_id: int, timezone: str) -> int:
        day = local_day(self.clock.now(), timezone)
        won = await self.session.scalar(
            select(GameDay.won).where(
                GameDay.program_id == program_id, GameDay.user_id == user_id, GameDay.day == day
            )
        )
        return int(won or 0)

    async def room_today(
        self, program_id: int, user_id: int, timezone: str, cap: int, *, staked: bool = True
    ) -> int:
        """What the member may still win today: the cap less what they won, less (`staked`)
        the stakes of their duels still open (in any group), each of which they may yet win."""
        room = cap - await self.won_today(program_id, user_id, timezone)
        if staked:
            open_stakes = await self.session.scalar(
                select(func.coalesce(func.sum(GameRound.stake), 0)).where(
                    GameRound.kind == "dice",
                    GameRound.status.in_(("open", "rolling")),
                    (GameRound.started_by == user_id) | (GameRound.opponent_id == user_id),
                )
            )
            room -= int(open_stakes or 0)
        return max(0, room)

    async def count_won(self, program_id: int, user_id: int, timezone: str, won: int) -> None:
        """Add `won` to the member's day (a duel's winnings, paid as a stake's return)."""
        day = local_day(self.clock.now(), timezone)
        await self.session.execute(
            insert_for(self.session, GameDay)
            .values(program_id=program_id, user_id=user_id, day=day, won=0)
            .on_conflict_do_nothing(index_elements=["program_id", "user_id", "day"])
        )
        await self.session.execute(
            update(GameDay)
            .where(GameDay.program_id == program_id, GameDay.user_id == user_id, GameDay.day == day)
            .values(won=GameDay.won + won)
        )

    async def pay(
        self,
        chat_id: int,
        program_id: int,
        user_id: int,
        points: int,
        *,
        timezone: str,
        cap: int,
        reason: str,
        key: str,
        ref: str,
    ) -> int:
        """Pay a game's prize once per `key`, cut to what the daily cap leaves: what was paid
        now (0: capped, or paid before)."""
        day = local_day(self.clock.now(), timezone)
        await self.session.execute(
            insert_for(self.session, GameDay)
            .values(program_id=program_id, user_id=user_id, day=day, won=0)
            .on_conflict_do_nothing(index_elements=["program_id", "user_id", "day"])
        )
        won = await self.session.scalar(
            select(GameDay.won)
            .where(GameDay.program_id == program_id, GameDay.user_id == user_id, GameDay.day == day)
            .with_for_update()
        )
        allowed = min(points, cap - int(won or 0))
        if allowed <= 0:
            return 0
        balance = await self.points.change(
            chat_id, user_id, allowed, reason=reason, key=key, ref=ref, timezone=timezone
        )
        if not balance.applied:
            return 0
        await self.session.execute(
            update(GameDay)
            .where(GameDay.program_id == program_id, GameDay.user_id == user_id, GameDay.day == day)
            .values(won=GameDay.won + allowed)
        )
        return balance.paid
