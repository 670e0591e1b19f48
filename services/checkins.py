"""The daily sign-in (签到): once per member per local day, streaks, milestones, make-up days.

The day is the chat's local calendar day, and "yesterday" is that date minus one, so a streak
survives a DST change (a 23- or 25-hour day is still one day). Exactly once: the unique
(chat, user, day) row decides who signed in, and the day's counter row, taken under its lock,
hands out ranks 1, 2, 3... so a thousand sign-ins in one second each get their own.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from sqlalchemy import ColumnElement, Integer, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from models import Checkin, CheckinDay, Member
from models.queries import insert_for
from services.batching import PointsGroupCommit
from services.checkin_results import (
    AlreadySignedIn,
    MadeUp,
    MakeupRefused,
    SignedIn,
    SignInRequest,
    SignInResult,
    Silenced,
    StreakRow,
)
from services.checkin_rules import CheckinRules
from services.clock import Clock, local_day, start_of
from services.daystats import add_to_days
from services.members import ensure_members
from services.points import Award, NotEnoughPoints, PointsService

STREAK_LOOKBACK = 400  # days read back to recount a streak after a make-up
MAX_REMEMBERED = 100_000  # members whose sign-in today a SignInGroupCommit remembers


@dataclass(frozen=True, slots=True)
class _Locked:
    """What a sign-in reads from the member's locked row."""

    streak: int
    last_day: date | None
    points: int
    silenced_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Signed:
    rank: int
    streak: int
    at: datetime | None = None


@dataclass(slots=True)
class _Fresh:
    """A sign-in being written in this transaction (its rank comes from the day's counter)."""

    request: SignInRequest
    day: date
    streak: int
    reward: int
    milestone: int
    rank: int = 0

    @property
    def key(self) -> str:
        return f"checkin:{self.request.chat_id}:{self.request.user_id}:{self.day}"


def reward_for(streak: int, rules: CheckinRules) -> tuple[int, int]:
    """(reward, milestone bonus in it) for signing in on day `streak` of a streak."""
    milestone = sum(bonus for day, bonus in rules.milestones if day == streak)
    return rules.base + min(streak - 1, rules.streak_cap) + milestone, milestone


