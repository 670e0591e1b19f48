"""A member's card in a group: what `/me` says (in the group, or privately for one of theirs)
and what the Mini App shows, gathered in one call from the services that own each figure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models import Campaign, Chat, Member
from services.campaigns import CampaignService, last_minute
from services.chats import ChatProfile
from services.message_tally import MessageTally
from services.orders import MemberOrders, OrderService
from services.points import PointsService
from services.points_expiry import Expiring, ExpiryRules, PointsExpiry
from services.quest_card import QuestProgress, quest_card
from services.referrals import ReferralCounts, ReferralService
from services.shop import ShopService
from services.standings import Period
from services.tiers import BY_SPEND, Tier, TierService, standing, tier_figure
from services.vip import PaidUntil, paid_until


@dataclass(frozen=True, slots=True)
class RunningCampaign:
    name: str
    multiplier_pct: int
    last_minute: datetime  # the group's local time, as members are told

    @classmethod
    def of(cls, campaign: Campaign, timezone: str) -> RunningCampaign:
        return cls(campaign.name, campaign.multiplier_pct, last_minute(campaign, timezone))


@dataclass(frozen=True, slots=True)
class MemberCard:
    points: int
    lifetime: int
    tier: Tier | None
    next_tier: Tier | None  # None at the top of the ladder
    to_next: int  # left to reach `next_tier` in the ladder's figure: points, or yuan by spend
    progress: float  # 0..1 of the way from `tier` to `next_tier` (1 at the top)
    by_spend: bool  # the ladder counts whole yuan spent in the shop, not lifetime points
    rank: int | None  # all time; None until the member earns a point
    streak: int
    messages: int
    campaign: RunningCampaign | None
    referrals: ReferralCounts
    redeemed: int  # rewards redeemed in the shop, ever
    orders: MemberOrders
    expiring: Expiring | None = None  # what expires next, when the program's points expire
    paid: tuple[PaidUntil, ...] = ()  # active paid memberships (issue 38), until when
    badges: tuple[str, ...] = ()
    quests: QuestProgress | None = None  # the program's missions, when it has some


@dataclass(frozen=True, slots=True)
class GroupStanding:
    title: str
    points: int
    tier: Tier | None


@dataclass(frozen=True, slots=True)
class MemberCardService:
    points: PointsService
    tiers: TierService
    referrals: ReferralService
    campaigns: CampaignService
    shop: ShopService
    orders: OrderService

    async def standings(self, groups: Sequence[ChatProfile], user_id: int) -> list[GroupStanding]:
        """The member's points and tier in each group: the short form of the card, for a list
        of their groups."""
        found = []
        for profile in groups:
            member = await self.points.member(profile.id, user_id)
            figure = tier_figure(member, profile.order_rules.tier_basis)
            held = await self.tiers.holds([(profile.program_id, user_id)])
            place = standing(await self.tiers.ladder(profile.program_id), figure,
                             held.get((profile.program_id, user_id)))  # fmt: skip
            found.append(GroupStanding(profile.title, member.points if member else 0, place.tier))
        return found

    async def card(
        self, profile: ChatProfile, user_id: int, tally: MessageTally | None = None
    ) -> MemberCard:
        """The member's card in the group; `tally` adds the message counts still waiting to be
        written (the bot's own process has them; the web, in a process of its own, does not)."""
        chat_id, account = profile.id, profile.program_id  # the group's, the program's
        member = await self.points.member(account, user_id)
        # Messages are counted per group; a group in another's program has a row of its own.
        here = (
            member
            if account == chat_id
            else await self.points.session.get(Member, (chat_id, user_id))
        )
        basis = profile.order_rules.tier_basis
        figure = tier_figure(member, basis)
        held = (await self.tiers.holds([(account, user_id)])).get((account, user_id))
        place = standing(await self.tiers.ladder(account), figure, held)
        rank = await self.points.position(chat_id, profile.timezone, Period.ALL, user_id)
        unwritten = tally.unwritten_count(chat_id, user_id) if tally is not None else 0
        running = await self.campaigns.running(chat_id)
        campaign = RunningCampaign.of(running, profile.timezone) if running is not None else None
        return MemberCard(
            points=member.points if member else 0,
            lifetime=member.lifetime_points if member else 0,
            tier=place.tier,
            next_tier=place.next,
            to_next=place.next.threshold - figure if place.next else 0,
            progress=place.progress(figure),
            by_spend=basis == BY_SPEND,
            rank=rank[0] if rank else None,
            streak=member.streak if member else 0,
            messages=(here.message_count if here else 0) + unwritten,
            campaign=campaign,
            referrals=await self.referrals.counts(chat_id, user_id),
            redeemed=await self.shop.redeemed_count(account, user_id),
            orders=await self.orders.of_member(account, user_id),
            expiring=await self._expiring(account, user_id, profile.timezone) if member else None,
            paid=await paid_until(self.points, account, user_id, profile.timezone),
            **await quest_card(self.points, account, user_id),
        )

    async def _expiring(self, program_id: int, user_id: int, timezone: str) -> Expiring | None:
        """What expires next of the member's points, if the program's points expire (its
        founding group's setting)."""
        session = self.points.session
        founding = await session.get(Chat, program_id)
        rules = ExpiryRules.from_settings(founding.settings if founding else {})
        if not rules.on:
            return None
        expiry = PointsExpiry(session, self.points.clock, self.points)
        return await expiry.next_expiring(program_id, user_id, rules.days, timezone)
