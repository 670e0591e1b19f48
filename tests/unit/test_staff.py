"""Console access beyond the Telegram admins (services/staff.py, infrastructure/
console_access.py) on a real database: who owns a program, giving and taking back access,
read against full, and the console's change log kept apart from /modlog's actions."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from aiogram import Bot
from aiogram.types import ChatMemberOwner, User
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.admins import AdminCache
from infrastructure.console_access import ConsoleAccess, Role
from models import OutboxMessage, Program
from services.chats import ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.moderation import ModerationService
from services.programs import ProgramService
from services.staff import Granted, StaffService

NOW = datetime(2031, 3, 9, 12, tzinfo=UTC)
CREATOR, ADMIN, STAFF, STRANGER, OPERATOR = 11, 12, 13, 14, 99
OTHER_GROUP = -100_2


def person(user_id: int) -> User:
    return User(id=user_id, is_bot=False, first_name=f"u{user_id}")


class Telegram:
    """getChatAdministrators as Telegram answers it: the creator, then the admins."""

    def __init__(self) -> None:
        self.asked = 0

    async def get_chat_administrators(self, chat_id: int) -> list[Any]:
        self.asked += 1
        return [
            ChatMemberOwner(user=person(CREATOR), is_anonymous=False),
            SimpleNamespace(user=person(ADMIN), status="administrator"),  # what is read of one
        ]


def access_of(telegram: Telegram | None = None) -> ConsoleAccess:
    bot = cast(Bot, telegram or Telegram())
    return ConsoleAccess(AdminCache(frozenset({OPERATOR})), bot, FrozenClock(NOW))


async def test_the_owner_is_the_operator_then_the_stored_owner_then_the_creator(
    session: AsyncSession, chat: int
) -> None:
    telegram = Telegram()
    access = access_of(telegram)
    await ProgramService(session, FrozenClock(NOW)).program(chat)  # a group's own: no owner
    assert await access.owner_of(session, chat) == CREATOR
    assert await access.is_owner(session, CREATOR, chat)
    assert not await access.is_owner(session, ADMIN, chat)  # an admin, not the owner
    assert await access.is_owner(session, OPERATOR, chat)  # OWNER_IDS, everywhere
    await session.execute(update(Program).where(Program.id == chat).values(owner_id=ADMIN))
    assert await access.is_owner(session, ADMIN, chat)  # who made the program by joining
    assert not await access.is_owner(session, CREATOR, chat)
    asked = telegram.asked
    await access.owner_of(session, chat)
    assert telegram.asked == asked  # a stored owner asks Telegram nothing


async def test_access_is_given_changed_and_taken_back(session: AsyncSession, chat: int) -> None:
    staff = StaffService(session, FrozenClock(NOW))
    assert (await staff.grant(chat, STAFF, "read", CREATOR)).outcome is Granted.NEW
    assert (await staff.grant(chat, STAFF, "read", CREATOR)).outcome is Granted.SAME
    assert await staff.role_of(chat, STAFF) == "read"
    assert (await staff.grant(chat, STAFF, "full", CREATOR)).outcome is Granted.CHANGED
    assert [(g.user_id, g.role, g.granted_by) for g in await staff.staff(chat)] == [
        (STAFF, "full", CREATOR)
    ]
    assert await staff.programs_of(STAFF) == {chat: "full"}
    assert await staff.revoke(chat, STAFF)
    assert not await staff.revoke(chat, STAFF)  # nothing left to take back
    assert await staff.role_of(chat, STAFF) is None


async def test_only_a_member_who_started_the_bot_is_told_privately(
    session: AsyncSession, chat: int
) -> None:
    await ChatService(session, FrozenClock(NOW), "Asia/Shanghai").ensure(STAFF, "private", "")
    staff = StaffService(session, FrozenClock(NOW))
    assert (await staff.grant(chat, STAFF, "full", CREATOR)).told
    assert not (await staff.grant(chat, STRANGER, "read", CREATOR)).told
    notices = list(await session.scalars(select(OutboxMessage)))
    assert [(row.chat_id, row.kind, row.payload) for row in notices] == [
        (STAFF, "staff_access", {"program_id": chat, "role": "full"})
    ]


async def test_read_staff_may_look_full_staff_may_change_and_a_revoke_counts_at_once(
    session: AsyncSession, chat: int
) -> None:
    await ChatService(session, FrozenClock(NOW), "Asia/Shanghai").ensure(
        OTHER_GROUP, "supergroup", "VIP"
    )
    await session.execute(update(Program).where(Program.id == chat).values(owner_id=CREATOR))
    access, staff = access_of(), StaffService(session, FrozenClock(NOW))
    assert await access.access(session, STAFF, chat, chat) is None
    await staff.grant(chat, STAFF, "read", CREATOR)
    read = await access.access(session, STAFF, chat, chat)
    assert read is not None
    assert read.role is Role.READ
    assert not read.may_change
    # every group of the program (here the VIP room, which the program's id names)
    elsewhere = await access.access(session, STAFF, OTHER_GROUP, chat)
    assert elsewhere is not None
    assert elsewhere.as_staff
    await staff.grant(chat, STAFF, "full", CREATOR)
    full = await access.access(session, STAFF, chat, chat)
    assert full is not None
    assert full.role is Role.FULL
    assert full.may_change
    await staff.revoke(chat, STAFF)
    assert await access.access(session, STAFF, chat, chat) is None
    admin = await access.access(session, ADMIN, chat, chat)
    assert admin is not None
    assert admin.role is Role.ADMIN
    assert await access.access(session, STRANGER, chat, chat) is None


async def test_console_changes_are_their_own_section_of_the_log(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    factory = ServiceFactory(FrozenClock(NOW), "Asia/Shanghai")
    async with session_pool() as session, session.begin():
        moderation: ModerationService = factory.moderation(session)
        await moderation.log(chat, "warn", STRANGER, actor_id=ADMIN, reason="spam")
        staff = StaffService(session, FrozenClock(NOW))
        await staff.log_change(chat, STAFF, "settings", "points.message: 1 → 2")
    async with session_pool() as session:
        actions = await factory.moderation(session).recent(chat)
        changes = await StaffService(session, FrozenClock(NOW)).changes([chat])
    assert [entry.action for entry in actions] == ["warn"]
    assert [(c.actor_id, c.rule, c.reason) for c in changes] == [
        (STAFF, "settings", "points.message: 1 → 2")
    ]
