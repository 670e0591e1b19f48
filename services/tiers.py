"""VIP tiers (会员等级): a per-chat ladder on lifetime points, or on what members paid in the
shop (`/settings tiers basis spend`).

A chat starts on the default ladder without any rows; the first edit copies it into `tiers`, so
an admin edits the ladder they see. Default tiers keep no name of their own: they are shown in
the reader's language, and an admin may call them by either name (`Gold` or `金牌`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, exists, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Member, TierRow, VipMembership, VipPlan

MAX_NAME = 32
MAX_PERKS = 200
MAX_THRESHOLD = 1_000_000_000


@dataclass(frozen=True, slots=True)
class DefaultTier:
    key: str
    names: dict[str, str]  # language → name
    threshold: int
    perks: dict[str, str]


DEFAULT_LADDER = (
    DefaultTier("member", {"zh": "普通", "en": "Member"}, 0,
                {"zh": "每日签到、抽奖和话题", "en": "Daily sign-in, draws and topics"}),
    DefaultTier("bronze", {"zh": "铜牌", "en": "Bronze"}, 100,
                {"zh": "铜牌徽章", "en": "Bronze badge"}),
    DefaultTier("silver", {"zh": "银牌", "en": "Silver"}, 500,
                {"zh": "银牌专属抽奖", "en": "Silver-only draws"}),
    DefaultTier("gold", {"zh": "金牌", "en": "Gold"}, 2000,
                {"zh": "金牌专属抽奖，新品抢先看", "en": "Gold-only draws, first look at news"}),
    DefaultTier("diamond", {"zh": "钻石", "en": "Diamond"}, 8000,
                {"zh": "会员礼物和所有专属活动", "en": "Member gifts, every VIP event"}),
)  # fmt: skip
DEFAULTS = {tier.key: tier for tier in DEFAULT_LADDER}


DISCOUNT = re.compile(r"(?<!\S)discount=(\d{1,2})%")
MULTIPLIER = re.compile(r"(?<!\S)multiplier=(\d(?:\.\d{1,2})?)(?!\S)")
ENTRY_REWARD = re.compile(r"(?<!\S)entry_reward=(\d{1,12})(?!\S)")
ACTING_PERKS = (DISCOUNT, MULTIPLIER, ENTRY_REWARD)  # the parts of perks the bot acts on


class TierError(ValueError):
    pass


class UnknownTier(TierError):
    pass


class ThresholdTaken(TierError):
    def __init__(self, other: Tier) -> None:
        super().__init__(f"another tier starts at {other.threshold}")
        self.other = other


class LastTier(TierError):
    pass


@dataclass(frozen=True, slots=True)
class Tier:
    key: str
    threshold: int
    name: str | None = None  # None: a default tier, named in the reader's language
    perks: str | None = None

    def label(self, language: str) -> str:
        if self.name is not None or self.key not in DEFAULTS:
            return self.name or self.key
        names = DEFAULTS[self.key].names
        return names.get(language, names["en"])

    def perks_text(self, language: str) -> str:
        if self.perks is not None or self.key not in DEFAULTS:
            return self.perks or ""
        perks = DEFAULTS[self.key].perks
        return perks.get(language, perks["en"])

    def perk_words(self, language: str) -> str:
        """Its perks without the parts the bot acts on (`discount=10%` …), as words."""
        text = self.perks_text(language)
        for part in ACTING_PERKS:
            text = part.sub("", text)
        return " ".join(text.split())

    @property
    def discount(self) -> int:
        """The shop discount its perks name (`discount=10%`), in percent; else 0."""
        found = DISCOUNT.search(self.perks or "")
        return int(found[1]) if found else 0

    @property
    def multiplier_pct(self) -> int:
        """Its members' earned points, in % (`multiplier=1.2` in its perks: 120); else 100."""
        found = MULTIPLIER.search(self.perks or "")
        return max(100, min(500, round(float(found[1]) * 100))) if found else 100

    @property
    def entry_reward(self) -> int | None:
        """The shop reward given on reaching this tier (`entry_reward=<id>` in its perks)."""
        found = ENTRY_REWARD.search(self.perks or "")
        return int(found[1]) if found else None

    def answers_to(self, name: str) -> bool:
        folded = name.casefold()
        if self.name is not None:
            return folded == self.name.casefold()
        aliases = DEFAULTS[self.key].names.values() if self.key in DEFAULTS else ()
        return folded == self.key or folded in (alias.casefold() for alias in aliases)


