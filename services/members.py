"""Members as the bot sees them: who they are and when they were last seen."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member
from models.queries import upsert
from services.daystats import count_today


@dataclass(frozen=True, slots=True)
class Sighting:
    chat_id: int
    user_id: int
    username: str | None
    display_name: str
    seen_at: datetime
    program_id: int | None = None  # the group's program, when it joined another group's


async def record_sightings(session: AsyncSession, sightings: list[Sighting]) -> None:
    """Create members on first sight and keep their name and `last_seen_at` current.

    A member of a group in another group's program has an account there too, named as they
    are seen; made here as not in that group (`left_at`: they never joined it), so the
    founding group counts only its own members."""
    if not sightings:
        return
    accounts: list[dict[str, object]] = [
        {
            "chat_id": s.program_id,
            "user_id": s.user_id,
            "username": s.username,
            "display_name": s.display_name[:255],
            "left_at": s.seen_at,
        }
        for s in sightings
        if s.program_id is not None and s.program_id != s.chat_id
    ]
    if accounts:
        await upsert(
            session, Member, accounts, keys=["chat_id", "user_id"],
            update=["username", "display_name"],
        )  # fmt: skip
    rows: list[dict[str, object]] = [
        {
            "chat_id": s.chat_id,
            "user_id": s.user_id,
            "username": s.username,
            "display_name": s.display_name[:255],
            "joined_at": s.seen_at,
            "last_seen_at": s.seen_at,
        }
        for s in sightings
    ]
    await upsert(
        session,
        Member,
        rows,
        keys=["chat_id", "user_id"],
        update=["username", "display_name", "last_seen_at"],
    )


async def ensure_members(
    session: AsyncSession,
    pairs: Iterable[tuple[int, int]],
    skip: Collection[tuple[int, int]] = (),
) -> None:
    """Rows for (chat, user) pairs the bot may not have seen yet; existing rows stay as they are.

    Sorted, so two transactions creating overlapping members take their locks in one order.
    """
    wanted = sorted(set(pairs) - set(skip))
    rows = [{"chat_id": chat_id, "user_id": user_id} for chat_id, user_id in wanted]
    await upsert(session, Member, rows, keys=["chat_id", "user_id"])


async def ensure_accounts(
    session: AsyncSession, accounts: Iterable[tuple[int, int]], now: datetime
) -> None:
    """Accounts (program, user) of members met in another group of the program: one made here
    is not a member of the founding group (`left_at`), as a sighting makes it."""
    rows = [
        {"chat_id": program_id, "user_id": user_id, "left_at": now}
        for program_id, user_id in sorted(set(accounts))
    ]
    if rows:
        await upsert(session, Member, rows, keys=["chat_id", "user_id"])


async def display_names(
    session: AsyncSession, chat_id: int, user_ids: Iterable[int]
) -> dict[int, str]:
    """Members' names as last seen, for the ones the bot knows; the id stands in for a blank."""
    rows = await session.execute(
        select(Member.user_id, Member.display_name).where(
            Member.chat_id == chat_id, Member.user_id.in_(list(user_ids))
        )
    )
    return {user_id: name or str(user_id) for user_id, name in rows}


async def known_name(session: AsyncSession, user_id: int) -> str | None:
    """The user's name as last seen in any group: one named by id where they never wrote."""
    return await session.scalar(
        select(Member.display_name)
        .where(Member.user_id == user_id, Member.display_name != "")
        .order_by(Member.last_seen_at.desc())
        .limit(1)
    )


async def find_member(session: AsyncSession, chat_id: int, handle: str) -> Member | None:
    """A member of this chat by `@username` (any case) or numeric user id."""
    if handle.lstrip("-").isdigit():
        return await session.get(Member, (chat_id, int(handle)))
    username = handle.removeprefix("@").lower()
    found = await session.scalars(
        select(Member).where(Member.chat_id == chat_id, func.lower(Member.username) == username)
    )
    return found.first()


async def member_joined(
    session: AsyncSession, chat_id: int, user_id: int, now: datetime, timezone: str
) -> bool:
    """A join seen (a `chat_member` update or the "joined" service message, often both for one
    join): counted once, unless the member had left since the last join seen."""
    await ensure_members(session, [(chat_id, user_id)])
    counted = await session.scalar(
        update(Member)
        .where(Member.chat_id == chat_id, Member.user_id == user_id)
        .where(or_(Member.last_join_at.is_(None), Member.left_at.is_not(None)))
        .values(last_join_at=now, left_at=None)
        .returning(Member.user_id)
    )
    if counted is not None:
        count_today(session, chat_id, now, timezone, joins=1)
    return counted is not None


async def member_left(
    session: AsyncSession, chat_id: int, user_id: int, now: datetime, timezone: str
) -> bool:
    """A leave seen: counted once, however many times Telegram tells of it."""
    await ensure_members(session, [(chat_id, user_id)])
    counted = await session.scalar(
        update(Member)
        .where(Member.chat_id == chat_id, Member.user_id == user_id, Member.left_at.is_(None))
        .values(left_at=now)
        .returning(Member.user_id)
    )
    if counted is not None:
        count_today(session, chat_id, now, timezone, leaves=1)
    return counted is not None