class CheckinService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def check_in(
        self, chat_id: int, user_id: int, timezone: str, rules: CheckinRules
    ) -> SignInResult:
        return (await self.check_in_many([SignInRequest(chat_id, user_id, timezone, rules)]))[0]

    async def check_in_many(self, requests: Sequence[SignInRequest]) -> list[SignInResult]:
        """Sign members in with a few statements, whatever their number; one result each, in
        order. A member asking twice (here or in another transaction) signs in once."""
        now = self.clock.now()
        days = [local_day(now, request.timezone) for request in requests]
        members = await self._lock_members({(r.chat_id, r.user_id) for r in requests})
        # Under the members' locks: a concurrent try of theirs either committed already or waits.
        wanted = {(r.chat_id, r.user_id, day) for r, day in zip(requests, days, strict=True)}
        # Yesterday's sign-in too: after a time-zone change it may have been today (see below).
        yesterdays = {
            (r.chat_id, r.user_id, day - timedelta(days=1))
            for r, day in zip(requests, days, strict=True)
            if members[r.chat_id, r.user_id].last_day == day - timedelta(days=1)
        }
        signed = await self._signed_on(wanted | yesterdays)
        muted_elsewhere = await self._silenced_in_groups(requests)
        fresh: dict[int, _Fresh] = {}  # by the position of the request that signs in
        silenced: dict[int, datetime] = {}  # by position: muted or banned, paid nothing
        for position, (request, day) in enumerate(zip(requests, days, strict=True)):
            key = (request.chat_id, request.user_id, day)
            if key in signed:
                continue
            member = members[request.chat_id, request.user_id]
            # Muted or banned in the group it is made in (the account's row is the program's).
            until = (
                muted_elsewhere.get((request.group, request.user_id))
                if request.group != request.chat_id
                else member.silenced_until
            )
            if until is not None and until > now:
                silenced[position] = until
                continue
            covered = self._same_real_day(member, signed, key, request.timezone)
            if covered is not None:
                signed[key] = covered
                continue
            streak = member.streak + 1 if member.last_day == day - timedelta(days=1) else 1
            reward, milestone = reward_for(streak, request.rules)
            signed[key] = fresh[position] = _Fresh(request, day, streak, reward, milestone)
        paid_now: dict[str, int] = {}  # a campaign may have multiplied the reward
        if fresh:
            await self._write(list(fresh.values()), now)
            paid = await self.points.award_many(
                [  # named by the group: its campaign multiplies, the ledger pays the program
                    Award(f.request.group, f.request.user_id, f.reward, "checkin", f.key)
                    for f in fresh.values()
                ],
                {f.request.group: f.request.timezone for f in fresh.values()},
                members_exist=True,
            )
            paid_now = paid.paid  # a tier reached is congratulated through the outbox
        results: list[SignInResult] = []
        for position, (request, day) in enumerate(zip(requests, days, strict=True)):
            member_key = (request.chat_id, request.user_id)
            if position in silenced:
                results.append(Silenced(silenced[position]))
            elif (new := fresh.get(position)) is not None:
                reward = paid_now.get(new.key, new.reward)
                balance = members[member_key].points + reward
                results.append(SignedIn(day, new.streak, reward, new.milestone, new.rank, balance))
            else:
                earlier = signed[request.chat_id, request.user_id, day]
                next_at = start_of(day + timedelta(days=1), request.timezone)
                results.append(AlreadySignedIn(day, earlier.rank, earlier.streak, next_at))
        return results

    async def _silenced_in_groups(
        self, requests: Sequence[SignInRequest]
    ) -> dict[tuple[int, int], datetime | None]:
        """Until when each member signing in from a group in another's program is muted or
        banned there (their account's row, the program's, is not that group's)."""
        pairs = sorted({(r.group, r.user_id) for r in requests if r.group != r.chat_id})
        if not pairs:
            return {}
        rows = await self.session.execute(
            select(Member.chat_id, Member.user_id, Member.silenced_until).where(
                tuple_(Member.chat_id, Member.user_id).in_(pairs)
            )
        )
        return {(chat_id, user_id): until for chat_id, user_id, until in rows}

    async def make_up(
        self, chat_id: int, user_id: int, timezone: str, rules: CheckinRules
    ) -> MadeUp:
        """Spend points to sign the most recent missed day, within the window and the limit."""
        today = local_day(self.clock.now(), timezone)
        await self._lock_members({(chat_id, user_id)})
        window = [today - timedelta(days=n) for n in range(1, rules.makeup_days + 1)]
        signed = set(
            await self.session.scalars(
                select(Checkin.day).where(
                    Checkin.chat_id == chat_id,
                    Checkin.user_id == user_id,
                    Checkin.day >= window[-1] - timedelta(days=1),
                )
            )
        )
        first = await self.session.scalar(
            select(func.min(Checkin.day)).where(
                Checkin.chat_id == chat_id, Checkin.user_id == user_id
            )
        )
        missed = next((d for d in window if d not in signed and first and d > first), None)
        if missed is None:
            raise MakeupRefused("none")
        used = await self.session.scalar(
            select(func.count()).where(
                Checkin.chat_id == chat_id,
                Checkin.user_id == user_id,
                Checkin.makeup.is_(True),
                Checkin.created_at >= start_of(today.replace(day=1), timezone),
            )
        )
        if (used or 0) >= rules.makeup_per_month:
            raise MakeupRefused("limit")
        now = self.clock.now()
        if rules.makeup_cost:
            try:
                balance = await self.points.change(
                    chat_id, user_id, -rules.makeup_cost, reason="makeup",
                    key=f"makeup:{chat_id}:{user_id}:{missed}", member_exists=True,
                )  # fmt: skip
            except NotEnoughPoints as refused:
                raise MakeupRefused("points", refused.balance) from None
            points = balance.points
        else:
            points = (await self.points.balance(chat_id, user_id)).points
        self.session.add(
            Checkin(
                chat_id=chat_id, user_id=user_id, day=missed, rank=0, streak=0, reward=0,
                makeup=True, created_at=now,
            )
        )  # fmt: skip
        await self.session.flush()
        streak, last = await self._recount(chat_id, user_id)
        await self._set_streak(chat_id, user_id, streak, last)
        return MadeUp(missed, rules.makeup_cost, streak, points)

    async def longest_streaks(
        self, chat_id: int, timezone: str, limit: int = 10
    ) -> list[StreakRow]:
        """Current streaks: the member signed in today or yesterday."""
        yesterday = local_day(self.clock.now(), timezone) - timedelta(days=1)
        rows = await self.session.execute(
            select(Member.user_id, Member.display_name, Member.streak)
            .where(Member.chat_id == chat_id, Member.last_checkin_day >= yesterday)
            .where(Member.streak > 0)
            .order_by(Member.streak.desc(), Member.last_checkin_day, Member.user_id)
            .limit(limit)
        )
        return [StreakRow(user_id, name, streak) for user_id, name, streak in rows]

    async def first_today(self, chat_id: int, timezone: str, limit: int = 10) -> list[StreakRow]:
        """Today's first sign-ins, in order (`streak` is theirs today)."""
        day = local_day(self.clock.now(), timezone)
        rows = await self.session.execute(
            select(Checkin.user_id, Member.display_name, Checkin.streak)
            .join(Member, (Member.chat_id == chat_id) & (Member.user_id == Checkin.user_id))
            .where(Checkin.chat_id == chat_id, Checkin.day == day, Checkin.rank > 0)
            .order_by(Checkin.rank)
            .limit(limit)
        )
        return [StreakRow(user_id, name, streak) for user_id, name, streak in rows]

    async def count_today(self, chat_id: int, timezone: str) -> int:
        return await self.count_on(chat_id, local_day(self.clock.now(), timezone))

    async def count_on(self, chat_id: int, day: date) -> int:
        """How many signed in on the chat's local `day`."""
        count = await self.session.scalar(
            select(CheckinDay.count).where(CheckinDay.chat_id == chat_id, CheckinDay.day == day)
        )
        return count or 0

    async def _set_streak(
        self, chat_id: int, user_id: int, streak: int, last_day: date | None
    ) -> None:
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id == user_id)
            .values(
                streak=streak,
                best_streak=self._larger(Member.best_streak, streak),
                last_checkin_day=last_day,
            )
        )

    def _larger(
        self, column: InstrumentedAttribute[int], value: int | ColumnElement[int]
    ) -> ColumnElement[int]:
        """The larger of a column and a value: SQLite's two-argument max(), else greatest()."""
        if self.session.get_bind().dialect.name == "sqlite":
            return func.max(column, value)
        return func.greatest(column, value)

    async def _lock_members(self, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], _Locked]:
        """The members' rows under lock, in key order (created first if the bot has not seen
        them yet), so two workers signing overlapping members in never deadlock."""
        locked = await self._select_for_update(sorted(pairs))
        missing = sorted(pairs - locked.keys())
        if missing:
            await ensure_members(self.session, missing)
            locked |= await self._select_for_update(missing)
        return locked

    async def _select_for_update(
        self, pairs: list[tuple[int, int]]
    ) -> dict[tuple[int, int], _Locked]:
        rows = await self.session.execute(
            select(
                Member.chat_id, Member.user_id, Member.streak, Member.last_checkin_day,
                Member.points, Member.silenced_until,
            )
            .where(tuple_(Member.chat_id, Member.user_id).in_(pairs))
            .order_by(Member.chat_id, Member.user_id)
            .with_for_update()
        )  # fmt: skip
        return {
            (chat, user): _Locked(streak, last_day, points, silenced_until)
            for chat, user, streak, last_day, points, silenced_until in rows
        }

    @staticmethod
    def _same_real_day(
        member: _Locked,
        signed: dict[tuple[int, int, date], _Signed | _Fresh],
        key: tuple[int, int, date],
        timezone: str,
    ) -> _Signed | _Fresh | None:
        """The sign-in that already covers today after the chat's time zone changed: one on a
        local day that is not yet over (moved west, "today" went back) or one whose moment falls
        on today in the new zone (moved east). One real day never pays two sign-ins."""
        chat_id, user_id, day = key
        if member.last_day is not None and member.last_day > day:
            return _Signed(0, member.streak)
        yesterday = signed.get((chat_id, user_id, day - timedelta(days=1)))
        at = yesterday.at if isinstance(yesterday, _Signed) else None
        return yesterday if at is not None and local_day(at, timezone) == day else None

    async def _signed_on(
        self, keys: set[tuple[int, int, date]]
    ) -> dict[tuple[int, int, date], _Signed | _Fresh]:
        rows = await self.session.execute(
            select(
                Checkin.chat_id, Checkin.user_id, Checkin.day, Checkin.rank, Checkin.streak,
                Checkin.created_at, Checkin.makeup,
            ).where(tuple_(Checkin.chat_id, Checkin.user_id, Checkin.day).in_(sorted(keys)))
        )  # fmt: skip
        # A make-up is written after its day: its moment says nothing about when "today" is.
        return {
            (chat, user, day): _Signed(rank, streak, None if makeup else at)
            for chat, user, day, rank, streak, at, makeup in rows
        }

    async def _write(self, fresh: list[_Fresh], now: datetime) -> None:
        """Ranks from each day's counter row (taken under its lock: 1, 2, 3... once each), then
        the sign-ins and the members' streaks."""
        per_day: dict[tuple[int, date], list[_Fresh]] = defaultdict(list)
        for entry in fresh:
            per_day[entry.request.chat_id, entry.day].append(entry)
        for (chat_id, day), entries in sorted(per_day.items()):
            statement = insert_for(self.session, CheckinDay).values(
                chat_id=chat_id, day=day, count=len(entries)
            )
            last = await self.session.scalar(
                statement.on_conflict_do_update(
                    index_elements=["chat_id", "day"],
                    set_={"count": CheckinDay.count + len(entries)},
                ).returning(CheckinDay.count)
            )
            assert last is not None
            for rank, entry in enumerate(entries, start=int(last) - len(entries) + 1):
                entry.rank = rank
        counted: dict[tuple[int, date], int] = defaultdict(int)
        for entry in fresh:
            counted[entry.request.group, entry.day] += 1
        add_to_days(self.session, {key: {"checkins": n} for key, n in counted.items()})
        await self.session.execute(
            insert_for(self.session, Checkin),
            [
                {
                    "chat_id": f.request.chat_id, "user_id": f.request.user_id, "day": f.day,
                    "rank": f.rank, "streak": f.streak, "reward": f.reward, "makeup": False,
                    "created_at": now,
                }
                for f in fresh
            ],
        )  # fmt: skip
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member"))
            .values(
                streak=bindparam("streak"),
                best_streak=self._larger(Member.best_streak, bindparam("streak", type_=Integer)),
                last_checkin_day=bindparam("day"),
            )
            .execution_options(dml_strategy="core_only"),
            [
                {"chat": f.request.chat_id, "member": f.request.user_id, "streak": f.streak,
                 "day": f.day}
                for f in fresh
            ],
        )  # fmt: skip

    async def _recount(self, chat_id: int, user_id: int) -> tuple[int, date | None]:
        """The streak ending on the member's latest signed day, and that day."""
        days = list(
            await self.session.scalars(
                select(Checkin.day)
                .where(Checkin.chat_id == chat_id, Checkin.user_id == user_id)
                .order_by(Checkin.day.desc())
                .limit(STREAK_LOOKBACK)
            )
        )
        if not days:
            return 0, None
        streak = 1
        for newer, older in pairwise(days):
            if newer - older != timedelta(days=1):
                break
            streak += 1
        return streak, days[0]