DEFAULT_TIERS = [Tier(tier.key, tier.threshold) for tier in DEFAULT_LADDER]


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a member stands on the ladder."""

    tier: Tier | None
    next: Tier | None

    def progress(self, lifetime: int) -> float:
        """0..1 of the way from this tier to the next (1 at the top)."""
        if self.next is None:
            return 1.0
        start = self.tier.threshold if self.tier is not None else 0
        return max(0.0, min(1.0, (lifetime - start) / (self.next.threshold - start)))


def standing(ladder: list[Tier], lifetime: int, held: str | None = None) -> Standing:
    """The tier `lifetime` (the figure) reaches, or the tier `held` (a paid membership's,
    issue 38) when that is higher, and the next one up."""
    floor = next((tier.threshold for tier in ladder if tier.key == held), 0)
    figure = max(lifetime, floor)
    reached = [tier for tier in ladder if tier.threshold <= figure]
    ahead = [tier for tier in ladder if tier.threshold > figure]
    return Standing(reached[-1] if reached else None, ahead[0] if ahead else None)


BY_POINTS, BY_SPEND = "points", "spend"


def tier_figure(member: Member | None, basis: str) -> int:
    """What the ladder's thresholds are compared with: lifetime points, or (`spend`) whole
    yuan the member paid in the shop, refunds taken off."""
    if member is None:
        return 0
    return member.spent_fen // 100 if basis == BY_SPEND else member.lifetime_points


def is_promotion(ladder: list[Tier], before: str | None, after: Tier | None) -> bool:
    """Reaching `after` from the tier key `before` is worth congratulating."""
    if after is None or after.key == before:
        return False
    previous = next((tier for tier in ladder if tier.key == before), None)
    floor = previous.threshold if previous is not None else 0
    return after.threshold > floor


class LadderCache:
    """Ladders are read on every award and edited rarely: each process keeps them a minute.

    An edit forgets the chat's ladder here at once; another worker sees it within `ttl`.
    """

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._ladders: dict[int, tuple[float, list[Tier]]] = {}
        self._bases: dict[int, tuple[float, str]] = {}
        self._holding: dict[int, tuple[float, bool]] = {}

    def get(self, chat_id: int) -> list[Tier] | None:
        cached = self._ladders.get(chat_id)
        if cached is None or time.monotonic() - cached[0] > self.ttl:
            return None
        return cached[1]

    def put(self, chat_id: int, ladder: list[Tier]) -> None:
        self._ladders[chat_id] = (time.monotonic(), ladder)

    def forget(self, chat_id: int) -> None:
        self._ladders.pop(chat_id, None)
        self._bases.pop(chat_id, None)
        self._holding.pop(chat_id, None)

    def get_holding(self, chat_id: int) -> bool | None:
        cached = self._holding.get(chat_id)
        if cached is None or time.monotonic() - cached[0] > self.ttl:
            return None
        return cached[1]

    def put_holding(self, chat_id: int, holding: bool) -> None:
        self._holding[chat_id] = (time.monotonic(), holding)

    def get_basis(self, chat_id: int) -> str | None:
        cached = self._bases.get(chat_id)
        if cached is None or time.monotonic() - cached[0] > self.ttl:
            return None
        return cached[1]

    def put_basis(self, chat_id: int, basis: str) -> None:
        self._bases[chat_id] = (time.monotonic(), basis)


class TierService:
    def __init__(self, session: AsyncSession, cache: LadderCache | None = None) -> None:
        self.session = session
        self.cache = cache

    async def ladder(self, chat_id: int) -> list[Tier]:
        if self.cache is not None and (cached := self.cache.get(chat_id)) is not None:
            return cached
        rows = await self.session.scalars(
            select(TierRow).where(TierRow.chat_id == chat_id).order_by(TierRow.threshold)
        )
        tiers = [Tier(row.key, row.threshold, row.name, row.perks) for row in rows]
        ladder = tiers or list(DEFAULT_TIERS)
        if self.cache is not None:
            self.cache.put(chat_id, ladder)
        return ladder

    async def basis(self, chat_id: int) -> str:
        """`points` (the default) or `spend`: what the chat's tiers are reached by."""
        if self.cache is not None and (cached := self.cache.get_basis(chat_id)) is not None:
            return cached
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == chat_id))
        basis = str(((settings or {}).get("orders") or {}).get("tier_basis", BY_POINTS))
        if self.cache is not None:
            self.cache.put_basis(chat_id, basis)
        return basis

    async def holds(self, members: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The tier an active paid membership holds each member at, whatever their figure
        (issue 38: the one place a membership lifts a tier; `standing(..., held=)` applies it).
        A program that never had a plan costs a cached look, not a query."""
        wanted = {member for member in members if await self._holding(member[0])}
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(VipMembership.program_id, VipMembership.user_id, VipPlan.tier)
            .join(VipPlan, VipPlan.id == VipMembership.plan_id)
            .where(VipMembership.status == "active", VipPlan.tier.is_not(None))
            .where(tuple_(VipMembership.program_id, VipMembership.user_id).in_(sorted(wanted)))
        )
        found: dict[tuple[int, int], str] = {}
        for program_id, user_id, tier in rows:
            ladder = await self.ladder(program_id)
            rank = {t.key: t.threshold for t in ladder}
            key = (program_id, user_id)
            if tier in rank and (key not in found or rank[tier] > rank.get(found[key], -1)):
                found[key] = tier
        return found

    async def _holding(self, chat_id: int) -> bool:
        if self.cache is not None and (cached := self.cache.get_holding(chat_id)) is not None:
            return cached
        holding = bool(
            await self.session.scalar(select(exists().where(VipPlan.program_id == chat_id)))
        )
        if self.cache is not None:
            self.cache.put_holding(chat_id, holding)
        return holding

    async def rerank(self, chat_id: int, basis: str) -> int:
        """Put every member on the tier `basis` reaches (a group switching between points and
        spend), quietly: nobody is congratulated for a change of rules. How many moved."""
        self.forget(chat_id)
        ladder = await self.ladder(chat_id)
        rows = await self.session.execute(
            select(Member.user_id, Member.lifetime_points, Member.spent_fen, Member.tier).where(
                Member.chat_id == chat_id
            )
        )
        found = list(rows)
        held = await self.holds((chat_id, row[0]) for row in found)
        moved = []
        for user_id, lifetime, spent_fen, tier in found:
            figure = spent_fen // 100 if basis == BY_SPEND else lifetime
            reached = standing(ladder, figure, held.get((chat_id, user_id))).tier
            key = reached.key if reached else None
            if key != tier:
                moved.append({"member": user_id, "reached": key})
        if moved:
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == bindparam("member"))
                .values(tier=bindparam("reached"))
                .execution_options(dml_strategy="core_only"),
                moved,
            )
        return len(moved)

    def forget(self, chat_id: int) -> None:
        if self.cache is not None:
            self.cache.forget(chat_id)

    async def set(self, chat_id: int, name: str, threshold: int, perks: str | None) -> Tier:
        """Move (and re-describe) the tier called `name`, or add it."""
        if not 0 < len(name) <= MAX_NAME or not 0 <= threshold <= MAX_THRESHOLD:
            raise TierError(name)
        if perks is not None and len(perks) > MAX_PERKS:
            raise TierError(perks)
        ladder = await self._editable(chat_id)
        tier = next((tier for tier in ladder if tier.answers_to(name)), None)
        taken = next((t for t in ladder if t.threshold == threshold and t != tier), None)
        if taken is not None:
            raise ThresholdTaken(taken)
        if tier is None:
            row = TierRow(chat_id=chat_id, key=name.casefold(), name=name, threshold=threshold)
            self.session.add(row)
        else:
            row = await self._row(chat_id, tier.key)
            row.threshold = threshold
        if perks is not None:
            row.perks = perks
        await self.session.flush()
        self._changed(chat_id)
        return Tier(row.key, row.threshold, row.name, row.perks)

    async def delete(self, chat_id: int, name: str) -> Tier:
        ladder = await self._editable(chat_id)
        tier = next((tier for tier in ladder if tier.answers_to(name)), None)
        if tier is None:
            raise UnknownTier(name)
        if len(ladder) == 1:
            raise LastTier(name)
        await self.session.execute(
            delete(TierRow).where(TierRow.chat_id == chat_id, TierRow.key == tier.key)
        )
        self._changed(chat_id)
        return tier

    def _changed(self, chat_id: int) -> None:
        if self.cache is not None:
            self.cache.forget(chat_id)

    async def _editable(self, chat_id: int) -> list[Tier]:
        """The ladder, copied from the defaults into rows on the first edit."""
        ladder = await self.ladder(chat_id)
        exists = await self.session.scalar(select(TierRow.id).where(TierRow.chat_id == chat_id))
        if exists is None:
            self.session.add_all(
                TierRow(chat_id=chat_id, key=tier.key, threshold=tier.threshold) for tier in ladder
            )
            await self.session.flush()
        return ladder

    async def _row(self, chat_id: int, key: str) -> TierRow:
        row = await self.session.scalar(
            select(TierRow).where(TierRow.chat_id == chat_id, TierRow.key == key)
        )
        assert row is not None
        return row
