"""Member tags (Bot API 9.5, `setChatMemberTag`): with `/settings tags on`, the tag beside a
member's name shows their tier.

A tier move, a join or a leave writes a `MemberTagSync` to the outbox in its own transaction,
paced a second apart in a chat; the sender (`workflows/member_tags.py`) then sets the tag the
member should carry at that moment (`carried_tag`) and records it here. Only tags the bot set
are recorded, so it changes and clears only those: never an admin's, nor one the member or an
admin chose.

Whether a tag outlives its member's leaving Telegram does not document. So the record stays
across a leave, but a record older than the member's latest join is not trusted: on their
return the sender reads the tag first, and one equal to what the bot last set is still the
bot's to replace (kept by the server), while none at all is set again (dropped by it).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Badge, Chat, Member, MemberTag, OutboxMessage
from models.queries import upsert
from services.badges import shown_badge
from services.chat_settings import update_section
from services.clock import Clock
from services.member_tag_messages import MemberTagSync
from services.outbox import OutboxRow, OutboxService
from services.programs import in_program
from services.tiers import Tier, TierService

TAG_LIMIT = 16  # Telegram's: 0-16 characters, no emoji
# Telegram documents no limit for tag changes; a chat's are kept to the pace of its messages
# (one a second), so a burst of promotions, or turning tags on in a big group, meets no 429.
TAG_PACE = timedelta(seconds=1)
SECTION = "tags"
# Emoji that Unicode files as punctuation, letters or maths (‼ ⁉ ℹ 〰 〽, the emoji arrows),
# and the joiners, selectors and keycap mark that build emoji sequences.
EMOJI_OUTSIDE_SYMBOLS = {0x203C, 0x2049, 0x2139, 0x3030, 0x303D, *range(0x2194, 0x21AB)}
EMOJI_PARTS = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}


@dataclass(frozen=True, slots=True)
class TagRules:
    """Whether members' tags show their tier (`/settings tags on|off`, default off)."""

    on: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> TagRules:
        return cls(on=bool((settings.get(SECTION) or {}).get("on", False)))


def is_emoji(character: str) -> bool:
    code = ord(character)
    return (
        unicodedata.category(character) == "So"
        or code in EMOJI_PARTS
        or code in EMOJI_OUTSIDE_SYMBOLS
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # the tag characters of subdivision flags
    )


def _fits(text: str) -> bool:
    return len(text.encode("utf-16-le")) // 2 <= TAG_LIMIT  # counted as Telegram counts text


def tag_text(label: str) -> str:
    """A label as a tag: its emoji left out (Telegram refuses them), and cut to 16 characters
    at a word where that keeps most of it (`Platinum Supreme Member` → `Platinum Supreme`),
    else mid-word with an ellipsis (`超级无敌至尊钻石会员…`)."""
    text = " ".join("".join(c for c in label if not is_emoji(c)).split())
    if _fits(text):
        return text
    words = ""
    for word in text.split():
        if not _fits(f"{words} {word}".strip()):
            break
        words = f"{words} {word}".strip()
    if len(words) >= TAG_LIMIT // 2:
        return words
    cut = text
    while not _fits(cut + "…"):
        cut = cut[:-1]
    return cut.rstrip() + "…"


def carried_tag(tier: Tier | None, ladder: Sequence[Tier], language: str) -> str | None:
    """The tag a member should carry: their tier's name in the group's language, except for
    the ladder's first tier, which every member holds (a tag on everyone says nothing).
    Where badges (issue 37) come in: a member's badge will be their tag instead."""
    if tier is None or not ladder or tier.threshold <= ladder[0].threshold:
        return None
    return tag_text(tier.label(language)) or None


@dataclass(frozen=True, slots=True)
class WantedTag:
    """A member's tag as it should be now, and the one the bot set last (None: none); `settled`
    when that was set during the member's present stay, so Telegram surely shows it still."""

    tag: str | None
    recorded: str | None
    settled: bool = True


