"""What games pay, under the daily cap: every game's winnings go through `GameBook.pay`, which
counts them on the member's day (`game_days`, the program's: one cap across a brand's groups)
in the transaction of the ledger row, so a redelivered answer pays nothing twice and counts
nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import GameDay, GameEntry, GameRound, LedgerEntry
from models.queries import insert_for
from services.clock import Clock, local_day
from services.points import PointsService


async def rounds_due(session: AsyncSession, kind: str, now: datetime) -> list[int]:
    """The open rounds of `kind` whose time is up, oldest first (a hundred a look)."""
    rows = await session.scalars(
        select(GameRound.id)
        .where(GameRound.status == "open", GameRound.kind == kind, GameRound.closes_at <= now)
        .order_by(GameRound.id)
        .limit(100)
    )
    return list(rows)


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
        self,
        program_id: int,
        user_id: int,
        timezone: str,
        cap: int,
        *,
        except_duel: int | None = None,
    ) -> int:
        """What the member may still win today: the cap less what they won, less the stakes
        they have held in duels not yet over (in any group), each of which they may yet win;
        `except_duel` is the duel being accepted, not yet theirs."""
        room = cap - await self.won_today(program_id, user_id, timezone)
        return max(0, room - await self.staked(user_id, except_duel=except_duel))

    async def staked(self, user_id: int, *, except_duel: int | None = None) -> int:
        """The stakes the member has held in duels not yet over: as the challenger, or as the
        opponent of a duel they accepted (naming someone holds nothing of theirs)."""
        query = select(func.coalesce(func.sum(GameRound.stake), 0)).where(
            GameRound.kind == "dice",
            GameRound.status.in_(("open", "rolling")),
            (GameRound.started_by == user_id)
            | ((GameRound.opponent_id == user_id) & (GameRound.status == "rolling")),
        )
        if except_duel is not None:
            query = query.where(GameRound.id != except_duel)
        return int(await self.session.scalar(query) or 0)

    async def lock_day(self, program_id: int, user_id: int, timezone: str) -> int:
        """The member's day row, made if missing and locked till the transaction ends (so
        two stakes or prizes at once are counted one after the other): what they won today."""
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
        return int(won or 0)

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
        won = await self.lock_day(program_id, user_id, timezone)
        allowed = min(points, cap - won - await self.staked(user_id))
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


GAME_REASONS = ("quiz", "guess", "dice", "dice_stake")


async def audit_games(session: AsyncSession) -> list[str]:
    """What does not add up in the games (`fanbot audit`): a game's ledger row that names no
    round of its game, a duel whose rows do not net what its state says (settled between
    members: zero; against the bot: what the member won or lost; called off: zero; open:
    the stakes held), a prize that differs from the entry it paid."""
    problems: list[str] = []
    rounds = {
        row.id: row
        for row in await session.scalars(
            select(GameRound).where(GameRound.kind.in_(("quiz", "guess", "dice")))
        )
    }
    nets: dict[int, int] = {}
    rows = await session.execute(
        select(LedgerEntry.reason, LedgerEntry.ref, LedgerEntry.delta, LedgerEntry.user_id).where(
            LedgerEntry.reason.in_(GAME_REASONS)
        )
    )
    paid: dict[tuple[int, int], int] = {}
    for reason, ref, delta, user_id in rows:
        kind, _, number = (ref or "").partition(":")
        game = "dice" if reason.startswith("dice") else reason
        round_ = rounds.get(int(number)) if number.isdigit() else None
        if round_ is None or kind != game or round_.kind != game:
            problems.append(f"ledger row {reason} {ref}: no such {game} round")
            continue
        if game == "dice":
            nets[round_.id] = nets.get(round_.id, 0) + delta
        else:
            paid[round_.id, user_id] = paid.get((round_.id, user_id), 0) + delta
    for round_ in rounds.values():
        if round_.kind != "dice":
            continue
        net = nets.get(round_.id, 0)
        values = round_.details.get("values") or {}
        vs_bot = bool(round_.details.get("bot"))
        expected = 0
        if round_.status == "open" or (round_.status == "rolling" and vs_bot):
            expected = -round_.stake  # the challenger's stake held
        elif round_.status == "rolling":
            expected = -2 * round_.stake  # both held
        elif round_.status == "closed" and vs_bot:
            mine = int(values.get(str(round_.started_by), 0))
            bots = int(values.get("0", 0))
            expected = 0 if mine == bots else (round_.stake if mine > bots else -round_.stake)
        if net != expected:
            problems.append(
                f"duel {round_.id} ({round_.status}): its rows net {net}, not {expected}"
            )
    entries = await session.execute(
        select(GameEntry.round_id, GameEntry.user_id, GameEntry.points).where(GameEntry.points > 0)
    )
    for round_id, user_id, points in entries:
        if paid.get((round_id, user_id), 0) != points:
            problems.append(f"round {round_id}: member {user_id}'s prize {points} is not paid")
    return problems