class SignInGroupCommit(PointsGroupCommit[SignInRequest, SignInResult]):
    """The process's sign-ins, group-committed: `check_in` returns once its sign-in is
    committed, and a thousand members signing in at once share a few transactions.

    A member this process has seen signed in today is told so without a transaction: a
    sign-in, once committed, stays (the answer is the database's too).
    """

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        ledger: Callable[[AsyncSession], PointsService] | None = None,
        max_batch: int = 500,
    ) -> None:
        super().__init__(session_pool, clock, ledger, max_batch)
        self._signed: OrderedDict[tuple[int, int], AlreadySignedIn] = OrderedDict()

    async def check_in(self, request: SignInRequest) -> SignInResult:
        key = (request.chat_id, request.user_id)
        known = self._signed.get(key)
        if known is not None and known.day == local_day(self.clock.now(), request.timezone):
            return known
        result = await self._batches.submit(request)
        if isinstance(result, Silenced):
            return result  # not remembered: the mute ends, and a sign-in is asked again
        if isinstance(result, SignedIn):
            next_at = start_of(result.day + timedelta(days=1), request.timezone)
            self._signed[key] = AlreadySignedIn(result.day, result.rank, result.streak, next_at)
        else:
            self._signed[key] = result
        self._signed.move_to_end(key)
        if len(self._signed) > MAX_REMEMBERED:
            self._signed.popitem(last=False)
        return result

    async def write(
        self, session: AsyncSession, points: PointsService, items: list[SignInRequest]
    ) -> list[SignInResult]:
        return await CheckinService(session, self.clock, points).check_in_many(items)
