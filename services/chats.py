"""Chats: their settings, their life-cycle, and the move of a group to a supergroup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter
from typing import Any, ClassVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import DAY_COUNTERS, Base, Chat, DailyStats, Member, MemberSegment, SegmentRun
from models.queries import upsert
from services.clock import Clock, clock_time, is_timezone
from services.guards import (
    ACTIONS,
    DEFAULT_RULES,
    MAX_FILTERS,
    BadRule,
    ModerationRules,
    WordFilter,
    fold,
)
from services.topic_replies import OpenTopic, open_topics

LANGUAGES = ("zh", "en")


class UnknownTimezone(ValueError):
    pass


class UnknownLanguage(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class MessageRules:
    """How messages earn points in a chat (`/settings points ...`)."""

    points: int = 1  # per counted message; 0 turns message points off
    cooldown: int = 60  # seconds between two paid messages of a member
    daily_cap: int = 30  # points from messages per member per local day

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "message": (0, 100),
        "cooldown": (0, 86_400),
        "daily_cap": (1, 100_000),
    }

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> MessageRules:
        stored = settings.get("points") or {}
        defaults = cls()
        return cls(
            points=int(stored.get("message", defaults.points)),
            cooldown=int(stored.get("cooldown", defaults.cooldown)),
            daily_cap=int(stored.get("daily_cap", defaults.daily_cap)),
        )


DEFAULT_KEYWORDS = ("签到", "打卡", "checkin")
DEFAULT_MILESTONES = ((7, 20), (30, 100), (100, 500))


@dataclass(frozen=True, slots=True)
class CheckinRules:
    """How the daily sign-in pays (`/settings checkin ...`)."""

    base: int = 5
    streak_cap: int = 7  # +1 a consecutive day, up to this
    milestones: tuple[tuple[int, int], ...] = DEFAULT_MILESTONES  # (streak day, bonus)
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    makeup_cost: int = 20
    makeup_days: int = 3  # how far back a missed day may be made up
    makeup_per_month: int = 2
    quiet: str = "auto"  # on, off, or auto: on in groups of over QUIET_FROM members

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "base": (0, 10_000),
        "streak_cap": (0, 1_000),
        "makeup_cost": (0, 100_000),
        "makeup_days": (1, 30),
        "makeup_per_month": (0, 31),
    }
    QUIET_FROM: ClassVar[int] = 200

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> CheckinRules:
        stored = settings.get("checkin") or {}
        extra: dict[str, Any] = {name: int(stored[name]) for name in cls.LIMITS if name in stored}
        if "milestones" in stored:
            extra["milestones"] = tuple(
                (int(day), int(bonus)) for day, bonus in stored["milestones"]
            )
        if "keywords" in stored:
            extra["keywords"] = tuple(stored["keywords"])
        if "quiet" in stored:
            extra["quiet"] = str(stored["quiet"])
        return cls(**extra)

    def is_keyword(self, text: str) -> bool:
        """The whole text is one of the sign-in words (any case, spaces around)."""
        return text.strip().casefold() in (word.casefold() for word in self.keywords)

    @staticmethod
    def parse(name: str, raw: str) -> Any:
        """The stored form of `/settings checkin <name> <raw>`; BadSetting when it is not one."""
        if name in CheckinRules.LIMITS:
            low, high = CheckinRules.LIMITS[name]
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise BadSetting(name)
            return int(raw)
        if name == "quiet" and raw.lower() in ("on", "off", "auto"):
            return raw.lower()
        if name == "keywords":
            words = [word.strip() for word in raw.replace("，", ",").split(",") if word.strip()]
            if 0 < len(words) <= 10 and all(len(word) <= 20 for word in words):
                return words
        if name == "milestones":
            try:
                pairs = sorted(
                    (int(day), int(bonus))
                    for day, bonus in (item.split(":") for item in raw.split(",") if item)
                )
            except ValueError:
                raise BadSetting(name) from None
            if len(pairs) <= 10 and all(0 < d <= 3650 and 0 <= b <= 100_000 for d, b in pairs):
                return [list(pair) for pair in pairs]
        raise BadSetting(name)


class BadSetting(ValueError):
    pass


CADENCE_PARTS = ("morning", "reminder", "digest")


@dataclass(frozen=True, slots=True)
class Cadence:
    """The daily posts (`/settings cadence <part> <HH:MM|off>`), in the chat's time zone: the
    morning post with the sign-in button, the sign-in reminder, and the evening digest."""

    morning: str | None = "09:00"
    reminder: str | None = "20:00"
    digest: str | None = "22:00"

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Cadence:
        stored = settings.get("cadence") or {}
        defaults = cls()
        return cls(**{part: stored.get(part, getattr(defaults, part)) for part in CADENCE_PARTS})

    def parts(self) -> list[tuple[str, str]]:
        """(part, HH:MM) of the parts that are on."""
        return [(part, at) for part in CADENCE_PARTS if (at := getattr(self, part)) is not None]

    @staticmethod
    def parse(part: str, raw: str) -> str | None:
        """The stored time ("09:00"), or None for off; BadSetting for anything else."""
        if part not in CADENCE_PARTS:
            raise BadSetting("cadence")
        if raw.lower() == "off":
            return None
        at = clock_time(raw)
        if at is None:
            raise BadSetting("cadence")
        return at


@dataclass(frozen=True, slots=True)
class ReferralRules:
    """What a confirmed referral pays its inviter (`/settings referral <points>`)."""

    DEFAULT_REWARD: ClassVar[int] = 20
    reward: int = DEFAULT_REWARD  # 0 records referrals but pays nothing

    LIMITS: ClassVar[tuple[int, int]] = (0, 10_000)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ReferralRules:
        stored = settings.get("referral") or {}
        return cls(reward=int(stored.get("reward", cls.DEFAULT_REWARD)))


@dataclass(frozen=True, slots=True)
class OrderRules:
    """What the shop's orders pay and how tiers are reached (`/settings points purchase <n>`,
    `/settings orders return_days <days>`, `/settings tiers basis points|spend`)."""

    purchase: int = 1  # points per yuan paid
    return_days: int = 7  # purchase points wait this long for a refund before they count
    tier_basis: str = "points"  # or spend: tiers by lifetime paid amount, thresholds in yuan

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {"purchase": (0, 1_000), "return_days": (0, 90)}
    BASES: ClassVar[tuple[str, ...]] = ("points", "spend")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> OrderRules:
        stored = settings.get("orders") or {}
        defaults = cls()
        return cls(
            purchase=int(stored.get("purchase", defaults.purchase)),
            return_days=int(stored.get("return_days", defaults.return_days)),
            tier_basis=str(stored.get("tier_basis", defaults.tier_basis)),
        )


@dataclass(frozen=True, slots=True)
class TopicRules:
    """`/settings daily_topic on|off`: the morning post opens the next queued topic."""

    daily: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> TopicRules:
        return cls(daily=bool((settings.get("topics") or {}).get("daily", False)))


@dataclass(frozen=True, slots=True)
class Welcome:
    """How new members are greeted (`/setwelcome`), and the group's rules (`/setrules`)."""

    enabled: bool = True
    text: str | None = None  # None: the built-in welcome, in the group's language
    delete_after: int = 600  # seconds; 0 keeps the welcome
    rules: str | None = None

    DELETE_AFTER: ClassVar[tuple[int, int]] = (5, 172_800)  # seconds, when not 0
    PLACEHOLDERS: ClassVar[tuple[str, ...]] = ("name", "group", "count")
    MAX_TEXT: ClassVar[int] = 1000
    MAX_RULES: ClassVar[int] = 3500  # room for a heading within Telegram's 4,096

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Welcome:
        stored = settings.get("welcome") or {}
        return cls(
            enabled=bool(stored.get("enabled", True)),
            text=stored.get("text"),
            delete_after=int(stored.get("delete_after", 600)),
            rules=(settings.get("rules") or {}).get("text"),
        )

    @classmethod
    def check_template(cls, text: str) -> str:
        """The welcome text as stored; BadSetting("empty" | "long" | "placeholder:<name>")."""
        text = text.strip()
        if not text:
            raise BadSetting("empty")
        if len(text) > cls.MAX_TEXT:
            raise BadSetting("long")
        try:
            fields = [field for _, field, _, _ in Formatter().parse(text) if field is not None]
        except ValueError:
            raise BadSetting("placeholder:{") from None
        unknown = next((field for field in fields if field not in cls.PLACEHOLDERS), None)
        if unknown is not None:
            raise BadSetting(f"placeholder:{unknown}")
        return text


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: int
    keywords: tuple[str, ...]
    answer: str


