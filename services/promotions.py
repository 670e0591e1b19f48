"""Promotions: what follows a member's tier figure changing (points earned, what they spent in
the shop): the tier it reaches, up or down, its tag beside their name (where tags are on), and
for a promotion the group's congratulation and the entry reward of each tier crossed, all in
the transaction of the change.

This sits above the ledger (`services/points.py`), which reports each earning through its
`Promotions` protocol (`services/factory.py` wires this in), and beside the shop, whose
redemptions give the entry rewards: the ledger itself never calls up.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, select, update

from models import Member
from services.member_tags import MemberTagService
from services.members import display_names
from services.outbox import OutboxService
from services.points import MemberKey, PointsService, Promotion, TierState
from services.redemptions import RedemptionService, Refused
from services.tier_messages import TierUp
from services.tiers import BY_SPEND, Tier, TierService, is_promotion, standing, tier_figure

logger = logging.getLogger(__name__)


class TierPromotions:
    """The ledger's `Promotions` on its transaction; orders move members by spend through
    `settle`."""

    def __init__(self, ledger: PointsService) -> None:
        self.ledger = ledger
        self.session = ledger.session
        self.tiers = TierService(ledger.session, ledger.ladders)

    async def after_earning(
        self, timezones: Mapping[int, str], states: Mapping[MemberKey, TierState]
    ) -> list[Promotion]:
        by_points = {
            member: state
            for member, state in states.items()
            if await self.tiers.basis(member[0]) != BY_SPEND  # else their orders move them
        }
        return await self.move(timezones, by_points)

    async def settle(
        self, chat_id: int, user_ids: Sequence[int], timezone: str, basis: str
    ) -> list[Promotion]:
        """Put the members on the tier their figure reaches, when the chat's tiers go by
        `basis`: a clawback lowers lifetime points, an order or a refund changes spend."""
        if await self.tiers.basis(chat_id) != basis:
            return []
        members = await self.session.scalars(
            select(Member)
            .where(Member.chat_id == chat_id, Member.user_id.in_(list(user_ids)))
            .execution_options(populate_existing=True)  # after Core updates of their rows
        )
        return await self.move(
            {chat_id: timezone},
            {(chat_id, m.user_id): (tier_figure(m, basis), m.tier) for m in members},
        )

    async def move(
        self, timezones: Mapping[int, str], states: Mapping[MemberKey, TierState]
    ) -> list[Promotion]:
        """Put each member (`states`: member -> (the figure their chat's tiers go by, tier
        now)) on the tier that figure reaches, up or down; a promotion is congratulated and
        gets its tiers' entry rewards."""
        ladders = {chat_id: await self.tiers.ladder(chat_id) for chat_id, _user in states}
        held = await self.tiers.holds(states)  # a paid membership's tier (issue 38)
        moved: list[tuple[int, int, str | None]] = []
        promotions: list[Promotion] = []
        for (chat_id, user_id), (figure, before) in states.items():
            reached = standing(ladders[chat_id], figure, held.get((chat_id, user_id))).tier
            if reached is not None and reached.key != before:
                moved.append((chat_id, user_id, reached.key))
                if is_promotion(ladders[chat_id], before, reached):
                    promotions.append(Promotion(chat_id, user_id, reached))
            elif reached is None and before is not None:  # taken back below the first tier
                moved.append((chat_id, user_id, None))
        if moved:
            await self.session.execute(
                update(Member)
                .where(Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member"))
                .values(tier=bindparam("reached"))
                .execution_options(dml_strategy="core_only"),
                [
                    {"chat": chat_id, "member": user_id, "reached": key}
                    for chat_id, user_id, key in moved
                ],
            )
            tags = MemberTagService(self.session, self.ledger.clock, self.tiers)
            await tags.tiers_moved((chat_id, user_id) for chat_id, user_id, _key in moved)
        if promotions:
            await self._congratulate(promotions)
            await self._give_entry_rewards(promotions, ladders, states, timezones)
        return promotions

    async def _give_entry_rewards(
        self,
        promotions: Sequence[Promotion],
        ladders: Mapping[int, list[Tier]],
        states: Mapping[MemberKey, TierState],
        timezones: Mapping[int, str],
    ) -> None:
        """The reward of each tier a promotion crossed (`entry_reward=` in its perks; a member
        who skips tiers gets each), once per member and tier, free, in this transaction."""
        redemptions = RedemptionService(self.session, self.ledger.clock, self.ledger)
        for promotion in promotions:
            chat_id, user_id = promotion.chat_id, promotion.user_id
            lifetime, before = states[(chat_id, user_id)]
            ladder = ladders[chat_id]
            floor = next((tier.threshold for tier in ladder if tier.key == before), -1)
            for tier in ladder:
                reward_id = tier.entry_reward
                reached = max(lifetime, promotion.tier.threshold)  # a paid tier's too
                if reward_id is None or not floor < tier.threshold <= reached:
                    continue
                try:
                    await redemptions.redeem(
                        chat_id, user_id, reward_id, key=f"tier:{chat_id}:{user_id}:{tier.key}",
                        ladder=ladder, timezone=timezones[chat_id], source="tier",
                    )  # fmt: skip
                except Refused as refused:  # sold out, or the reward was deleted
                    logger.info(
                        "chat %s: no entry reward %s for %s reaching %s: %s",
                        chat_id, reward_id, user_id, tier.key, refused.reason,
                    )  # fmt: skip

    async def _congratulate(self, promotions: Sequence[Promotion]) -> None:
        """The group's congratulation, in the outbox with the promotion itself: it goes out
        (gathered with the others of that minute) even if the bot stops right after."""
        outbox = OutboxService(self.session, self.ledger.clock)
        by_chat: dict[int, list[Promotion]] = defaultdict(list)
        for promotion in promotions:
            by_chat[promotion.chat_id].append(promotion)
        for chat_id, promoted in by_chat.items():
            names = await display_names(self.session, chat_id, [p.user_id for p in promoted])
            for promotion in promoted:
                name = names.get(promotion.user_id, str(promotion.user_id))
                await outbox.add(
                    chat_id,
                    TierUp(user_id=promotion.user_id, name=name, tier=promotion.tier),
                    f"tier_up:{chat_id}:{promotion.user_id}:{promotion.tier.key}",
                )
