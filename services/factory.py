"""The one place that builds the domain services on a session: with the same clock, default
time zone and tier-ladder cache for an update (`UpdateServices`: what the handler about to run
asks for) as for work outside one (`infrastructure/background.py`: the outbox sender, jobs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

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
from services.promotions import TierPromotions
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
        return PointsService(
            session, self.clock, self.default_timezone, self.ladders, promotions=TierPromotions
        )

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

    def for_update(self, session: AsyncSession) -> UpdateServices:
        return UpdateServices(self, session)


class UpdateServices:
    """One update's services, each built the first time it is asked for: most updates reach a
    handler that takes one or two of them, or none. Those built share one PointsService (and
    one OrderService), so what one writes the others see within the update."""

    def __init__(self, factory: ServiceFactory, session: AsyncSession) -> None:
        self.factory = factory
        self.session = session

    def named(self, names: Iterable[str]) -> dict[str, object]:
        """The services among `names` (a handler's parameters), by name."""
        return {name: getattr(self, name) for name in names if name in SERVICE_NAMES}

    @cached_property
    def chats(self) -> ChatService:
        return self.factory.chats(self.session)

    @cached_property
    def points(self) -> PointsService:
        return self.factory.points(self.session)

    @cached_property
    def checkins(self) -> CheckinService:
        return self.factory.checkins(self.session, self.points)

    @cached_property
    def draws(self) -> DrawService:
        return self.factory.draws(self.session, self.points)

    @cached_property
    def referrals(self) -> ReferralService:
        return self.factory.referrals(self.session, self.points)

    @cached_property
    def posts(self) -> PostService:
        return self.factory.posts(self.session)

    @cached_property
    def campaigns(self) -> CampaignService:
        return self.factory.campaigns(self.session)

    @cached_property
    def tiers(self) -> TierService:
        return self.factory.tiers(self.session)

    @cached_property
    def topics(self) -> TopicService:
        return self.factory.topics(self.session, self.points)

    @cached_property
    def topic_replies(self) -> TopicReplyService:
        return self.factory.topic_replies(self.session, self.points)

    @cached_property
    def shop(self) -> ShopService:
        return self.factory.shop(self.session, self.points)

    @cached_property
    def redemptions(self) -> RedemptionService:
        return self.factory.redemptions(self.session, self.points)

    @cached_property
    def fulfilment(self) -> FulfilmentService:
        return self.factory.fulfilment(self.session)

    @cached_property
    def orders(self) -> OrderService:
        return self.factory.orders(self.session, self.points)

    @cached_property
    def bindings(self) -> BindingService:
        return self.factory.bindings(self.session, self.orders)

    @cached_property
    def pushes(self) -> PushService:
        return self.factory.pushes(self.session)

    @cached_property
    def moderation(self) -> ModerationService:
        return self.factory.moderation(self.session, self.points)

    @cached_property
    def member_cards(self) -> MemberCardService:
        return self.factory.member_cards(self.session, self.points)


# What a handler may take by name: every service above.
SERVICE_NAMES = frozenset(
    name for name, member in vars(UpdateServices).items() if isinstance(member, cached_property)
)
