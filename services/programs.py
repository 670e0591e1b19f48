"""Programs: the groups that share one brand's member accounts (models/program.py).

A group's program id is the key of its accounts everywhere (`ChatProfile.program_id`); this
service answers which groups a program has, which program a group is in (for work outside an
update, which has no profile), and joins one program into another (services/program_merge.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Member, Program
from models.queries import upsert
from services.clock import Clock

GROUP_TYPES = ("group", "supergroup")


def in_program(program_id: int) -> ColumnElement[bool]:
    """The chats of a program, as a WHERE clause on `chats` (a founding group that joined
    another program since is that one's)."""
    return or_(
        and_(Chat.id == program_id, Chat.program_id.is_(None)), Chat.program_id == program_id
    )


class ProgramService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def program_of(self, chat_id: int) -> int:
        """The program whose accounts the chat uses (its own id for one on its own)."""
        joined = await self.session.scalar(select(Chat.program_id).where(Chat.id == chat_id))
        return joined or chat_id

    async def groups(self, program_id: int, *, active_only: bool = True) -> list[int]:
        """The program's groups, its founding group first, then by id."""
        query = select(Chat.id).where(in_program(program_id), Chat.type.in_(GROUP_TYPES))
        if active_only:
            query = query.where(Chat.active.is_(True))
        found = list(await self.session.scalars(query))
        return sorted(found, key=lambda chat_id: (chat_id != program_id, chat_id))

    async def accounts(self, program_id: int) -> int:
        """How many member accounts the program holds."""
        count = await self.session.scalar(
            select(func.count()).select_from(Member).where(Member.chat_id == program_id)
        )
        return int(count or 0)

    async def program(self, program_id: int) -> Program:
        """The program's row, made for a group on its own when first asked (named after it)."""
        found = await self.session.get(Program, program_id)
        if found is not None:
            return found
        title = await self.session.scalar(select(Chat.title).where(Chat.id == program_id))
        row = {"id": program_id, "name": title or "", "created_at": self.clock.now()}
        await upsert(self.session, Program, row, keys=["id"])
        found = await self.session.get(Program, program_id)
        assert found is not None
        return found


class ProgramMap:
    """Which program each group's accounts are in, kept a minute per process: the ledger asks
    on every earning and a group joins a program once in its life.

    A join forgets everything here at once; another worker sees it within `ttl`, and whatever
    it paid into the old program meanwhile is swept in by the next `ProgramService.sweep`."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._programs: dict[int, tuple[float, int]] = {}

    async def of(self, session: AsyncSession, chat_ids: Iterable[int]) -> dict[int, int]:
        """Each chat's program id (a chat unknown to the database is its own)."""
        now = time.monotonic()
        found: dict[int, int] = {}
        wanted = []
        for chat_id in set(chat_ids):
            cached = self._programs.get(chat_id)
            if cached is not None and now - cached[0] <= self.ttl:
                found[chat_id] = cached[1]
            else:
                wanted.append(chat_id)
        if wanted:
            rows = await session.execute(
                select(Chat.id, Chat.program_id).where(Chat.id.in_(sorted(wanted)))
            )
            read = {chat_id: program_id or chat_id for chat_id, program_id in rows}
            for chat_id in wanted:
                found[chat_id] = read.get(chat_id, chat_id)
                self._programs[chat_id] = (now, found[chat_id])
        return found

    def forget(self) -> None:
        self._programs.clear()
