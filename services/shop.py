"""The points shop: rewards a group's members buy with points, coupon code pools, and the one
transaction that redeems.

A redemption checks the reward (there, not paused), the member (tier, limit, points) and the
stock, then deducts the points (a ledger row keyed by the press), takes one free code, moves
the stock and writes the redemption, with the code's private delivery in the outbox, all in
one savepoint: a refusal writes nothing, and the same press twice redeems once. The reward's
row is locked first, so redemptions of one reward queue on it and stock never goes below zero.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Member, Redemption, Reward, RewardCode
from models.queries import insert_for
from services.batching import PointsDesk
from services.chats import ChatService
from services.clock import Clock, local_day, start_of
from services.files import MixedEncoding, NotText, csv_rows, decode_text
from services.outbox import Kind, OutboxService
from services.points import NotEnoughPoints, PointsService
from services.tiers import Tier, TierService, standing, tier_figure
from services.words import loosen_options

KINDS = ("coupon", "gift", "perk")
PERIODS = ("day", "week", "month", "ever")
OPTIONS = ("price", "stock", "limit", "per", "min_tier", "kind", "valid")
MAX_NAME = 64
MAX_PRICE = 1_000_000
MAX_STOCK = 1_000_000
MAX_LIMIT = 1_000
MAX_VALID_DAYS = 3_650
MAX_CODE = 64
MAX_FILE_BYTES = 1 << 20
MAX_FILE_LINES = 100_000
MAX_GENERATED = 10_000
CODES_PER_STATEMENT = 1_000
MAX_NOTE = 500
REMIND_BEFORE = timedelta(days=3)  # a coupon's holder is reminded this long before it expires
# Column names a code pool's CSV may use for its codes (Taobao and Youzan exports among them).
CODE_HEADERS = frozenset(
    {"code", "codes", "coupon", "coupon code", "券码", "优惠券码", "兑换码", "卡密"}
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed


class ShopInputError(ValueError):
    """`part` of an admin's command is wrong: name, price, stock, limit, per, min_tier, kind,
    valid, prefix, count, file (`detail` says why; of a mixed encoding, `line` is the first
    not in `encoding`, the file's), or an option given twice."""

    def __init__(self, part: str, detail: str = "", *, line: int = 0, encoding: str = "") -> None:
        super().__init__(part)
        self.part = part
        self.detail = detail
        self.line = line
        self.encoding = encoding


class RewardNotFound(LookupError):
    pass


class Refused(Exception):
    """A redemption refused, with nothing written: `reason` is gone, paused, tier, limit,
    sold_out or points (`balance` then says what the member has)."""

    def __init__(self, reason: str, balance: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.balance = balance


@dataclass(frozen=True, slots=True)
class RewardSpec:
    name: str
    price: int
    kind: str = "coupon"
    stock: int | None = None
    limit_count: int | None = None
    limit_per: str = "ever"
    min_tier: str | None = None  # a tier key
    valid_days: int | None = None


@dataclass(frozen=True, slots=True)
class Redeemed:
    redemption: Redemption
    code: str | None
    balance: int
    already: bool = False  # the same press before: nothing new was written
    private: bool = False  # the member has a private chat with the bot (the code goes there)


@dataclass(frozen=True, slots=True)
class RedeemRequest:
    """One press of Confirm, for `ShopDesk`."""

    chat_id: int
    user_id: int
    reward_id: int
    key: str
    ladder: Sequence[Tier]
    timezone: str
    discount: int = 0
    language: str | None = None
    source: str = "shop"  # or draw, campaign, tier: free, without the shop's checks
    campaign_id: int | None = None  # the campaign whose greeting handed it out


@dataclass(frozen=True, slots=True)
class ShopFigures:
    """A period's shop: redemptions bought in it, the members who bought, the points spent."""

    redemptions: int
    redeemers: int
    spent: int


@dataclass(frozen=True, slots=True)
class CodeFile:
    """A code pool's file as read: its codes with their line numbers, and the lines refused
    (line, reason: `not a code`, `too long`, `twice in the file`)."""

    codes: list[tuple[int, str]]
    refused: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CodeImport:
    added: int
    refused: list[tuple[int, str]]  # the file's, and `already in the pool`


def parse_reward(args: str, ladder: Sequence[Tier]) -> RewardSpec:
    """`<name> price=<points> [stock=N] [limit=N] [per=day|week|month|ever] [min_tier=…]
    [kind=coupon|gift|perk] [valid=30d]`, options in any order after the name."""
    return reward_spec(*_name_and_options(args), ladder)


def reward_spec(name: str, options: dict[str, str], ladder: Sequence[Tier]) -> RewardSpec:
    """A new reward from its name and options (`price`, `stock`, … as `/reward add` names
    them, values as text): the command's and the console's form's one validation."""
    if not name or len(name) > MAX_NAME:
        raise ShopInputError("name")
    if "price" not in options:
        raise ShopInputError("price")
    values = _reward_values(options, ladder)
    return RewardSpec(name=name, **values)  # type: ignore[arg-type]


def parse_changes(args: str, ladder: Sequence[Tier]) -> dict[str, object]:
    """The options of `/reward edit <id> …`: only those given, `name=` included."""
    name, options = _name_and_options(args)
    if name:
        raise ShopInputError("name")
    return reward_changes(options, ladder)


def reward_changes(options: dict[str, str], ladder: Sequence[Tier]) -> dict[str, object]:
    """A reward's changes from the options given (the command's and the console's)."""
    changes = _reward_values(options, ladder)
    if not changes:
        raise ShopInputError("price")  # nothing to change: the usage says what can be
    return changes


def _name_and_options(args: str) -> tuple[str, dict[str, str]]:
    words, options, name = loosen_options(args, OPTIONS).split(), dict[str, str](), []
    for word in words:
        option, equals, value = word.partition("=")
        option = option.lower()
        if equals and option in OPTIONS:
            if option in options:
                raise ShopInputError(option)
            options[option] = value
        elif options:
            raise ShopInputError("name")  # the name comes first, in one piece
        else:
            name.append(word)
    return " ".join(name), options


def _reward_values(options: dict[str, str], ladder: Sequence[Tier]) -> dict[str, object]:
    values: dict[str, object] = {}
    if "price" in options:
        values["price"] = _number(options["price"], "price", 0, MAX_PRICE)
    if "stock" in options:
        values["stock"] = _number(options["stock"], "stock", 0, MAX_STOCK)
    if "limit" in options:
        values["limit_count"] = _number(options["limit"], "limit", 1, MAX_LIMIT)
    if "per" in options:
        per = options["per"].lower()
        if per not in PERIODS:
            raise ShopInputError("per")
        values["limit_per"] = per
    if "kind" in options:
        kind = options["kind"].lower()
        if kind not in KINDS:
            raise ShopInputError("kind")
        values["kind"] = kind
    if "min_tier" in options:
        tier = next((t for t in ladder if t.answers_to(options["min_tier"])), None)
        if tier is None:
            raise ShopInputError("min_tier")
        values["min_tier"] = tier.key
    if "valid" in options:
        days = options["valid"].lower().removesuffix("d")
        values["valid_days"] = _number(days, "valid", 1, MAX_VALID_DAYS)
    return values


def _number(text: str, part: str, low: int, high: int) -> int:
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ShopInputError(part)
    return int(text)


def read_codes(data: bytes) -> CodeFile:
    """A code pool's file: one code a line, or a CSV whose code column is named (`code`, `券码`,
    …) or first; UTF-8 or GBK (as Taobao exports), with or without a BOM. A header line is
    skipped, blank lines ignored; codes refused are listed by line."""
    if len(data) > MAX_FILE_BYTES:
        raise ShopInputError("file", "too big")
    try:
        text = decode_text(data)
    except MixedEncoding as mixed:
        raise ShopInputError(
            "file", "mixed encoding", line=mixed.line, encoding=mixed.encoding
        ) from None
    except NotText:
        raise ShopInputError("file", "not text") from None
    rows = list(csv_rows(io.StringIO(text, newline="")))  # None: a field over the csv limit
    if len(rows) > MAX_FILE_LINES:
        raise ShopInputError("file", "too many lines")
    column, first = 0, 0
    header = rows[0] if rows else None
    if header is not None and any(cell.strip().casefold() in CODE_HEADERS for cell in header):
        column = next(i for i, c in enumerate(header) if c.strip().casefold() in CODE_HEADERS)
        first = 1
    codes: list[tuple[int, str]] = []
    refused: list[tuple[int, str]] = []
    seen: set[str] = set()
    for line, row in enumerate(rows[first:], start=first + 1):
        if row is None:
            refused.append((line, "too long"))
            continue
        cell = row[column].strip() if column < len(row) else ""
        if not cell:
            if any(value.strip() for value in row):
                refused.append((line, "not a code"))
            continue
        if len(cell) > MAX_CODE:
            refused.append((line, "too long"))
        elif not cell.isprintable() or any(char.isspace() for char in cell):
            refused.append((line, "not a code"))
        elif cell in seen:
            refused.append((line, "twice in the file"))
        else:
            seen.add(cell)
            codes.append((line, cell))
    if not codes and not refused:
        raise ShopInputError("file", "empty")
    return CodeFile(codes, refused)


def generated_codes(count: int, prefix: str) -> list[str]:
    """`count` random codes, `FAN-7K3M-Q9XD`: 40 bits each, from an alphabet without 0/O, 1/I."""
    if not 1 <= count <= MAX_GENERATED:
        raise ShopInputError("count")
    if len(prefix) > 16 or not all(char.isascii() and char.isalnum() for char in prefix):
        raise ShopInputError("prefix")

    def one() -> str:
        body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        return "-".join(part for part in (prefix.upper(), body[:4], body[4:]) if part)

    return [one() for _ in range(count)]


def window_start(per: str, now: datetime, timezone: str) -> datetime | None:
    """Where a member's limit period began (their group's local day, week from Monday, month)."""
    today = local_day(now, timezone)
    if per == "day":
        return start_of(today, timezone)
    if per == "week":
        return start_of(today - timedelta(days=today.weekday()), timezone)
    if per == "month":
        return start_of(date(today.year, today.month, 1), timezone)
    return None


def required_tier(ladder: Sequence[Tier], reward: Reward) -> Tier | None:
    """The tier a reward asks for, as the group's ladder has it now (None: any member)."""
    return next((tier for tier in ladder if tier.key == reward.min_tier), None)


async def member_tier(
    tiers: TierService, points: PointsService, chat_id: int, user_id: int
) -> tuple[Tier | None, list[Tier]]:
    """The member's tier (its discount applies in the shop) and the chat's ladder."""
    ladder = await tiers.ladder(chat_id)
    member = await points.member(chat_id, user_id)
    figure = tier_figure(member, await tiers.basis(chat_id))
    return standing(ladder, figure).tier, ladder


def discounted(price: int, percent: int) -> int:
    """The price after a tier's discount, rounded to the nearest point (never below 0)."""
    return max(0, (price * (100 - percent) + 50) // 100)


class ShopService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def add(
        self, chat_id: int, admin_id: int, spec: RewardSpec, image_file_id: str | None = None
    ) -> Reward:
        reward = Reward(
            chat_id=chat_id, name=spec.name, kind=spec.kind, price=spec.price,
            stock=spec.stock, initial_stock=spec.stock, limit_count=spec.limit_count,
            limit_per=spec.limit_per, min_tier=spec.min_tier, valid_days=spec.valid_days,
            image_file_id=image_file_id, status="active", redeemed=0, points_spent=0,
            created_by=admin_id,
            created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(reward)
        await self.session.flush()
        return reward

    async def reward(self, chat_id: int, reward_id: int) -> Reward:
        """The group's reward (paused ones too); RewardNotFound if it has none such."""
        reward = await self.session.get(Reward, reward_id)
        if reward is None or reward.chat_id != chat_id or reward.status == "deleted":
            raise RewardNotFound(reward_id)
        return reward

    async def edit(self, chat_id: int, reward_id: int, changes: dict[str, object]) -> Reward:
        reward = await self._locked(chat_id, reward_id)
        for name, value in changes.items():
            setattr(reward, name, value)
        if "stock" in changes:  # a restock: what was redeemed before counts against the start
            reward.initial_stock = None if reward.stock is None else reward.stock + reward.redeemed
        await self.session.flush()
        return reward

    async def set_paused(self, chat_id: int, reward_id: int, paused: bool) -> Reward:
        reward = await self._locked(chat_id, reward_id)
        reward.status = "paused" if paused else "active"
        await self.session.flush()
        return reward

    async def delete(self, chat_id: int, reward_id: int) -> Reward:
        """Off the shelf for good; codes already issued stay valid and are kept, as is the
        pool (nothing is erased: the audit and the exports still add up)."""
        reward = await self._locked(chat_id, reward_id)
        reward.status = "deleted"
        await self.session.flush()
        return reward

    async def shelf(self, chat_id: int, *, with_paused: bool = False) -> list[Reward]:
        statuses = ("active", "paused") if with_paused else ("active",)
        found = await self.session.scalars(
            select(Reward)
            .where(Reward.chat_id == chat_id, Reward.status.in_(statuses))
            .order_by(Reward.price, Reward.id)
        )
        return list(found)

    async def free_codes(self, reward_ids: Sequence[int]) -> dict[int, int]:
        if not reward_ids:
            return {}
        rows = await self.session.execute(
            select(RewardCode.reward_id, func.count())
            .where(RewardCode.reward_id.in_(reward_ids), RewardCode.status == "free")
            .group_by(RewardCode.reward_id)
        )
        return {row[0]: row[1] for row in rows}

    async def add_codes(self, chat_id: int, reward_id: int, file: CodeFile) -> CodeImport:
        """Add the file's codes to the pool; a code the group has already (in any reward's
        pool) is refused with its line."""
        reward = await self._locked(chat_id, reward_id)
        if reward.kind != "coupon":
            raise ShopInputError("kind")
        now, added = self.clock.now(), set[str]()
        for start in range(0, len(file.codes), CODES_PER_STATEMENT):
            chunk = file.codes[start : start + CODES_PER_STATEMENT]
            inserted = await self.session.scalars(
                insert_for(self.session, RewardCode)
                .values(
                    [
                        {
                            "chat_id": chat_id,
                            "reward_id": reward_id,
                            "code": code,
                            "status": "free",
                            "added_at": now,
                        }
                        for _, code in chunk
                    ]
                )
                .on_conflict_do_nothing(index_elements=["chat_id", "code"])
                .returning(RewardCode.code)
            )
            added.update(inserted)
        pooled = [(line, "already in the pool") for line, code in file.codes if code not in added]
        return CodeImport(len(added), sorted(file.refused + pooled))

    async def redeem(
        self,
        chat_id: int,
        user_id: int,
        reward_id: int,
        *,
        key: str,
        ladder: Sequence[Tier],
        timezone: str,
        source: str = "shop",
        discount: int = 0,
        language: str | None = None,
        campaign_id: int | None = None,
    ) -> Redeemed:
        """Redeem once per `key` (the press, or the draw's win, or the campaign's member), or
        raise Refused having written nothing. A free reward (`source` other than the shop)
        costs no points. `language`: the member's, for the private delivery."""
        return await self.redeem_request(
            RedeemRequest(
                chat_id,
                user_id,
                reward_id,
                key,
                ladder,
                timezone,
                discount,
                language,
                source,
                campaign_id,
            )
        )

    async def redeem_request(self, request: RedeemRequest) -> Redeemed:
        """`redeem`, asked with a request (as `ShopDesk` holds them)."""
        existing = await self.session.scalar(
            select(Redemption).where(Redemption.key == request.key)
        )
        if existing is not None:
            private = await self.started_privately(request.user_id)
            return Redeemed(existing, await self._code(existing), 0, already=True, private=private)
        async with self.session.begin_nested():
            return await self._redeem(request)

    async def _redeem(self, request: RedeemRequest) -> Redeemed:
        chat_id, user_id, reward_id = request.chat_id, request.user_id, request.reward_id
        source = request.source
        reward = await self.session.scalar(
            select(Reward)
            .where(Reward.id == reward_id, Reward.chat_id == chat_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if reward is None or reward.status == "deleted":
            raise Refused("gone")
        if reward.status == "paused" and source == "shop":
            raise Refused("paused")
        member = await self.session.get(Member, (chat_id, user_id))
        balance = member.points if member else 0
        needed = required_tier(request.ladder, reward)
        if source == "shop" and needed is not None:
            basis = await TierService(self.session, self.points.ladders).basis(chat_id)
            if tier_figure(member, basis) < needed.threshold:
                raise Refused("tier", balance)
        now = self.clock.now()
        if source == "shop" and reward.limit_count is not None:
            since = window_start(reward.limit_per, now, request.timezone)
            mine = (
                select(func.count())
                .select_from(Redemption)
                .where(
                    Redemption.chat_id == chat_id,
                    Redemption.user_id == user_id,
                    Redemption.reward_id == reward_id,
                )
            )
            if since is not None:
                mine = mine.where(Redemption.created_at >= since)
            taken = await self.session.scalar(mine)
            if (taken or 0) >= reward.limit_count:
                raise Refused("limit", balance)
        if reward.stock is not None and reward.stock <= 0:
            raise Refused("sold_out", balance)
        price = discounted(reward.price, request.discount) if source == "shop" else 0
        if price > balance:  # before a code is looked for (a concurrent change still refuses)
            raise Refused("points", balance)
        code = None
        if reward.kind == "coupon":
            code = await self.session.scalar(
                select(RewardCode)
                .where(RewardCode.reward_id == reward_id, RewardCode.status == "free")
                .order_by(RewardCode.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if code is None:
                raise Refused("sold_out", balance)
        if price:
            try:
                paid = await self.points.change(
                    chat_id, user_id, -price, reason="shop", key=f"shop:{request.key}",
                    ref=f"reward:{reward_id}", timezone=request.timezone, member_exists=True,
                )  # fmt: skip
            except NotEnoughPoints as short:
                raise Refused("points", short.balance) from None
            balance = paid.points
        await self.session.execute(
            update(Reward)
            .where(Reward.id == reward_id)
            .values(
                stock=Reward.stock - 1 if reward.stock is not None else None,
                redeemed=Reward.redeemed + 1,
                points_spent=Reward.points_spent + price,
            )
        )
        if code is not None:
            code.status = "issued"
        valid = timedelta(days=reward.valid_days) if reward.valid_days else None
        redemption = Redemption(
            key=request.key, chat_id=chat_id, user_id=user_id, reward_id=reward_id,
            source=source, price=price, code_id=code.id if code else None, status="issued",
            language=request.language, campaign_id=request.campaign_id,
            expires_at=now + valid if valid else None, created_at=now,
        )  # fmt: skip
        self.session.add(redemption)
        await self.session.flush()
        private = await self.started_privately(user_id)
        if private:
            await self._tell_privately(redemption)
        return Redeemed(redemption, code.code if code else None, balance, private=private)

    async def _tell_privately(self, redemption: Redemption) -> None:
        """The delivery now and, for a coupon that expires, a reminder 3 days before (in the
        member's language, which the redemption keeps)."""
        outbox, payload = OutboxService(self.session, self.clock), {"redemption_id": redemption.id}
        user, key = redemption.user_id, redemption.id
        await outbox.add(user, Kind.REWARD_DELIVERY, f"reward:{key}", payload)
        expires = redemption.expires_at
        if redemption.code_id is not None and expires is not None:
            remind_at = expires - REMIND_BEFORE
            if remind_at > self.clock.now():
                await outbox.add(
                    user, Kind.COUPON_REMINDER, f"coupon_reminder:{key}", payload, due_at=remind_at
                )

    async def mark_used(self, chat_id: int, code: str) -> tuple[str, Redemption | None]:
        """An admin says a coupon was used: `used`, `already` (used before), `free` (never
        issued), or `unknown` (no such code in the group)."""
        found = await self.session.scalar(
            select(RewardCode).where(RewardCode.chat_id == chat_id, RewardCode.code == code)
        )
        if found is None:
            return "unknown", None
        redemption = await self.session.scalar(
            select(Redemption).where(Redemption.code_id == found.id).with_for_update()
        )
        if redemption is None:
            return "free", None
        if redemption.status == "used":
            return "already", redemption
        redemption.status, redemption.used_at = "used", self.clock.now()
        await self.session.flush()
        return "used", redemption

    async def figures(self, chat_id: int, start: datetime, end: datetime) -> ShopFigures:
        row = (
            await self.session.execute(
                select(
                    func.count(), func.count(func.distinct(Redemption.user_id)),
                    func.coalesce(func.sum(Redemption.price), 0),
                ).where(
                    Redemption.chat_id == chat_id, Redemption.source == "shop",
                    Redemption.created_at >= start, Redemption.created_at < end,
                )
            )
        ).one()  # fmt: skip
        return ShopFigures(int(row[0]), int(row[1]), int(row[2]))

    async def could_redeem(self, chat_id: int) -> int:
        """Members whose points buy the cheapest reward on the shelf now (0: an empty shelf)."""
        cheapest = await self.session.scalar(
            select(func.min(Reward.price)).where(
                Reward.chat_id == chat_id, Reward.status == "active"
            )
        )
        if cheapest is None:
            return 0
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Member)
                .where(Member.chat_id == chat_id, Member.points >= max(cheapest, 1))
            )
            or 0
        )

    async def asked_for_note(self, redemption_id: int, message_id: int) -> None:
        """The private delivery of a gift went out as `message_id`: a reply to it is its note."""
        await self.session.execute(
            update(Redemption)
            .where(Redemption.id == redemption_id)
            .values(asked_message_id=message_id)
        )

    async def leave_note(self, user_id: int, message_id: int, note: str) -> Redemption | None:
        """A member's reply to the message asking for their gift's details; None when the
        message asked for nothing of theirs (or the gift was sent already)."""
        # The question's id is recorded as its send is marked done: a quick reply can come
        # first, and then it answers the one gift of theirs still being asked about. One
        # statement for both, so that a recording committed between two reads (PostgreSQL
        # reads each statement afresh) cannot hide the gift from both.
        asked = Redemption.asked_message_id == message_id
        candidates = await self.session.scalars(
            select(Redemption)
            .join(Reward, Reward.id == Redemption.reward_id)
            .where(
                Redemption.user_id == user_id,
                asked | (
                    (Reward.kind == "gift") & (Redemption.status == "issued")
                    & Redemption.asked_message_id.is_(None) & Redemption.note.is_(None)
                ),
            )
            .order_by(asked.desc())
            .limit(3)
        )  # fmt: skip
        found = list(candidates)
        exact = [r for r in found if r.asked_message_id == message_id]
        redemption = exact[0] if exact else (found[0] if len(found) == 1 else None)
        if redemption is None or redemption.status != "issued":
            return None
        redemption.note = note[:MAX_NOTE]
        await self.session.flush()
        return redemption

    async def gifts_to_send(self, chat_id: int) -> list[tuple[Redemption, Reward, str]]:
        """Gifts redeemed and not yet sent, oldest first, with the member's name."""
        return await self._named(
            # By the gift rewards' ids: the (reward, status) index, not every redemption.
            Redemption.reward_id.in_(
                select(Reward.id).where(Reward.chat_id == chat_id, Reward.kind == "gift")
            ),
            Redemption.status == "issued",
            order=Redemption.id,
        )

    async def redemptions(self, chat_id: int) -> list[tuple[Redemption, Reward, str]]:
        """The group's latest redemptions, newest first, with the member's name."""
        return await self._named(Redemption.chat_id == chat_id, order=Redemption.id.desc())

    async def _named(
        self, *conditions: ColumnElement[bool], order: Any, limit: int = 50
    ) -> list[tuple[Redemption, Reward, str]]:
        """Redemptions with their reward and the member's name ("" when unknown)."""
        rows = await self.session.execute(
            select(Redemption, Reward, Member.display_name)
            .join(Reward, Reward.id == Redemption.reward_id)
            .outerjoin(
                Member,
                (Member.chat_id == Redemption.chat_id) & (Member.user_id == Redemption.user_id),
            )
            .where(*conditions)
            .order_by(order)
            .limit(limit)
        )
        return [(redemption, reward, name or "") for redemption, reward, name in rows]

    async def gift_sent(self, chat_id: int, redemption_id: int) -> Redemption | None:
        """An admin sent the gift: marked, and the member told privately; None if there is no
        such gift waiting in the group."""
        redemption = await self.session.get(Redemption, redemption_id, with_for_update=True)
        reward = await self.session.get(Reward, redemption.reward_id) if redemption else None
        if redemption is None or reward is None or redemption.chat_id != chat_id:
            return None
        if reward.kind != "gift" or redemption.status != "issued":
            return None
        redemption.status, redemption.used_at = "sent", self.clock.now()
        await self.session.flush()
        if await self.started_privately(redemption.user_id):
            await OutboxService(self.session, self.clock).add(
                redemption.user_id, Kind.GIFT_SENT, f"gift_sent:{redemption.id}",
                {"redemption_id": redemption.id},
            )  # fmt: skip
        return redemption

    async def redeemed_count(self, chat_id: int, user_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Redemption)
                .where(Redemption.chat_id == chat_id, Redemption.user_id == user_id)
            )
            or 0
        )

    async def redemption_of(
        self, user_id: int, redemption_id: int
    ) -> tuple[Redemption, Reward, str | None] | None:
        """One of the member's redemptions with its reward and code; None if not theirs."""
        redemption = await self.session.get(Redemption, redemption_id)
        if redemption is None or redemption.user_id != user_id:
            return None
        reward = await self.session.get(Reward, redemption.reward_id)
        assert reward is not None
        return redemption, reward, await self._code(redemption)

    async def received(
        self, chat_id: int | None, user_id: int
    ) -> list[tuple[Redemption, Reward, str | None]]:
        """A member's redemptions, newest first, with their reward and code: in one group, or
        in every group (`chat_id` None, as `/mycoupons` in a private chat)."""
        query = (
            select(Redemption, Reward, RewardCode.code)
            .join(Reward, Reward.id == Redemption.reward_id)
            .outerjoin(RewardCode, RewardCode.id == Redemption.code_id)
            .where(Redemption.user_id == user_id)
            .order_by(Redemption.id.desc())
        )
        if chat_id is not None:
            query = query.where(Redemption.chat_id == chat_id)
        return [(r, reward, code) for r, reward, code in (await self.session.execute(query))]

    async def _code(self, redemption: Redemption) -> str | None:
        if redemption.code_id is None:
            return None
        return await self.session.scalar(
            select(RewardCode.code).where(RewardCode.id == redemption.code_id)
        )

    async def group_of(self, chat_id: int) -> tuple[str, str]:
        """A group's title and time zone, for what is said of it in a private chat."""
        chat = await self.session.get(Chat, chat_id)
        default = self.points.default_timezone
        return (chat.title, chat.timezone or default) if chat is not None else ("", default)

    async def started_privately(self, user_id: int) -> bool:
        chats = ChatService(self.session, self.clock, self.points.default_timezone)
        return await chats.started_privately(user_id)

    async def _locked(self, chat_id: int, reward_id: int) -> Reward:
        reward = await self.session.scalar(
            select(Reward)
            .where(Reward.id == reward_id, Reward.chat_id == chat_id, Reward.status != "deleted")
            .with_for_update()
        )
        if reward is None:
            raise RewardNotFound(reward_id)
        return reward


class ShopDesk(PointsDesk[RedeemRequest, "Redeemed | Refused"]):
    """The process's shop presses, group-committed: a rush on one reward shares a few
    transactions (each redemption in its own savepoint), each press answered once committed."""

    async def redeem(self, request: RedeemRequest) -> Redeemed | Refused:
        """The redemption, or the refusal (returned, not raised: the batch goes on)."""
        return await self._batches.submit(request)

    async def write(
        self, session: AsyncSession, points: PointsService, items: list[RedeemRequest]
    ) -> list[Redeemed | Refused]:
        shop, done = ShopService(session, self.clock, points), list[Redeemed | Refused]()
        for item in items:
            try:
                done.append(await shop.redeem_request(item))
            except Refused as refused:
                done.append(refused)
        return done


async def audit_shop(session: AsyncSession) -> list[str]:
    """What does not add up in the shop: a reward whose stock went below zero or does not
    equal its start less what was redeemed since, codes issued that no redemption holds."""
    problems: list[str] = []
    for reward in await session.scalars(select(Reward)):
        if reward.stock is None or reward.initial_stock is None:
            continue
        if reward.stock < 0 or reward.stock != reward.initial_stock - reward.redeemed:
            problems.append(
                f"reward {reward.id}: stock {reward.stock}, started at {reward.initial_stock}, "
                f"{reward.redeemed} redeemed"
            )
    issued = await session.scalar(
        select(func.count()).select_from(RewardCode).where(RewardCode.status == "issued")
    )
    held = await session.scalar(
        select(func.count()).select_from(Redemption).where(Redemption.code_id.is_not(None))
    )
    if issued != held:
        problems.append(f"{issued} codes issued, {held} held by redemptions")
    return problems