@dataclass(frozen=True, slots=True)
class Faq:
    """Quick answers (`/faq add <keywords> | <answer>`): a question naming a keyword gets one."""

    entries: tuple[FaqEntry, ...] = ()

    MAX_ENTRIES: ClassVar[int] = 50
    MAX_ANSWER: ClassVar[int] = 1000

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Faq:
        stored = (settings.get("faq") or {}).get("entries") or []
        return cls(
            tuple(FaqEntry(int(e["id"]), tuple(e["keywords"]), str(e["answer"])) for e in stored)
        )

    @staticmethod
    def parse(raw: str) -> tuple[list[str], str]:
        """`<keywords, comma separated> | <answer>`; BadSetting("format" | "keyword" | "long")."""
        keywords_part, bar, answer = raw.partition("|")
        answer = answer.strip()
        keywords = [k.strip() for k in keywords_part.replace("，", ",").split(",") if k.strip()]
        if not bar or not answer or not keywords or len(keywords) > 10:
            raise BadSetting("format")
        if any(len(keyword) < 2 or len(keyword) > 30 for keyword in keywords):
            raise BadSetting("keyword")
        if len(answer) > Faq.MAX_ANSWER:
            raise BadSetting("long")
        return keywords, answer

    def answer_for(self, text: str) -> tuple[FaqEntry, str] | None:
        """The first entry with a keyword in `text` (any case), and that keyword."""
        folded = text.casefold()
        for entry in self.entries:
            for keyword in entry.keywords:
                if keyword.casefold() in folded:
                    return entry, keyword
        return None


