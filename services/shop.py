"""The points shop's shelf: the rewards a group's members buy with points (price, stock, limit,
tier, badge, kind), their code pools, what a member has redeemed, and the shop's figures. Buying is
`services/redemptions.py`'s; what happens after, `services/fulfilment.py`'s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Badge, Chat, Member, Redemption, Reward, RewardCode
from models.queries import insert_for
from services.badges import MILESTONES, holding
from services.clock import Clock
from services.points import PointsService
from services.reward_codes import CodeFile, CodeImport, code_of
from services.reward_specs import NoSuchBadge, RewardSpec, ShopInputError
from services.tiers import Tier, TierService, standing, tier_figure

CODES_PER_STATEMENT = 1_000


class RewardNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class ShopFigures:
    """A period's shop: redemptions bought in it, the members who bought, the points spent."""

    redemptions: int
    redeemers: int
    spent: int


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
    held = (await tiers.holds([(chat_id, user_id)])).get((chat_id, user_id))
    return standing(ladder, figure, held).tier, ladder


async def holds_badge(session: AsyncSession, program_id: int, user_id: int, badge: str) -> bool:
    """Whether the member holds the badge a reward asks for (`badge=`), in the program."""
    held = await session.scalar(holding(program_id, badge).where(Badge.user_id == user_id))
    return held is not None


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
        """A new reward; NoSuchBadge if its `badge=` is not the program's (`chat_id`)."""
        if spec.badge is not None:
            await self.known_badge(chat_id, spec.badge)
        reward = Reward(
            chat_id=chat_id, name=spec.name, kind=spec.kind, price=spec.price,
            stock=spec.stock, initial_stock=spec.stock, limit_count=spec.limit_count,
            limit_per=spec.limit_per, min_tier=spec.min_tier, badge=spec.badge,
            valid_days=spec.valid_days,
            image_file_id=image_file_id, status="active", redeemed=0, points_spent=0,
            created_by=admin_id,
            created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(reward)
        await self.session.flush()
        return reward

    async def known_badge(self, program_id: int, badge: str) -> None:
        """NoSuchBadge unless `badge` is a milestone's or held by someone in the program (a
        badge exists once given: there is no list of badges apart from their holders)."""
        if badge in MILESTONES:
            return
        if await self.session.scalar(holding(program_id, badge).limit(1)) is not None:
            return
        held = await self.session.scalars(
            select(Badge.badge).where(Badge.program_id == program_id).distinct()
        )
        raise NoSuchBadge(sorted(set(MILESTONES) | set(held)))

    async def reward(self, chat_id: int, reward_id: int) -> Reward:
        """The group's reward (paused ones too); RewardNotFound if it has none such."""
        reward = await self.session.get(Reward, reward_id)
        if reward is None or reward.chat_id != chat_id or reward.status == "deleted":
            raise RewardNotFound(reward_id)
        return reward

    async def edit(self, chat_id: int, reward_id: int, changes: dict[str, object]) -> Reward:
        reward = await self._locked(chat_id, reward_id)
        if isinstance(badge := changes.get("badge"), str) and badge != reward.badge:
            await self.known_badge(chat_id, badge)
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
        return redemption, reward, await code_of(self.session, redemption)

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

    async def group_of(self, chat_id: int) -> tuple[str, str]:
        """A group's title and time zone, for what is said of it in a private chat."""
        chat = await self.session.get(Chat, chat_id)
        default = self.points.default_timezone
        return (chat.title, chat.timezone or default) if chat is not None else ("", default)

    async def _locked(self, chat_id: int, reward_id: int) -> Reward:
        reward = await self.session.scalar(
            select(Reward)
            .where(Reward.id == reward_id, Reward.chat_id == chat_id, Reward.status != "deleted")
            .with_for_update()
        )
        if reward is None:
            raise RewardNotFound(reward_id)
        return reward


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