class MemberTagService:
    def __init__(self, session: AsyncSession, clock: Clock, tiers: TierService) -> None:
        self.session = session
        self.clock = clock
        self.tiers = tiers

    async def enabled(self, chat_id: int) -> bool:
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == chat_id))
        return TagRules.from_settings(settings or {}).on

    async def switch(self, chat_id: int, on: bool, language: str) -> int:
        """Turn tags on or off, and bring every member's in line (on: each who reached a tier
        gets it; off: the tags the bot set are cleared). How many tags will change."""
        await update_section(self.session, chat_id, SECTION, {"on": on})
        return await self.resync(chat_id, language)

    async def resync(self, chat_id: int, language: str) -> int:
        """Queue every member whose tag is not what it should be (after turning tags on or
        off, or once the bot may manage tags); how many."""
        bots = await self.session.execute(
            select(MemberTag.user_id, MemberTag.tag).where(MemberTag.chat_id == chat_id)
        )
        recorded: dict[int, str | None] = dict(bots.all())
        wanted: dict[int, str | None] = dict.fromkeys(recorded)
        if await self.enabled(chat_id):
            program_id = await self._program_of(chat_id)  # tiers are the program's
            ladder = await self.tiers.ladder(program_id)
            by_key = {tier.key: tier for tier in ladder}
            account = aliased(Member) if program_id != chat_id else Member
            query = select(Member.user_id, account.tier)
            if account is not Member:
                query = query.join(
                    account, (account.chat_id == program_id) & (account.user_id == Member.user_id)
                )
            tiered = await self.session.execute(
                query.where(
                    Member.chat_id == chat_id, Member.left_at.is_(None), account.tier.is_not(None)
                )
            )
            for user_id, key in tiered:
                wanted[user_id] = carried_tag(by_key.get(key or ""), ladder, language)
        away = set(
            await self.session.scalars(
                select(Member.user_id).where(Member.chat_id == chat_id, Member.left_at.is_not(None))
            )
        )  # their tags are settled when they come back (`joined`)
        changed = [
            user for user, tag in wanted.items() if tag != recorded.get(user) and user not in away
        ]
        await self.queue(chat_id, sorted(changed))
        return len(changed)

    async def tiers_moved(self, members: Iterable[tuple[int, int]]) -> None:
        """Members (program, user) moved to another tier: their tags follow in each group of
        the program they are in, where tags are on."""
        by_chat: dict[int, list[int]] = {}
        for program_id, user_id in members:
            by_chat.setdefault(program_id, []).append(user_id)
        for program_id, user_ids in by_chat.items():
            for chat_id in await self._groups(program_id):
                if chat_id != program_id:
                    present = await self.session.scalars(
                        select(Member.user_id).where(
                            Member.chat_id == chat_id, Member.user_id.in_(user_ids)
                        )
                    )
                    user_ids = list(present)
                if user_ids and await self.enabled(chat_id):
                    await self.queue(chat_id, user_ids)

    async def joined(self, chat_id: int, user_id: int) -> None:
        """A member came (back): a tier they hold shows again, and a tag the bot gave them
        before they left is settled (replaced, or cleared where tags are off now)."""
        if await self.enabled(chat_id) or await self._recorded(chat_id, user_id) is not None:
            await self.queue(chat_id, [user_id])

    async def wanted(self, chat_id: int, user_id: int, language: str) -> WantedTag:
        found = await self._recorded(chat_id, user_id)
        recorded, set_at = found if found is not None else (None, None)
        member = (
            await self.session.execute(
                select(Member.tier, Member.left_at, Member.last_join_at).where(
                    Member.chat_id == chat_id, Member.user_id == user_id
                )
            )
        ).first()
        if member is not None and member.left_at is not None:
            return WantedTag(recorded, recorded)  # away: nothing changes until they return
        settled = (
            set_at is None
            or member is None
            or member.last_join_at is None
            or (set_at > member.last_join_at)
        )
        if member is None or not await self.enabled(chat_id):
            return WantedTag(None, recorded, settled)
        program_id = await self._program_of(chat_id)
        held = member.tier
        if program_id != chat_id:  # the tier is the member's account's, in the program
            held = await self.session.scalar(
                select(Member.tier).where(Member.chat_id == program_id, Member.user_id == user_id)
            )
        badge = await self.session.scalar(  # an admin's badge shows before the tier (issue 37)
            select(Badge.badge).where(Badge.program_id == program_id, Badge.user_id == user_id)
            .where(Badge.source == "admin").order_by(Badge.given_at.desc()).limit(1)
        )  # fmt: skip
        if badge is not None and (shown := tag_text(shown_badge(badge, language))):
            return WantedTag(shown, recorded, settled)
        ladder = await self.tiers.ladder(program_id)
        tier = next((tier for tier in ladder if tier.key == held), None)
        return WantedTag(carried_tag(tier, ladder, language), recorded, settled)

    async def _program_of(self, chat_id: int) -> int:
        joined = await self.session.scalar(select(Chat.program_id).where(Chat.id == chat_id))
        return joined or chat_id

    async def _groups(self, program_id: int) -> list[int]:
        found = await self.session.scalars(select(Chat.id).where(in_program(program_id)))
        return sorted(found)

    async def _recorded(self, chat_id: int, user_id: int) -> tuple[str, datetime] | None:
        found = (
            await self.session.execute(
                select(MemberTag.tag, MemberTag.set_at).where(
                    MemberTag.chat_id == chat_id, MemberTag.user_id == user_id
                )
            )
        ).first()
        return None if found is None else (found.tag, found.set_at)

    async def record(self, chat_id: int, user_id: int, tag: str | None) -> None:
        """What the bot set on the member (None: it set none, or the tag is not its own)."""
        if tag is None:
            await self.session.execute(
                delete(MemberTag).where(MemberTag.chat_id == chat_id, MemberTag.user_id == user_id)
            )
            return
        row = {"chat_id": chat_id, "user_id": user_id, "tag": tag, "set_at": self.clock.now()}
        await upsert(
            self.session, MemberTag, row, keys=["chat_id", "user_id"], update=["tag", "set_at"]
        )

    async def queue(self, chat_id: int, user_ids: Sequence[int]) -> None:
        """A `MemberTagSync` for each member, in this transaction, a second after the chat's
        last one still waiting."""
        if not user_ids:
            return
        now = self.clock.now()
        last = await self.session.scalar(
            select(func.max(OutboxMessage.due_at)).where(
                OutboxMessage.status == "pending",
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.kind == MemberTagSync.kind,
            )
        )
        start = max(now, last + TAG_PACE) if last is not None else now
        # Each row a key of its own: a row asks the sender to look again, so two are never
        # one too many (the second finds nothing to change).
        rows = [
            OutboxRow(
                chat_id,
                MemberTagSync(user_id=user_id),
                f"member_tag:{chat_id}:{user_id}:{uuid.uuid4().hex}",
                due_at=start + n * TAG_PACE,
            )
            for n, user_id in enumerate(user_ids)
        ]
        await OutboxService(self.session, self.clock).add_many(rows)