@dataclass(frozen=True, slots=True)
class ChatProfile:
    """What the middlewares and handlers need to know about a chat on every update."""

    id: int
    type: str
    title: str
    timezone: str
    language: str | None
    active: bool
    message_rules: MessageRules = MessageRules()
    checkin_rules: CheckinRules = CheckinRules()
    referral_rules: ReferralRules = ReferralRules()
    cadence: Cadence = Cadence()
    topic_rules: TopicRules = TopicRules()
    welcome: Welcome = Welcome()
    faq: Faq = Faq()
    order_rules: OrderRules = OrderRules()
    moderation: ModerationRules = DEFAULT_RULES
    open_topics: tuple[OpenTopic, ...] = ()  # read with the profile: most messages need it

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
        return ChatProfile(
            id=chat.id,
            type=chat.type,
            title=chat.title,
            timezone=chat.timezone or self.default_timezone,
            language=chat.language,
            active=chat.active,
            message_rules=MessageRules.from_settings(chat.settings),
            checkin_rules=CheckinRules.from_settings(chat.settings),
            referral_rules=ReferralRules.from_settings(chat.settings),
            cadence=Cadence.from_settings(chat.settings),
            topic_rules=TopicRules.from_settings(chat.settings),
            welcome=Welcome.from_settings(chat.settings),
            faq=Faq.from_settings(chat.settings),
            order_rules=OrderRules.from_settings(chat.settings),
            moderation=ModerationRules.from_settings(chat.settings),
            open_topics=await open_topics(self.session, chat.id) if chat.type != "private" else (),
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

    async def set_points_rule(self, chat_id: int, name: str, value: int) -> None:
        """One of `MessageRules.LIMITS`, within its range."""
        low, high = MessageRules.LIMITS.get(name, (1, 0))
        if not low <= value <= high:
            raise BadSetting(name)
        await self._set(chat_id, "points", name, value)

    async def set_checkin_rule(self, chat_id: int, name: str, raw: str) -> None:
        await self._set(chat_id, "checkin", name, CheckinRules.parse(name, raw))

    async def set_cadence(self, chat_id: int, part: str, raw: str) -> str | None:
        at = Cadence.parse(part, raw)
        await self._set(chat_id, "cadence", part, at)
        return at

    async def cadence_chats(self) -> list[tuple[int, str, Cadence]]:
        """Every active group with its time zone and daily posts."""
        rows = await self.session.execute(
            select(Chat.id, Chat.timezone, Chat.settings).where(
                Chat.active.is_(True), Chat.type.in_(("group", "supergroup"))
            )
        )
        return [
            (chat_id, timezone or self.default_timezone, Cadence.from_settings(settings or {}))
            for chat_id, timezone, settings in rows
        ]

    async def set_order_rule(self, chat_id: int, name: str, value: int | str) -> None:
        """One of `OrderRules.LIMITS` within its range, or `tier_basis` one of its `BASES`."""
        if name == "tier_basis":
            if value not in OrderRules.BASES:
                raise BadSetting(name)
        else:
            low, high = OrderRules.LIMITS.get(name, (1, 0))
            if not isinstance(value, int) or not low <= value <= high:
                raise BadSetting(name)
        await self._set(chat_id, "orders", name, value)

    async def order_rules(self, chat_id: int) -> OrderRules:
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == chat_id))
        return OrderRules.from_settings(settings or {})

    async def set_daily_topic(self, chat_id: int, daily: bool) -> None:
        await self._set(chat_id, "topics", "daily", daily)

    async def set_referral_reward(self, chat_id: int, points: int) -> None:
        low, high = ReferralRules.LIMITS
        if not low <= points <= high:
            raise BadSetting("referral")
        await self._set(chat_id, "referral", "reward", points)

    async def set_welcome(self, chat_id: int, text: str | None, enabled: bool = True) -> None:
        """A new welcome text (checked), or only on/off keeping the text."""
        if text is not None:
            await self._set(chat_id, "welcome", "text", Welcome.check_template(text))
        await self._set(chat_id, "welcome", "enabled", enabled)

    async def set_welcome_deletion(self, chat_id: int, seconds: int) -> None:
        """Delete welcomes this long after posting them; 0 keeps them."""
        low, high = Welcome.DELETE_AFTER
        if seconds and not low <= seconds <= high:
            raise BadSetting("delete_after")
        await self._set(chat_id, "welcome", "delete_after", seconds)

    async def set_rules(self, chat_id: int, text: str) -> None:
        text = text.strip()
        if not text:
            raise BadSetting("empty")
        if len(text) > Welcome.MAX_RULES:
            raise BadSetting("long")
        await self._set(chat_id, "rules", "text", text)

    async def add_faq(self, chat_id: int, raw: str) -> FaqEntry:
        keywords, answer = Faq.parse(raw)
        chat = await self._locked(chat_id)
        stored = chat.settings.get("faq") or {}
        entries = list(stored.get("entries") or [])
        if len(entries) >= Faq.MAX_ENTRIES:
            raise BadSetting("full")
        entry_id = int(stored.get("next_id", 1))
        entries.append({"id": entry_id, "keywords": keywords, "answer": answer})
        chat.settings = {**chat.settings, "faq": {"entries": entries, "next_id": entry_id + 1}}
        await self.session.flush()
        return FaqEntry(entry_id, tuple(keywords), answer)

    async def delete_faq(self, chat_id: int, entry_id: int) -> bool:
        """False when there is no such entry; an explicit admin command deletes it."""
        chat = await self._locked(chat_id)
        stored = chat.settings.get("faq") or {}
        entries = list(stored.get("entries") or [])
        kept = [entry for entry in entries if int(entry["id"]) != entry_id]
        if len(kept) == len(entries):
            return False
        chat.settings = {**chat.settings, "faq": {**stored, "entries": kept}}
        await self.session.flush()
        return True

    async def set_moderation(self, chat_id: int, values: dict[str, Any]) -> None:
        """Values `guards.parse_rule` read, into the `moderation` section at once."""
        chat = await self._locked(chat_id)
        stored = {**(chat.settings.get("moderation") or {}), **values}
        chat.settings = {**chat.settings, "moderation": stored}
        await self.session.flush()

    async def add_filter(self, chat_id: int, word: str, action: str) -> WordFilter:
        """A word or phrase for the filter; BadRule("short" | "long" | "action" | "full" |
        "twice")."""
        word = " ".join(word.split())
        if action not in ACTIONS:
            raise BadRule("action")
        if len(fold(word)) < 2:
            raise BadRule("short")
        if len(word) > 60:
            raise BadRule("long")
        chat = await self._locked(chat_id)
        stored = chat.settings.get("moderation") or {}
        filters = list(stored.get("filters") or [])
        if len(filters) >= MAX_FILTERS:
            raise BadRule("full")
        if any(fold(str(f["word"])) == fold(word) for f in filters):
            raise BadRule("twice")
        filter_id = int(stored.get("next_filter", 1))
        filters.append({"id": filter_id, "word": word, "action": action})
        moderation = {**stored, "filters": filters, "next_filter": filter_id + 1}
        chat.settings = {**chat.settings, "moderation": moderation}
        await self.session.flush()
        return WordFilter(filter_id, word, action, fold(word))

    async def delete_filter(self, chat_id: int, key: str) -> WordFilter | None:
        """By its number or its word; None when there is no such filter."""
        chat = await self._locked(chat_id)
        stored = chat.settings.get("moderation") or {}
        filters = list(stored.get("filters") or [])
        gone = next(
            (f for f in filters if str(f["id"]) == key or fold(str(f["word"])) == fold(key)), None
        )
        if gone is None:
            return None
        kept = [f for f in filters if f is not gone]
        chat.settings = {**chat.settings, "moderation": {**stored, "filters": kept}}
        await self.session.flush()
        return WordFilter(int(gone["id"]), str(gone["word"]), str(gone["action"]), "")

    async def set_night_closed(
        self, chat_id: int, closed: bool, evening: dict[str, bool] | None = None
    ) -> dict[str, bool] | None:
        """Note the group closed for the night with its evening permissions (kept for the
        morning), or open again: what the morning gives back ({} unknown). None when it was
        so already (another worker switched it)."""
        chat = await self._locked(chat_id)
        if bool(chat.settings.get("night_closed")) == closed:
            return None
        kept = dict(chat.settings.get("night_permissions") or {})
        chat.settings = {
            **chat.settings, "night_closed": closed,
            "night_permissions": (evening or {}) if closed else {},
        }  # fmt: skip
        await self.session.flush()
        return {} if closed else kept

    async def note_missing_rights(self, chat_id: int, rights: Sequence[str]) -> list[str]:
        """Remember that the bot lacks `rights`; returns those not noted before (to tell once)."""
        chat = await self._locked(chat_id)
        noted = list(chat.settings.get("missing_rights") or [])
        new = [right for right in rights if right not in noted]
        if new:
            chat.settings = {**chat.settings, "missing_rights": noted + new}
            await self.session.flush()
        return new

    async def clear_missing_rights(self, chat_id: int, rights: Sequence[str]) -> None:
        """The bot has `rights` now: a later loss is told again."""
        chat = await self._locked(chat_id)
        noted = list(chat.settings.get("missing_rights") or [])
        kept = [right for right in noted if right not in rights]
        if kept != noted:
            chat.settings = {**chat.settings, "missing_rights": kept}
            await self.session.flush()

    async def _locked(self, chat_id: int) -> Chat:
        locked = select(Chat).where(Chat.id == chat_id).with_for_update()
        return (await self.session.scalars(locked.execution_options(populate_existing=True))).one()

    async def _set(self, chat_id: int, section: str, name: str, value: Any) -> None:
        """One value in a section of `chats.settings`, under the chat row's lock."""
        chat = await self._locked(chat_id)
        values = {**(chat.settings.get(section) or {}), name: value}
        chat.settings = {**chat.settings, section: values}
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
        old.active = False
        old.settings = {**old.settings, "migrated_to": new_id}
        return True

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
