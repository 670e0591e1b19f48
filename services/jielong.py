"""Solitaire order lists (接龙): an admin opens one in a group, members put their name down for a
quantity (of an option, such as a size) with the post's buttons, change it or take it back until
the list ends (at its time, or when an admin ends it); the list is then a CSV for fulfilment.
Every change is shown on the post through the outbox, paced as draws' counts are."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Jielong, JielongEntry, Member
from models.queries import insert_for
from services.clock import Clock
from services.jielong_messages import JielongEdit, JielongPost, JielongSummary
from services.jielong_specs import JielongSpec
from services.outbox import OutboxPayload, OutboxService
from services.paced_edits import edit_window

MAX_EACH = 999  # one member's quantity of one option
logger = logging.getLogger(__name__)


class JielongNotFound(LookupError):
    pass


class JielongClosed(Exception):
    def __init__(self, jielong_id: int) -> None:
        super().__init__(jielong_id)
        self.jielong_id = jielong_id


class Pressed(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CANCELLED = "cancelled"
    NOTHING = "nothing"  # −1 or cancel with nothing on the list
    FULL = "full"  # the limit is reached
    CLOSED = "closed"
    UNKNOWN = "unknown"  # no such list, or an option it does not have


@dataclass(frozen=True, slots=True)
class Press:
    outcome: Pressed
    mine: dict[str, int] = field(default_factory=dict)  # the presser's quantities by option


@dataclass(frozen=True, slots=True)
class ListRow:
    user_id: int
    name: str
    username: str | None
    option: str
    quantity: int
    updated_at: datetime


class JielongService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def create(self, chat_id: int, admin_id: int, spec: JielongSpec) -> Jielong:
        """The list, and its post in the outbox (the post is the command's answer)."""
        jielong = Jielong(
            chat_id=chat_id, title=spec.title, options="|".join(spec.options),
            price_fen=spec.price_fen, limit=spec.limit, taken=0, status="open",
            ends_at=spec.ends_at, created_by=admin_id, created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(jielong)
        await self.session.flush()
        await self._announce(jielong, JielongPost(jielong_id=jielong.id), f"jielong:{jielong.id}")
        return jielong

    async def posted(self, jielong_id: int, message_id: int) -> None:
        jielong = await self.session.get(Jielong, jielong_id)
        if jielong is not None:
            jielong.message_id = message_id

    async def get(self, chat_id: int, jielong_id: int) -> Jielong:
        jielong = await self.session.get(Jielong, jielong_id)
        if jielong is None or jielong.chat_id != chat_id:
            raise JielongNotFound(jielong_id)
        return jielong

    async def press(
        self, chat_id: int, jielong_id: int, user_id: int, delta: int, choice: int = -1
    ) -> Press:
        """+1 of the list's `choice` (its index; -1 when it has none) for the presser, −1 (of
        the choice, else of the last they put down), or (delta 0) take all their lines back."""
        jielong = await self._locked(jielong_id)
        if jielong is None or jielong.chat_id != chat_id:
            return Press(Pressed.UNKNOWN)
        choices = jielong.choices
        if 0 <= choice < len(choices):
            option = choices[choice]
        elif choice == -1 and (delta <= 0 or not choices):
            option = ""
        else:
            return Press(Pressed.UNKNOWN)
        mine = await self.mine(jielong.id, user_id)
        if jielong.status != "open":
            return Press(Pressed.CLOSED, mine)
        now = self.clock.now()
        if delta > 0:
            if jielong.limit is not None and jielong.taken >= jielong.limit:
                return Press(Pressed.FULL, mine)
            if mine.get(option, 0) >= MAX_EACH:
                return Press(Pressed.FULL, mine)
            await self._set(jielong.id, user_id, option, mine.get(option, 0) + 1, now)
            mine[option] = mine.get(option, 0) + 1
            jielong.taken += 1
            outcome = Pressed.ADDED
        elif delta < 0:
            # −1 takes from the option named, else from the last option they put down.
            named = option if mine.get(option) else next(reversed(mine), None)
            if named is None:
                return Press(Pressed.NOTHING, mine)
            await self._set(jielong.id, user_id, named, mine[named] - 1, now)
            mine[named] -= 1
            if not mine[named]:
                del mine[named]
            jielong.taken -= 1
            outcome = Pressed.REMOVED
        else:
            if not mine:
                return Press(Pressed.NOTHING, mine)
            await self.session.execute(
                delete(JielongEntry).where(
                    JielongEntry.jielong_id == jielong.id, JielongEntry.user_id == user_id
                )
            )
            jielong.taken -= sum(mine.values())
            mine = {}
            outcome = Pressed.CANCELLED
        await self.session.flush()
        await self._paced_edit(jielong, now)
        return Press(outcome, mine)

    async def mine(self, jielong_id: int, user_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(JielongEntry.option, JielongEntry.quantity)
            .where(JielongEntry.jielong_id == jielong_id, JielongEntry.user_id == user_id)
            .order_by(JielongEntry.updated_at, JielongEntry.option)
        )
        return {str(option): int(quantity) for option, quantity in rows}

    async def end(self, chat_id: int, jielong_id: int) -> Jielong:
        """Close the list (once): the post loses its buttons, the summary replies to it."""
        jielong = await self._locked(jielong_id)
        if jielong is None or jielong.chat_id != chat_id:
            raise JielongNotFound(jielong_id)
        if jielong.status != "open":
            raise JielongClosed(jielong.id)
        jielong.status, jielong.ended_at = "ended", self.clock.now()
        await self.session.flush()
        await self._announce(
            jielong, JielongEdit(jielong_id=jielong.id), f"jielong_end:{jielong.id}"
        )
        summary = JielongSummary(jielong_id=jielong.id)
        await self._announce(jielong, summary, f"jielong_summary:{jielong.id}")
        return jielong

    async def due(self) -> list[tuple[int, int]]:
        """(chat, list) of the open lists whose end has come."""
        rows = await self.session.execute(
            select(Jielong.chat_id, Jielong.id)
            .where(Jielong.status == "open", Jielong.ends_at <= self.clock.now())
            .order_by(Jielong.id)
        )
        return [(chat_id, jielong_id) for chat_id, jielong_id in rows]

    async def rows(self, jielong: Jielong) -> list[ListRow]:
        """The list as it stands, in the order names were put down."""
        found = await self.session.execute(
            select(
                JielongEntry.user_id, Member.display_name, Member.username, JielongEntry.option,
                JielongEntry.quantity, JielongEntry.updated_at,
            )
            .outerjoin(
                Member,
                (Member.chat_id == jielong.chat_id) & (Member.user_id == JielongEntry.user_id),
            )
            .where(JielongEntry.jielong_id == jielong.id)
            .order_by(JielongEntry.created_at, JielongEntry.user_id, JielongEntry.option)
        )  # fmt: skip
        return [
            ListRow(user_id, name or str(user_id), username, option, quantity, updated)
            for user_id, name, username, option, quantity, updated in found
        ]

    async def people(self, jielong_id: int) -> int:
        count = await self.session.scalar(
            select(func.count(func.distinct(JielongEntry.user_id))).where(
                JielongEntry.jielong_id == jielong_id
            )
        )
        return int(count or 0)

    async def open_lists(self, chat_id: int) -> Sequence[Jielong]:
        found = await self.session.scalars(
            select(Jielong)
            .where(Jielong.chat_id == chat_id, Jielong.status == "open")
            .order_by(Jielong.id)
        )
        return list(found)

    async def _set(
        self, jielong_id: int, user_id: int, option: str, quantity: int, now: datetime
    ) -> None:
        where = (
            (JielongEntry.jielong_id == jielong_id)
            & (JielongEntry.user_id == user_id)
            & (JielongEntry.option == option)
        )
        if quantity <= 0:
            await self.session.execute(delete(JielongEntry).where(where))
            return
        values = {
            "jielong_id": jielong_id, "user_id": user_id, "option": option,
            "quantity": quantity, "created_at": now, "updated_at": now,
        }  # fmt: skip
        await self.session.execute(
            insert_for(self.session, JielongEntry)
            .values(values)
            .on_conflict_do_update(
                index_elements=["jielong_id", "user_id", "option"],
                set_={"quantity": quantity, "updated_at": now},
            )
        )

    async def _paced_edit(self, jielong: Jielong, now: datetime) -> None:
        """One edit of the post per list and COUNT_EDIT_EVERY seconds, at the end of the window
        so it shows the window's last state; a later press in it adds no row (as draws do)."""
        window, edit_at = edit_window(now)
        edit = JielongEdit(jielong_id=jielong.id)
        await self._announce(jielong, edit, f"jielong_count:{jielong.id}:{window}", edit_at)

    async def _announce(
        self, jielong: Jielong, payload: OutboxPayload, key: str, due_at: datetime | None = None
    ) -> None:
        await OutboxService(self.session, self.clock).add(jielong.chat_id, payload, key, due_at)

    async def _locked(self, jielong_id: int) -> Jielong | None:
        return await self.session.scalar(
            select(Jielong)
            .where(Jielong.id == jielong_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )


async def close_due_jielong(pool: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Every open 接龙 whose end has come closes, one a transaction (a background check's)."""
    async with pool() as session:
        due = await JielongService(session, clock).due()
    closed = 0
    for chat_id, jielong_id in due:
        async with pool() as session, session.begin():
            try:
                await JielongService(session, clock).end(chat_id, jielong_id)
                closed += 1
            except (JielongNotFound, JielongClosed):  # an admin ended it meanwhile
                pass
    if closed:
        logger.info("closed %s 接龙 lists that were due", closed)
    return closed
