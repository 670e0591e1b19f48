"""The one place that builds the domain services on a session: with the same clock, default
time zone and tier-ladder cache for an update (`UpdateServices`: what the handler about to run
asks for) as for work outside one (`infrastructure/background.py`: the outbox sender, jobs)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from services.badges import BadgeService
from services.bindings import BindingService
from services.boosts import BoostService
from services.cadence import CadenceService
from services.campaigns import CampaignService
from services.channels import ChannelService
from services.chats import ChatService
from services.checkins import CheckinService
from services.clock import Clock
from services.commission import CommissionService
from services.dice import DiceService
from services.digest import DigestService
from services.distributors import DistributorService
from services.draws import DrawService
from services.erasure import ErasureService
from services.events import EventService
from services.fulfilment import FulfilmentService
from services.group_buys import GroupBuyService
from services.guess import GuessService
from services.jielong import JielongService
from services.labels import LabelService
from services.member_card import MemberCardService
from services.member_centre import MemberCentreService
from services.member_data import MemberDataService
from services.member_import import MemberImportService
from services.member_tags import MemberTagService
from services.moderation import ModerationService
from services.orders import OrderService
from services.points import PointsService
from services.points_expiry import PointsExpiry
from services.posts import PostService
from services.program_merge import ProgramJoin
from services.programs import ProgramMap, ProgramService
from services.promotions import TierPromotions
from services.pushes import PushService
from services.quests import QuestService
from services.quiz import QuizService
from services.raids import RaidService
from services.reactions import ReactionService
from services.redemptions import RedemptionService
from services.referrals import ReferralService
from services.reports import ReportService
from services.shop import ShopService
from services.staff import StaffService
from services.tiers import LadderCache, TierService
from services.topic_replies import TopicReplyService
from services.topics import TopicService
from services.vip import VipService
from services.vip_rooms import VipRoomService


@dataclass(frozen=True, slots=True)
class ServiceFactory:
    clock: Clock
    default_timezone: str = "UTC"
    ladders: LadderCache = field(default_factory=LadderCache)
    program_map: ProgramMap = field(default_factory=ProgramMap)

    def chats(self, session: AsyncSession) -> ChatService:
        return ChatService(session, self.clock, self.default_timezone)

    def programs(self, session: AsyncSession) -> ProgramService:
        return ProgramService(session, self.clock)

    def program_join(self, session: AsyncSession) -> ProgramJoin:
        return ProgramJoin(
            session, self.clock, self.programs(session), self.tiers(session), self.program_map
        )

    def labels(self, session: AsyncSession) -> LabelService:
        return LabelService(session, self.clock)

    def badges(self, session: AsyncSession) -> BadgeService:
        return BadgeService(session, self.clock)

    def quests(self, session: AsyncSession, points: PointsService | None = None) -> QuestService:
        return QuestService(session, self.clock, points or self.points(session))

    def member_data(self, session: AsyncSession) -> MemberDataService:
        return MemberDataService(session, self.clock)

    def erasure(self, session: AsyncSession) -> ErasureService:
        return ErasureService(session, self.clock, self.programs(session))

    def points(self, session: AsyncSession) -> PointsService:
        return PointsService(
            session, self.clock, self.default_timezone, self.ladders, promotions=TierPromotions,
            programs=self.program_map,
        )  # fmt: skip

    def points_expiry(self, session: AsyncSession) -> PointsExpiry:
        return PointsExpiry(session, self.clock, self.points(session))

    def tiers(self, session: AsyncSession) -> TierService:
        return TierService(session, self.ladders)

    def checkins(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> CheckinService:
        return CheckinService(session, self.clock, points or self.points(session))

    def draws(self, session: AsyncSession, points: PointsService | None = None) -> DrawService:
        return DrawService(session, self.clock, points or self.points(session))

    def events(self, session: AsyncSession, points: PointsService | None = None) -> EventService:
        return EventService(
            session, self.clock, points or self.points(session), self.tiers(session)
        )

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

    def member_import(self, session: AsyncSession) -> MemberImportService:
        return MemberImportService(session, self.clock)

    def orders(self, session: AsyncSession, points: PointsService | None = None) -> OrderService:
        return OrderService(
            session, self.clock, points or self.points(session), (self.commission(session),)
        )

    def commission(self, session: AsyncSession) -> CommissionService:
        return CommissionService(session, self.clock)

    def distributors(self, session: AsyncSession) -> DistributorService:
        return DistributorService(session, self.clock)

    def jielong(self, session: AsyncSession) -> JielongService:
        return JielongService(session, self.clock)

    def group_buys(self, session: AsyncSession) -> GroupBuyService:
        return GroupBuyService(session, self.clock)

    def bindings(self, session: AsyncSession, orders: OrderService | None = None) -> BindingService:
        return BindingService(session, self.clock, orders or self.orders(session))

    def boosts(self, session: AsyncSession, points: PointsService | None = None) -> BoostService:
        return BoostService(session, self.clock, points or self.points(session))

    def reactions(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> ReactionService:
        return ReactionService(session, self.clock, points or self.points(session))

    def moderation(
        self, session: AsyncSession, points: PointsService | None = None
    ) -> ModerationService:
        return ModerationService(session, self.clock, points or self.points(session))

    def reports(self, session: AsyncSession) -> ReportService:
        return ReportService(session, self.clock)

    def channels(self, session: AsyncSession) -> ChannelService:
        return ChannelService(session, self.clock)

    def raids(self, session: AsyncSession) -> RaidService:
        return RaidService(session, self.clock)

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

    def member_centre(self, session: AsyncSession) -> MemberCentreService:
        points = self.points(session)
        return MemberCentreService(
            session, self.clock, self.member_cards(session, points), self.shop(session, points),
            self.tiers(session),
        )  # fmt: skip

    def member_tags(self, session: AsyncSession) -> MemberTagService:
        return MemberTagService(session, self.clock, self.tiers(session))

    def staff(self, session: AsyncSession) -> StaffService:
        return StaffService(session, self.clock)

    def dice(self, session: AsyncSession, points: PointsService | None = None) -> DiceService:
        return DiceService(session, self.clock, points or self.points(session))

    def quiz(self, session: AsyncSession, points: PointsService | None = None) -> QuizService:
        return QuizService(session, self.clock, points or self.points(session))

    def guess(self, session: AsyncSession, points: PointsService | None = None) -> GuessService:
        return GuessService(session, self.clock, points or self.points(session))

    def vip(self, session: AsyncSession, points: PointsService | None = None) -> VipService:
        return VipService(session, self.clock, points or self.points(session))

    def vip_rooms(self, session: AsyncSession) -> VipRoomService:
        return VipRoomService(session, self.clock, self.tiers(session))

    def for_update(self, session: AsyncSession) -> UpdateServices:
        return UpdateServices(self, session)


class UpdateServices:
    """One update's services, each built the first time it is asked for: most updates reach a
    handler that takes one or two of them, or none. Those built share one PointsService (and
    one OrderService), so what one writes the others see within the update. A service is any
    method of `ServiceFactory` that takes the session: a new one needs nothing here."""

    def __init__(self, factory: ServiceFactory, session: AsyncSession) -> None:
        self.factory = factory
        self.session = session
        self.built: dict[str, object] = {}

    def named(self, names: Iterable[str]) -> dict[str, object]:
        """The services among `names` (a handler's parameters), by name."""
        return {name: self.get(name) for name in names if name in SERVICE_NAMES}

    def get(self, name: str) -> object:
        built = self.built.get(name)
        if built is None:
            shared = {each: self.get(each) for each in SERVICE_NAMES[name]}
            built = self.built[name] = getattr(self.factory, name)(self.session, **shared)
        return built

    # Typed, for what takes services outside a handler's parameters (the middlewares, counting,
    # the spam guard).
    @property
    def chats(self) -> ChatService:
        return cast(ChatService, self.get("chats"))

    @property
    def points(self) -> PointsService:
        return cast(PointsService, self.get("points"))

    @property
    def moderation(self) -> ModerationService:
        return cast(ModerationService, self.get("moderation"))

    @property
    def topic_replies(self) -> TopicReplyService:
        return cast(TopicReplyService, self.get("topic_replies"))


SHARED = ("points", "orders")  # one of each per update, handed to the services that take them


def _shares(build: Callable[..., object]) -> tuple[str, ...]:
    return tuple(name for name in SHARED if name in inspect.signature(build).parameters)


# What a handler may take by name, and what each is built with: every method of the factory
# that takes the session.
SERVICE_NAMES: dict[str, tuple[str, ...]] = {
    name: _shares(build)
    for name, build in vars(ServiceFactory).items()
    if not name.startswith("_")
    and callable(build)
    and name != "for_update"
    and "session" in inspect.signature(build).parameters
}
