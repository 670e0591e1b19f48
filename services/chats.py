"""Chats: what is each group's own (its title, time zone, language, whether the bot is in it,
the rights it lacks), its profile read on every update, and the move of a group to a
supergroup. Each feature's rules live with the feature and are read into the profile here."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    DAY_COUNTERS,
    Base,
    Chat,
    DailyStats,
    Member,
    MemberSegment,
    Program,
    SegmentRun,
)
from models.queries import upsert
from services.cadence_rules import Cadence
from services.chat_settings import locked_chat
from services.checkin_rules import CheckinRules
from services.clock import Clock, is_timezone
from services.faq import Faq
from services.guards import DEFAULT_RULES, ModerationRules
from services.message_rules import MessageRules
from services.order_rules import OrderRules
from services.referral_rules import ReferralRules
from services.topic_replies import OpenTopic, open_topics
from services.topic_rules import TopicRules
from services.welcome import Welcome

LANGUAGES = ("zh", "en")


class UnknownTimezone(ValueError):
    pass


class UnknownLanguage(ValueError):
    pass


class SectionRules(Protocol):
    """A feature's rules, read from its section of `chats.settings`."""

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Self: ...


Rules = TypeVar("Rules", bound=SectionRules)


@dataclass(frozen=True, slots=True)
class ChatProfile:
    """What the middlewares and handlers need to know about a chat on every update."""

    id: int
    type: str
    title: str
    timezone: str
    language: str | None
    active: bool
    # The program whose accounts the group uses, when it joined another's (`program_id`).
    joined_program: int | None = None
    # Each feature's rules, parsed from its section of `chats.settings` once per profile read
    # (the chat_cache caches profiles), so handlers read them without a query.
    message_rules: MessageRules = field(default_factory=MessageRules)
    checkin_rules: CheckinRules = field(default_factory=CheckinRules)
    referral_rules: ReferralRules = field(default_factory=ReferralRules)
    cadence: Cadence = field(default_factory=Cadence)
    topic_rules: TopicRules = field(default_factory=TopicRules)
    welcome: Welcome = field(default_factory=Welcome)
    faq: Faq = field(default_factory=Faq)
    order_rules: OrderRules = field(default_factory=OrderRules)
    moderation: ModerationRules = DEFAULT_RULES
    open_topics: tuple[OpenTopic, ...] = ()  # read with the profile: most messages need it
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # `builtins.type`: the class's own `type` field (the chat's) shadows it here.
    _read: dict[builtins.type, object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def rules(self, kind: builtins.type[Rules]) -> Rules:
        """A feature's rules (any class with `from_settings`), parsed on first read and kept
        with the cached profile: a new feature reads its section without a field here."""
        read = self._read.get(kind)
        if read is None:
            read = self._read[kind] = kind.from_settings(dict(self.settings))
        return read  # type: ignore[return-value]  # keyed by its own class

    @property
    def program_id(self) -> int:
        """The key of the group's member accounts (balances, ledger, sign-ins, shop, orders):
        its own id until it joins another group's program."""
        return self.joined_program or self.id

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")


class ChatService:
    def __init__(self, session: AsyncSession, clock: Clock, default_timezone: str) -> None:
        self.session = session
        self.clock = clock
        self.default_timezone = default_timezone

    async def ensure(self, chat_id: int, chat_type: str, title: str) -> ChatProfile:
        """Create the chat on first sight, keep its title current, and return its profile."""
        row = {
            "id": chat_id,
            "type": chat_type,
            "title": title[:255],
            "created_at": self.clock.now(),
        }
        await upsert(self.session, Chat, row, keys=["id"], update=["title", "type"])
        profile = await self.profile(chat_id)
        assert profile is not None
        return profile

    async def profile(self, chat_id: int) -> ChatProfile | None:
        chat = await self.session.get(Chat, chat_id, populate_existing=True)
        if chat is None:
            return None
        settings = chat.settings
        return ChatProfile(
            id=chat.id,
            type=chat.type,
            title=chat.title,
            timezone=chat.timezone or self.default_timezone,
            language=chat.language,
            active=chat.active,
            joined_program=chat.program_id if chat.program_id != chat.id else None,
            message_rules=MessageRules.from_settings(settings),
            checkin_rules=CheckinRules.from_settings(settings),
            referral_rules=ReferralRules.from_settings(settings),
            cadence=Cadence.from_settings(settings),
            topic_rules=TopicRules.from_settings(settings),
            welcome=Welcome.from_settings(settings),
            faq=Faq.from_settings(settings),
            order_rules=OrderRules.from_settings(settings),
            moderation=ModerationRules.from_settings(settings),
            open_topics=await open_topics(self.session, chat.id) if chat.type != "private" else (),
            settings=settings,
        )

    async def set_timezone(self, chat_id: int, timezone: str) -> None:
        if not is_timezone(timezone):
            raise UnknownTimezone(timezone)
        await self.session.execute(update(Chat).where(Chat.id == chat_id).values(timezone=timezone))

    async def set_language(self, chat_id: int, language: str | None) -> None:
        """`None` answers every member in their own language."""
        if language is not None and language not in LANGUAGES:
            raise UnknownLanguage(language)
        await self.session.execute(update(Chat).where(Chat.id == chat_id).values(language=language))

    async def note_missing_rights(self, chat_id: int, rights: Sequence[str]) -> list[str]:
        """Remember that the bot lacks `rights`; returns those not noted before (to tell once)."""
        chat = await locked_chat(self.session, chat_id)
        noted = list(chat.settings.get("missing_rights") or [])
        new = [right for right in rights if right not in noted]
        if new:
            chat.settings = {**chat.settings, "missing_rights": noted + new}
            await self.session.flush()
        return new

    async def clear_missing_rights(self, chat_id: int, rights: Sequence[str]) -> None:
        """The bot has `rights` now: a later loss is told again."""
        chat = await locked_chat(self.session, chat_id)
        noted = list(chat.settings.get("missing_rights") or [])
        kept = [right for right in noted if right not in rights]
        if kept != noted:
            chat.settings = {**chat.settings, "missing_rights": kept}
            await self.session.flush()

    async def started_privately(self, user_id: int) -> bool:
        """The user has a private chat with the bot (they sent /start) and has not blocked it."""
        chat = await self.session.get(Chat, user_id)
        return chat is not None and chat.type == "private" and chat.active

    async def set_active(self, chat_id: int, active: bool) -> None:
        await self.session.execute(update(Chat).where(Chat.id == chat_id).values(active=active))

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """Move every row of a group that became a supergroup; False when there is nothing to move.

        Telegram announces the move in both chats at once, so the new chat may be appearing in a
        concurrent update: upsert it, then lock both rows (a member's insert needs a share lock
        on its chat row, so sightings in the new chat wait until the move is done).
        """
        if await self.session.get(Chat, old_id) is None:
            return False
        row = {"id": new_id, "type": "supergroup", "created_at": self.clock.now()}
        await upsert(self.session, Chat, row, keys=["id"])
        locked = select(Chat).where(Chat.id.in_((old_id, new_id))).with_for_update()
        chats = {
            chat.id: chat
            for chat in await self.session.scalars(locked.execution_options(populate_existing=True))
        }
        old, new = chats[old_id], chats[new_id]
        new.title = new.title or old.title
        new.timezone, new.language = old.timezone, old.language
        new.settings, new.active = dict(old.settings), True
        await self.session.flush()
        await self._merge_members(old_id, new_id)
        await self._merge_days(old_id, new_id)
        for table in Base.metadata.sorted_tables:
            if "chat_id" in table.c and table.name != Member.__tablename__:
                await self.session.execute(
                    table.update().where(table.c.chat_id == old_id).values(chat_id=new_id)
                )
        await self._move_program(old, new)
        old.active = False
        old.settings = {**old.settings, "migrated_to": new_id}
        return True

    async def _move_program(self, old: Chat, new: Chat) -> None:
        """A group in another's program stays in it; a program's founding group takes its
        program along: the program's id is its founding group's (models/program.py)."""
        new.program_id = old.program_id
        if old.program_id is not None:
            return
        taken = await self.session.get(Program, new.id)
        if taken is None:
            await self.session.execute(
                update(Program).where(Program.id == old.id).values(id=new.id)
            )
        await self.session.execute(
            update(Chat).where(Chat.program_id == old.id).values(program_id=new.id)
        )
        for table in Base.metadata.sorted_tables:
            if "program_id" in table.c and table.name not in (Chat.__tablename__, "programs"):
                await self.session.execute(
                    table.update().where(table.c.program_id == old.id).values(program_id=new.id)
                )

    async def _merge_days(self, old_id: int, new_id: int) -> None:
        """Roll-ups the new id has for a day the old one has too are added into the old row
        (moved with the rest below); segments, recounted daily, are counted afresh."""
        fresh = (
            await self.session.scalars(select(DailyStats).where(DailyStats.chat_id == new_id))
        ).all()
        for day in fresh:
            merged = await self.session.execute(
                update(DailyStats)
                .where(DailyStats.chat_id == old_id, DailyStats.day == day.day)
                .values(
                    {name: getattr(DailyStats, name) + getattr(day, name) for name in DAY_COUNTERS}
                )
                .returning(DailyStats.day)
            )
            if merged.first() is not None:
                await self.session.delete(day)
        await self.session.flush()
        for derived in (MemberSegment, SegmentRun):
            await self.session.execute(delete(derived).where(derived.chat_id.in_((old_id, new_id))))

    async def _merge_members(self, old_id: int, new_id: int) -> None:
        counters = ("message_count", "points", "lifetime_points")
        fresh = (await self.session.scalars(select(Member).where(Member.chat_id == new_id))).all()
        for member in fresh:
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == old_id, Member.user_id == member.user_id)
                .values({name: getattr(Member, name) + getattr(member, name) for name in counters})
            )
        moved = select(Member.user_id).where(Member.chat_id == old_id)
        if fresh:
            # A member with rows under both ids keeps the old row (their history), merged above.
            ids = {member.user_id for member in fresh}
            overlap = set((await self.session.scalars(moved)).all()) & ids
            for member in fresh:
                if member.user_id in overlap:
                    await self.session.delete(member)
            await self.session.flush()
        await self.session.execute(
            update(Member).where(Member.chat_id == old_id).values(chat_id=new_id)
        )

    async def count_members(self, chat_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).select_from(Member).where(Member.chat_id == chat_id)
            )
            or 0
        )
