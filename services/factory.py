"""The one place that builds the domain services on a session: with the same clock, default
time zone and tier-ladder cache for an update (the tracking middleware hands them to the
handlers) as for work outside one (`bot/background.py`: the outbox sender, jobs, keepers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.bindings import BindingService
from services.cadence import CadenceService
from services.campaigns import CampaignService
from services.chats import ChatService
from services.checkins import CheckinService
from services.clock import Clock
from services.digest import DigestService
from services.draws import DrawService
from services.fulfilment import FulfilmentService
from services.member_card import MemberCardService
from services.moderation import ModerationService
from services.orders import OrderService
from services.points import PointsService
from services.posts import PostService
from services.pushes import PushService
from services.redemptions import RedemptionService
from services.referrals import ReferralService
from services.shop import ShopService
from services.tiers import LadderCache, TierService
from services.topic_replies import TopicReplyService
from services.topics import TopicService


@dataclass(frozen=True, slots=True)
class ServiceFactory:
    clock: Clock
    default_timezone: str = "UTC"
    ladders: LadderCache = field(default_factory=LadderCache)

    def chats(self, session: AsyncSession) -> ChatService:
        return ChatService(session, self.clock, self.default_timezone)

    def points(self, session: AsyncSession) -> PointsService:
        return PointsService(session, self.clock, self.default_timezone, ladders=self.ladders)

    def tiers(self, session: AsyncSession) -> TierService:
        return TierService(session, self.ladders)

    def checkins(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> CheckinService:
        return CheckinService(session, self.clock, points or self.points(session))

    def draws(self, session: AsyncSession, points: PointsService | None = None) -> DrawService:
        return DrawService(session, self.clock, points or self.points(session))

    def referrals(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> ReferralService:
        return ReferralService(session, self.clock, points or self.points(session))

    def topics(self, session: AsyncSession, points: PointsService | None = None) -> TopicService:
        return TopicService(session, self.clock, points or self.points(session))

    def topic_replies(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> TopicReplyService:
        return TopicReplyService(session, self.clock, points or self.points(session))

    def shop(self, session: AsyncSession, points: PointsService | None = None) -> ShopService:
        return ShopService(session, self.clock, points or self.points(session))

    def redemptions(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> RedemptionService:
        return RedemptionService(session, self.clock, points or self.points(session))

    def fulfilment(self, session: AsyncSession) -> FulfilmentService:
        return FulfilmentService(session, self.clock, self.default_timezone)

    def orders(self, session: AsyncSession, points: PointsService | None = None) -> OrderService:
        return OrderService(session, self.clock, points or self.points(session))

    def bindings(self, session: AsyncSession, orders: OrderService | None = None) -> BindingService:
        return BindingService(session, self.clock, orders or self.orders(session))

    def moderation(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> ModerationService:
        return ModerationService(session, self.clock, points or self.points(session))

    def pushes(self, session: AsyncSession) -> PushService:
        return PushService(session, self.clock, self.tiers(session))

    def posts(self, session: AsyncSession) -> PostService:
        return PostService(session, self.clock, self.default_timezone)

    def campaigns(self, session: AsyncSession) -> CampaignService:
        return CampaignService(session, self.clock)

    def cadence(self, session: AsyncSession) -> CadenceService:
        return CadenceService(session, self.clock, self.default_timezone)

    def digest(self, session: AsyncSession) -> DigestService:
        return DigestService(session, self.clock)

    def member_cards(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> MemberCardService:
        points = points or self.points(session)
        return MemberCardService(
            points, self.tiers(session), self.referrals(session, points),
            self.campaigns(session), self.shop(session, points), self.orders(session, points),
        )  # fmt: skip

    def for_update(self, session: AsyncSession) -> dict[str, object]:
        """What a handler may ask for by name, sharing one PointsService."""
        points = self.points(session)
        orders = self.orders(session, points)
        return {
            "chats": self.chats(session),
            "points": points,
            "checkins": self.checkins(session, points),
            "draws": self.draws(session, points),
            "referrals": self.referrals(session, points),
            "posts": self.posts(session),
            "campaigns": self.campaigns(session),
            "tiers": self.tiers(session),
            "topics": self.topics(session, points),
            "topic_replies": self.topic_replies(session, points),
            "shop": self.shop(session, points),
            "redemptions": self.redemptions(session, points),
            "fulfilment": self.fulfilment(session),
            "orders": orders,
            "bindings": self.bindings(session, orders),
            "pushes": self.pushes(session),
            "moderation": self.moderation(session, points),
            "member_cards": self.member_cards(session, points),
        }
