"""A chat's settings (`chats.settings`, JSON): one section per feature, each read by the
feature's rules class (`from_settings`) and written by its setters through the helpers here,
under the chat row's lock so two admins' changes do not undo each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat


class BadSetting(ValueError):
    """A value a feature's setting does not take; the argument says which setting, or why."""


async def locked_chat(session: AsyncSession, chat_id: int) -> Chat:
    """The chat row, read afresh and locked until the transaction ends."""
    locked = select(Chat).where(Chat.id == chat_id).with_for_update()
    return (await session.scalars(locked.execution_options(populate_existing=True))).one()


async def update_section(
    session: AsyncSession, chat_id: int, section: str, values: Mapping[str, Any]
) -> None:
    """`values` into one section of the chat's settings, the section's other values kept."""
    chat = await locked_chat(session, chat_id)
    merged = {**(chat.settings.get(section) or {}), **values}
    chat.settings = {**chat.settings, section: merged}
    await session.flush()
