"""Lucky draws: opened with a committed seed, entered (paying the entry cost; who may enter is
`services/draw_entries.py`'s), ended with the winners the seed chooses
(`services/draw_fairness.py`, which anyone can check), cancelled with refunds, claimed and
rerolled; every change announced through the outbox.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from models import Badge, Draw, DrawEntry, EventSeat, Label, Member
from services.badges import DRAW_PREFIX, holding
from services.batching import PointsGroupCommit
from services.clock import Clock
from services.daystats import count_today
from services.draw_entries import Joined, JoinOutcome, JoinRequest, entry_refusal
from services.draw_fairness import choose_winners, commitment_of, replay
from services.draw_messages import DrawEdit, DrawPost, DrawResult, DrawResultEdit
from services.draw_specs import DrawSpec
from services.labels import labelled
from services.members import ensure_accounts, ensure_members
from services.outbox import OutboxPayload, OutboxService
from services.paced_edits import edit_window
from services.points import PointsService
from services.programs import ProgramService
from services.tiers import TierService, tier_figure


@dataclass(frozen=True, slots=True)
class Ended:
    draw: Draw
    entrants: int


@dataclass(frozen=True, slots=True)
class Verification:
    draw: Draw
    seed_matches: bool
    expected: list[int]

    @property
    def ok(self) -> bool:
        return self.seed_matches and self.expected == self.draw.winner_ids


class DrawNotFound(LookupError):
    pass


class RerollRefused(Exception):
    """Why: "not_winner" (the named member did not win), "none" (everyone claimed, or n was 0)
    or "no_entrants" (nobody left who has not won)."""


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    ALREADY = "already"
    NOT_WINNER = "not_winner"


@dataclass(frozen=True, slots=True)
class EntrantRow:
    user_id: int
    name: str | None
    username: str | None
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Rerolled:
    draw: Draw
    replaced: list[int]
    picked: list[int]


class DrawClosed(Exception):
    """The draw has not ended yet (`verify`), or has ended or was cancelled already."""

    def __init__(self, draw_id: int, status: str) -> None:
        super().__init__(status)
        self.draw_id = draw_id  # plain values: a rollback expires the draw's row
        self.status = status


class DrawService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def create(self, chat_id: int, admin_id: int, spec: DrawSpec) -> Draw:
        seed = secrets.token_hex(32)
        tier = spec.min_tier
        draw = Draw(
            chat_id=chat_id, created_by=admin_id, prize=spec.prize, winners=spec.winners,
            ends_at=spec.ends_at, min_tier=(tier.name or tier.key) if tier else None,
            min_lifetime=tier.threshold if tier else 0,
            min_points=spec.min_points, cost=spec.cost, min_member_days=spec.min_member_days,
            min_messages=spec.min_messages, reward_id=spec.reward_id, label=spec.label, seed=seed,
            event_id=spec.event_id,
            commitment=commitment_of(seed),
            status="open", entrants=0, winner_ids=[], next_counter=0, claimed_ids=[], rerolls=[],
            created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(draw)
        await self.session.flush()
        await self._announce(draw, DrawPost(draw_id=draw.id), f"draw_post:{draw.id}")
        return draw

    async def posted(self, draw_id: int, message_id: int) -> None:
        await self.session.execute(
            update(Draw).where(Draw.id == draw_id).values(message_id=message_id)
        )

    async def result_posted(self, draw_id: int, message_id: int) -> None:
        await self.session.execute(
            update(Draw).where(Draw.id == draw_id).values(result_message_id=message_id)
        )

    async def get(self, chat_id: int | None, draw_id: int) -> Draw:
        """The draw, if it is this chat's (any chat's for None: the command line)."""
        draw = await self.session.get(Draw, draw_id, populate_existing=True)
        if draw is None or chat_id not in (None, draw.chat_id):
            raise DrawNotFound(draw_id)
        return draw

    async def recent(self, chat_id: int, limit: int = 50) -> list[Draw]:
        """The chat's draws, newest first: open, ended and cancelled alike."""
        found = await self.session.scalars(
            select(Draw).where(Draw.chat_id == chat_id).order_by(Draw.id.desc()).limit(limit)
        )
        return list(found)

    async def open_draws(self, chat_id: int) -> list[Draw]:
        found = await self.session.scalars(
            select(Draw).where(Draw.chat_id == chat_id, Draw.status == "open").order_by(Draw.id)
        )
        return list(found)

    async def _accounts(
        self, pairs: list[tuple[int, int]]
    ) -> tuple[dict[tuple[int, int], Member], dict[int, int]]:
        """The accounts, locked after the groups' rows, of members of groups in another
        group's program (keyed by program and user); and each group's program."""
        programs = await self.points.programs.of(self.session, {chat for chat, _user in pairs})
        wanted = sorted({(programs[chat], user) for chat, user in pairs if programs[chat] != chat})
        if not wanted:
            return {}, programs
        await ensure_accounts(self.session, wanted, self.clock.now())
        found = await self.session.scalars(
            select(Member)
            .where(tuple_(Member.chat_id, Member.user_id).in_(wanted))
            .order_by(Member.chat_id, Member.user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {(m.chat_id, m.user_id): m for m in found}, programs

    async def join_many(self, requests: Sequence[JoinRequest]) -> list[Joined]:
        """Enter members, each once per draw, paying the entry cost; one result each, in order.

        Locks the draws, then the members in key order (the order every writer takes them).
        """
        now = self.clock.now()
        draws = {
            draw.id: draw
            for draw in await self.session.scalars(
                select(Draw)
                .where(Draw.id.in_({r.draw_id for r in requests}))
                .order_by(Draw.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        valid = [
            r for r in requests if r.draw_id in draws and draws[r.draw_id].chat_id == r.chat_id
        ]
        pairs = sorted({(r.chat_id, r.user_id) for r in valid})
        await ensure_members(self.session, pairs)
        members = {
            (m.chat_id, m.user_id): m
            for m in await self.session.scalars(
                select(Member)
                .where(tuple_(Member.chat_id, Member.user_id).in_(pairs))
                .order_by(Member.chat_id, Member.user_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        accounts, programs = await self._accounts(pairs)
        rows = await self.session.execute(
            select(DrawEntry.draw_id, DrawEntry.user_id).where(
                DrawEntry.draw_id.in_(draws), DrawEntry.user_id.in_({u for _, u in pairs})
            )
        )
        entered = {(draw_id, user_id) for draw_id, user_id in rows}
        entries: list[dict[str, object]] = []
        added: Counter[int] = Counter()  # entries per draw
        results: list[Joined] = []
        tiers = TierService(self.session, self.points.ladders)
        bases = {program: await tiers.basis(program) for program in set(programs.values())}
        carrying = await self._labelled(list(draws.values()), pairs)
        seated = await self._seated(list(draws.values()), pairs)
        for request in requests:
            draw = draws.get(request.draw_id)
            if draw is None or draw.chat_id != request.chat_id:
                results.append(Joined(JoinOutcome.UNKNOWN))
                continue
            member = members[request.chat_id, request.user_id]
            program = programs[draw.chat_id]  # points and tier: the member's account there
            account = accounts.get((program, request.user_id), member)
            figure = tier_figure(account, bases[program])
            outcome = entry_refusal(
                draw, member, (draw.id, member.user_id) in entered, now, figure,
                (draw.id, member.user_id) in carrying, account,
                request.keyword and (draw.id, member.user_id) in seated,
            )  # fmt: skip
            if outcome is not None:
                results.append(Joined(outcome, draw, account.points))
                continue
            entered.add((draw.id, member.user_id))
            entries.append(
                {
                    "draw_id": draw.id,
                    "user_id": member.user_id,
                    "paid": draw.cost,
                    "created_at": now,
                }
            )
            set_committed_value(draw, "entrants", draw.entrants + 1)  # written once per draw below
            added[draw.id] += 1
            balance = account.points
            if draw.cost:
                spent = await self.points.change(
                    draw.chat_id, member.user_id, -draw.cost, reason="draw",
                    key=f"draw:{draw.id}:{member.user_id}", ref=f"draw:{draw.id}",
                    member_exists=True,
                )  # fmt: skip
                balance = spent.points
                set_committed_value(account, "points", balance)  # written by the ledger
            results.append(Joined(JoinOutcome.JOINED, draw, balance))
        if entries:
            await self.session.execute(insert(DrawEntry), entries)
            per_chat: Counter[int] = Counter()
            for draw_id, count in added.items():
                per_chat[draws[draw_id].chat_id] += count
            for chat_id, count in sorted(per_chat.items()):
                timezone = await self.points.timezone_of(chat_id)
                count_today(self.session, chat_id, now, timezone, draw_entries=count)
            # One edit of the post per draw and COUNT_EDIT_EVERY seconds, at the end of the
            # window so it shows the window's last count; a later press in it adds no row.
            window, edit_at = edit_window(now)
            for draw_id, count in sorted(added.items()):
                await self.session.execute(
                    update(Draw).where(Draw.id == draw_id).values(entrants=Draw.entrants + count)
                )
                key = f"draw_count:{draw_id}:{window}"
                edit = DrawEdit(draw_id=draw_id)
                await self._announce(draws[draw_id], edit, key, due_at=edit_at)
        return results

    async def _labelled(
        self, draws: list[Draw], pairs: list[tuple[int, int]]
    ) -> set[tuple[int, int]]:
        """(draw, member) for the members pressing a draw with a label who carry it (the
        labels are the program's: the group's program is looked up)."""
        found: set[tuple[int, int]] = set()
        programs = ProgramService(self.session, self.clock)
        for draw in draws:
            if draw.label is None:
                continue
            users = [user_id for chat_id, user_id in pairs if chat_id == draw.chat_id]
            program_id = await programs.program_of(draw.chat_id)
            wanted = labelled(program_id, draw.label).where(Label.user_id.in_(users))
            if draw.label.startswith(DRAW_PREFIX):  # a badge's holders (`badge=`)
                wanted = holding(program_id, draw.label.removeprefix(DRAW_PREFIX))
                wanted = wanted.where(Badge.user_id.in_(users))
            carrying = await self.session.scalars(wanted)
            found.update((draw.id, user_id) for user_id in carrying)
        return found

    async def _seated(
        self, draws: list[Draw], pairs: list[tuple[int, int]]
    ) -> set[tuple[int, int]]:
        """(draw, member) for the members entering an event's draw who hold a seat at it."""
        found: set[tuple[int, int]] = set()
        for draw in draws:
            if draw.event_id is not None:
                users = [user_id for chat_id, user_id in pairs if chat_id == draw.chat_id]
                seated = await self.session.scalars(
                    select(EventSeat.user_id).where(
                        EventSeat.event_id == draw.event_id, EventSeat.status == "confirmed",
                        EventSeat.user_id.in_(users),
                    )
                )  # fmt: skip
                found.update((draw.id, user_id) for user_id in seated)
        return found

    async def end(self, chat_id: int, draw_id: int) -> Ended:
        """Choose the winners from the committed seed and close the draw (once)."""
        draw = await self._locked(chat_id, draw_id)
        entrants = await self.entrants(draw.id)
        draw.winner_ids, draw.next_counter = choose_winners(draw.seed, entrants, draw.winners)
        draw.status, draw.ended_at = "ended", self.clock.now()
        await self.session.flush()
        await self._announce(draw, DrawEdit(draw_id=draw.id), f"draw_closed:{draw.id}")
        result = DrawResult(draw_id=draw.id, entrants=len(entrants))
        await self._announce(draw, result, f"draw_result:{draw.id}")
        return Ended(draw, len(entrants))

    async def cancel(self, chat_id: int, draw_id: int) -> tuple[Draw, int]:
        """Close the draw without winners and give every entry cost back; (draw, refunds)."""
        draw = await self._locked(chat_id, draw_id)
        paid = await self.session.execute(
            select(DrawEntry.user_id, DrawEntry.paid)
            .where(DrawEntry.draw_id == draw.id, DrawEntry.paid > 0)
            .order_by(DrawEntry.user_id)
        )
        refunds = 0
        for user_id, amount in paid:
            await self.points.change(
                chat_id, user_id, amount, reason="refund", key=f"refund:draw:{draw.id}:{user_id}",
                ref=f"draw:{draw.id}", member_exists=True,
            )  # fmt: skip
            refunds += 1
        draw.status, draw.ended_at = "cancelled", self.clock.now()
        await self.session.flush()
        await self._announce(draw, DrawEdit(draw_id=draw.id), f"draw_closed:{draw.id}")
        return draw, refunds

    async def claim(self, chat_id: int, draw_id: int, user_id: int) -> tuple[Draw, ClaimOutcome]:
        draw = await self._locked(chat_id, draw_id, status="ended")
        if user_id not in draw.winner_ids:
            return draw, ClaimOutcome.NOT_WINNER
        if user_id in draw.claimed_ids:
            return draw, ClaimOutcome.ALREADY
        draw.claimed_ids = [*draw.claimed_ids, user_id]
        await self.session.flush()
        edit = DrawResultEdit(draw_id=draw.id)
        await self._announce(draw, edit, f"draw_claim:{draw.id}:{user_id}")
        return draw, ClaimOutcome.CLAIMED

    async def reroll(
        self, chat_id: int, draw_id: int, count: int | None = None, user_id: int | None = None
    ) -> Rerolled:
        """Replace `user_id`, or `count` winners who have not claimed (all of them by default),
        with the next winners of the same sequence; nobody who won before wins again."""
        draw = await self._locked(chat_id, draw_id, status="ended")
        if user_id is not None:
            if user_id not in draw.winner_ids:
                raise RerollRefused("not_winner")
            replaced = [user_id]
        else:
            unclaimed = [w for w in draw.winner_ids if w not in draw.claimed_ids]
            replaced = unclaimed[:count] if count is not None else unclaimed
        if not replaced:
            raise RerollRefused("none")
        entrants = await self.entrants(draw.id)
        ever = set(draw.winner_ids).union(*draw.rerolls)
        picks, counter = choose_winners(
            draw.seed, entrants, len(replaced), draw.next_counter, exclude=ever
        )
        if len(picks) < len(replaced):
            raise RerollRefused("no_entrants")
        winners = list(draw.winner_ids)
        for old, new in zip(replaced, picks, strict=True):
            winners[winners.index(old)] = new
        draw.winner_ids, draw.next_counter = winners, counter
        draw.rerolls = [*draw.rerolls, replaced]
        await self.session.flush()
        key = f"draw_reroll:{draw.id}:{len(draw.rerolls)}"
        await self._announce(draw, DrawResultEdit(draw_id=draw.id), key)
        return Rerolled(draw, replaced, picks)

    async def entrant_list(self, draw: Draw) -> list[EntrantRow]:
        """Everyone who entered, by user id (the order the winners are drawn from)."""
        rows = await self.session.execute(
            select(DrawEntry.user_id, Member.display_name, Member.username, DrawEntry.created_at)
            .outerjoin(
                Member, (Member.chat_id == draw.chat_id) & (Member.user_id == DrawEntry.user_id)
            )
            .where(DrawEntry.draw_id == draw.id)
            .order_by(DrawEntry.user_id)
        )
        return [EntrantRow(*row) for row in rows]

    async def entrants(self, draw_id: int) -> list[int]:
        found = await self.session.scalars(
            select(DrawEntry.user_id)
            .where(DrawEntry.draw_id == draw_id)
            .order_by(DrawEntry.user_id)
        )
        return list(found)

    async def verify(self, chat_id: int | None, draw_id: int) -> Verification:
        draw = await self.get(chat_id, draw_id)
        if draw.status != "ended":
            raise DrawClosed(draw.id, draw.status)
        expected = replay(draw.seed, await self.entrants(draw.id), draw.winners, draw.rerolls)
        return Verification(draw, commitment_of(draw.seed) == draw.commitment, expected)

    async def open_everywhere(self) -> list[tuple[int, int, datetime]]:
        """(draw id, chat id, end) of every open draw: the scheduler ends each at its end."""
        rows = await self.session.execute(
            select(Draw.id, Draw.chat_id, Draw.ends_at)
            .where(Draw.status == "open")
            .order_by(Draw.ends_at)
        )
        return [(draw_id, chat_id, ends_at) for draw_id, chat_id, ends_at in rows]

    async def _announce(
        self, draw: Draw, payload: OutboxPayload, key: str, due_at: datetime | None = None
    ) -> None:
        """An outbox row for the draw, in this transaction (rendered from the draw when sent)."""
        await OutboxService(self.session, self.clock).add(draw.chat_id, payload, key, due_at)

    async def _locked(self, chat_id: int, draw_id: int, status: str = "open") -> Draw:
        draw = await self.session.scalar(
            select(Draw)
            .where(Draw.id == draw_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if draw is None or draw.chat_id != chat_id:
            raise DrawNotFound(draw_id)
        if draw.status != status:
            raise DrawClosed(draw.id, draw.status)
        return draw


class JoinGroupCommit(PointsGroupCommit[JoinRequest, Joined]):
    """The process's draw entries, group-committed: a burst of presses on a popular draw
    shares a few transactions, each press answered once its entry is committed."""

    async def join(self, request: JoinRequest) -> Joined:
        return await self._batches.submit(request)

    async def write(
        self, session: AsyncSession, points: PointsService, items: list[JoinRequest]
    ) -> list[Joined]:
        return await DrawService(session, self.clock, points).join_many(items)
