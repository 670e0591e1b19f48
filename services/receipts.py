"""Commands that change state are handled once per message, however often it is delivered."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import CommandReceipt
from models.queries import insert_for
from services.clock import Clock


async def first_receipt(
    session: AsyncSession, clock: Clock, chat_id: int, message_id: int, command: str
) -> bool:
    """Record that the command in (chat, message) is being handled, in the caller's transaction;
    False when it was handled before (its change committed, its answer maybe lost)."""
    inserted = await session.scalar(
        insert_for(session, CommandReceipt)
        .values(
            chat_id=chat_id, message_id=message_id, command=command[:32],
            handled_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
        .returning(CommandReceipt.message_id)
    )  # fmt: skip
    return inserted is not None
