"""Console access beyond the Telegram admins: a program's owner gives staff `read` or `full`
access to the console of every group of the program (`staff`, models/console.py), and takes
it back; and the console's own change log, kept in the moderation log as `console` rows.

Who owns a program is decided here from what the database knows (`OWNER_IDS`, then
`programs.owner_id`); the Telegram creator of the founding group, the last word when no owner
is stored, is asked by `infrastructure/console_access.py`. Grants are read on every console
request: a revoke takes effect at the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, ModAction, Program, StaffGrant
from services.clock import Clock
from services.outbox import OutboxService
from services.staff_messages import StaffNotice

ROLES = ("read", "full")
CONSOLE = "console"  # mod_actions.action of a change made through the console
MAX_SUMMARY = 255  # mod_actions.reason
MAX_ACTION = 32  # mod_actions.rule


class Granted(StrEnum):
    NEW = "new"
    CHANGED = "changed"  # had the other role
    SAME = "same"  # had this role already


@dataclass(frozen=True, slots=True)
class Grant:
    outcome: Granted
    told: bool  # the member started the bot: told privately


class StaffService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def stored_owner(self, program_id: int) -> int | None:
        """`programs.owner_id`: the admin who made the program by joining groups (None for a
        group's own program, or one with no row yet)."""
        return await self.session.scalar(select(Program.owner_id).where(Program.id == program_id))

    async def role_of(self, program_id: int, user_id: int) -> str | None:
        return await self.session.scalar(
            select(StaffGrant.role).where(
                StaffGrant.program_id == program_id, StaffGrant.user_id == user_id
            )
        )

    async def staff(self, program_id: int) -> list[StaffGrant]:
        rows = await self.session.scalars(
            select(StaffGrant)
            .where(StaffGrant.program_id == program_id)
            .order_by(StaffGrant.granted_at, StaffGrant.user_id)
        )
        return list(rows)

    async def programs_of(self, user_id: int) -> dict[int, str]:
        """The programs `user_id` is staff of, with the role."""
        rows = await self.session.execute(
            select(StaffGrant.program_id, StaffGrant.role).where(StaffGrant.user_id == user_id)
        )
        return {program_id: role for program_id, role in rows}  # noqa: C416 - Rows, not pairs

    async def owned_programs(self, user_id: int) -> list[int]:
        """The programs whose stored owner is `user_id`."""
        found = await self.session.scalars(select(Program.id).where(Program.owner_id == user_id))
        return list(found)

    async def grant(self, program_id: int, user_id: int, role: str, granted_by: int) -> Grant:
        """Give (or change) `user_id`'s access; a member who started the bot is told privately
        through the outbox, in this transaction."""
        if role not in ROLES:
            raise ValueError(role)
        found = await self.session.scalar(
            select(StaffGrant).where(
                StaffGrant.program_id == program_id, StaffGrant.user_id == user_id
            )
        )
        now = self.clock.now()
        if found is not None and found.role == role:
            return Grant(Granted.SAME, False)
        if found is None:
            self.session.add(StaffGrant(program_id=program_id, user_id=user_id, role=role,
                                        granted_by=granted_by, granted_at=now))  # fmt: skip
            outcome = Granted.NEW
        else:
            found.role, found.granted_by, found.granted_at = role, granted_by, now
            outcome = Granted.CHANGED
        await self.session.flush()
        told = await self._started(user_id)
        if told:
            key = f"staff:{program_id}:{user_id}:{role}:{now.isoformat()}"
            await OutboxService(self.session, self.clock).add(
                user_id, StaffNotice(program_id=program_id, role=role), key
            )
        return Grant(outcome, told)

    async def revoke(self, program_id: int, user_id: int) -> bool:
        """False when `user_id` had no access to take back."""
        gone = await self.session.scalar(
            delete(StaffGrant)
            .where(StaffGrant.program_id == program_id, StaffGrant.user_id == user_id)
            .returning(StaffGrant.user_id)
        )
        return gone is not None

    async def _started(self, user_id: int) -> bool:
        """The user started the bot and has not blocked it: their private chat is open."""
        found = await self.session.scalar(
            select(Chat.id).where(Chat.id == user_id, Chat.type == "private", Chat.active)
        )
        return found is not None

    # -- the console's change log -----------------------------------------------------------

    async def log_change(
        self,
        chat_id: int,
        actor_id: int,
        action: str,
        summary: str,
        target_id: int | None = None,
    ) -> ModAction:
        """One change made through the console, by `actor_id` on a page of group `chat_id`: a
        short action name (`settings`, `draw.end`, `staff.add` …) and what changed, never a
        secret (callers name a code file by its count, never its codes)."""
        entry = ModAction(
            chat_id=chat_id, action=CONSOLE, target_id=target_id, actor_id=actor_id,
            rule=action[:MAX_ACTION], reason=summary[:MAX_SUMMARY] or None,
            created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def titles(self, chat_ids: Sequence[int]) -> dict[int, str]:
        """The groups' titles, to say on which group's page a change was made."""
        rows = await self.session.execute(
            select(Chat.id, Chat.title).where(Chat.id.in_(list(chat_ids)))
        )
        return {chat_id: title or str(chat_id) for chat_id, title in rows}

    async def changes(self, chat_ids: Sequence[int], limit: int = 15) -> list[ModAction]:
        """The latest console changes made on the pages of these groups, newest first."""
        rows = await self.session.scalars(
            select(ModAction)
            .where(ModAction.chat_id.in_(list(chat_ids)), ModAction.action == CONSOLE)
            .order_by(ModAction.id.desc())
            .limit(limit)
        )
        return list(rows)
