"""Members moving in from another tool (`/import members`): the dry run, read in one session,
and applying it a chunk of `CHUNK` members a transaction, so a 10,000-row file never holds the
database's write lock for long. A crash half-way loses nothing: the file again adds only what
was not in (the ledger's keys, `services/member_import.py`)."""

from __future__ import annotations

import logging

from infrastructure.background import Background
from services.member_files import read_members
from services.member_import import CHUNK, ImportPlan

logger = logging.getLogger(__name__)


class MemberImport:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def plan(self, chat_id: int, data: bytes) -> ImportPlan:
        """What the file would change in the group's program; writes nothing (MemberFileError
        for a file that cannot be read)."""
        lines = read_members(data)
        async with self.background.session_pool() as session:
            services = self.background.services
            program_id = await services.programs(session).program_of(chat_id)
            groups = await services.programs(session).groups(program_id, active_only=False)
            return await services.member_import(session).plan(
                program_id, groups or [chat_id], lines
            )

    async def apply(self, chat_id: int, timezone: str, data: bytes) -> ImportPlan:
        """The dry run's figures, then its changes applied chunk by chunk (`applied`)."""
        plan = await self.plan(chat_id, data)
        services = self.background.services
        for start in range(0, len(plan.changes), CHUNK):
            async with self.background.session_pool() as session, session.begin():
                program_id = await services.programs(session).program_of(chat_id)
                plan.applied += await services.member_import(session).apply(
                    program_id, chat_id, timezone, plan.changes[start : start + CHUNK]
                )
        logger.info("imported %s members into chat %s", plan.applied, chat_id)
        return plan
