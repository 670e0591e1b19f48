"""Factories for the bot and the dispatcher; the CLI, the tests and the benches share them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.counting import MessageCountingMiddleware
from bot.dispatcher import FanbotDispatcher
from bot.shop_api import ORDER_INTAKE
from handlers import errors
from handlers.routers import feature_routers
from infrastructure.admins import AdminCache
from infrastructure.background import Background
from infrastructure.chat_cache import ChatCache
from infrastructure.commands import register_commands
from infrastructure.config import Settings
from infrastructure.i18n import ChatLanguageMiddleware, create_i18n
from infrastructure.join_window import JoinWindow, MemoryJoinWindow, RedisJoinWindow
from infrastructure.middlewares import (
    CommandThrottleMiddleware,
    CommitBeforeCalling,
    DbSessionMiddleware,
    HandlerServicesMiddleware,
    TrackingMiddleware,
)
from infrastructure.middlewares.press_order import PressOrder
from infrastructure.pacing import Pacer, PacingMiddleware, SendPacer
from infrastructure.sender_only import EphemeralAnswers, EphemeralSupport
from infrastructure.shared_pacing import SharedPacer
from infrastructure.throttle import MemoryThrottle, RedisThrottle, Throttle
from models import create_engine, create_session_pool
from scheduler.backups import BackupJobs
from scheduler.cadence import CadenceJobs
from scheduler.campaigns import CampaignJobs
from scheduler.checks import BackgroundChecks, Check
from scheduler.core import JobSource, Scheduler
from scheduler.draws import DrawJobs
from scheduler.lock import SchedulerLock
from scheduler.posts import PostJobs
from scheduler.segments import SegmentJobs
from scheduler.topics import TopicJobs
from services.chats import ChatService
from services.checkins import SignInGroupCommit
from services.clock import Clock
from services.commission import confirm_commission_due
from services.draws import JoinGroupCommit
from services.factory import ServiceFactory
from services.group_buys import close_due_group_buys
from services.jielong import close_due_jielong
from services.message_tally import MessageTally
from services.program_merge import sweep_joined
from services.reactions import forget_old_authors
from services.redemptions import RedemptionGroupCommit
from services.referral_messages import ReferralThanks
from services.tier_messages import TierUp
from services.tiers import LadderCache
from services.welcome_messages import WELCOME_BURST_SECONDS, Welcome
from views.charts import warm_up as warm_up_charts
from views.miniapp import mini_app_menu_button
from web.keys import ADMIN_CACHE, FORUM_TOPICS, I18N, SCHEDULER
from workflows.events import EventRounds
from workflows.games import GameChecks
from workflows.member_import import MemberImport
from workflows.moderation import Moderator
from workflows.night_mode import NightMode
from workflows.orders import OrderIntake
from workflows.outbox import OutboxSender
from workflows.points_expiry import ExpiryRun
from workflows.quests import QuestSweep, SeasonClose
from workflows.quiet import QuietMode, SenderOnlyCleanup
from workflows.raids import RaidGuard
from workflows.referrals import ReferralPayouts
from workflows.rights import RightsNotices
from workflows.spam_guard import SpamGuard
from workflows.topics import ForumTopics
from workflows.verification import JoinVerification
from workflows.vip_rooms import VipDoor

logger = logging.getLogger(__name__)


@dataclass
class Resources:
    """What lives as long as the process: the pools and caches every update shares."""

    settings: Settings
    engine: AsyncEngine
    session_pool: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=Clock)
    chat_cache: ChatCache = field(default_factory=ChatCache)
    ladders: LadderCache = field(default_factory=LadderCache)
    redis: Redis | None = None
    tally: MessageTally = field(init=False)
    sign_ins: SignInGroupCommit = field(init=False)
    joins: JoinGroupCommit = field(init=False)
    redeeming: RedemptionGroupCommit = field(init=False)

    def __post_init__(self) -> None:
        ledger = ServiceFactory(self.clock, ladders=self.ladders).points  # promotions wired in
        self.tally = MessageTally(self.session_pool, self.clock, ledger)
        self.sign_ins = SignInGroupCommit(self.session_pool, self.clock, ledger)
        self.joins = JoinGroupCommit(self.session_pool, self.clock, ledger)
        self.redeeming = RedemptionGroupCommit(self.session_pool, self.clock, ledger)

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None) -> Resources:
        engine = create_engine(settings.database_url)
        redis = (
            # Bounded waits: a Redis gone away must not hang a send (the pacer falls back).
            Redis.from_url(
                settings.redis_url,
                socket_timeout=2,
                socket_connect_timeout=2,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.1), 2),
            )
            if settings.redis_url
            else None
        )
        return cls(settings, engine, create_session_pool(engine), clock or Clock(), redis=redis)

    async def deactivate_chat(self, chat_id: int) -> None:
        """Telegram said 403 for this chat: the bot was removed or blocked there."""
        async with self.session_pool() as session:
            chats = ChatService(session, self.clock, self.settings.default_timezone)
            await chats.set_active(chat_id, False)
            await session.commit()
        self.chat_cache.forget(chat_id)
        logger.info("chat %s is inactive: the bot was removed or blocked", chat_id)

    async def close(self) -> None:
        await self.tally.flush()  # counts waiting for their second are written, not dropped
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def create_bot(settings: Settings, services: Resources) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    limits = (
        settings.telegram_rate_global,
        settings.telegram_rate_chat,
        settings.telegram_rate_group_per_minute,
    )
    # With Redis, every worker's sends count against the same windows (bot/shared_pacing.py).
    pacer: Pacer = SharedPacer(services.redis, *limits) if services.redis else SendPacer(*limits)
    session.middleware(CommitBeforeCalling())  # first: nothing waits in the pacer holding a lock
    ephemeral = EphemeralSupport()
    session.middleware(EphemeralAnswers(ephemeral))  # before pacing: the lane is the member's
    session.middleware(
        PacingMiddleware(
            pacer,
            on_forbidden=services.deactivate_chat,
            ephemeral_confirmed=lambda: ephemeral.confirmed,
        )
    )
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        # A reply still goes out when its command was deleted meanwhile (by its sender, or a
        # guard): Telegram would otherwise refuse it, and the update would fail.
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML,
            link_preview_is_disabled=True,
            allow_sending_without_reply=True,
        ),
    )


def create_dispatcher(services: Resources) -> FanbotDispatcher:
    settings = services.settings
    storage: BaseStorage
    throttle: Throttle
    joins: JoinWindow  # raid mode's count of the last minute's joins, shared like the throttle
    if services.redis is not None:
        storage = RedisStorage(services.redis)
        throttle = RedisThrottle(services.redis)
        joins = RedisJoinWindow(services.redis)
    else:
        storage, throttle, joins = MemoryStorage(), MemoryThrottle(), MemoryJoinWindow()
    i18n = create_i18n(settings.default_language)
    domain = ServiceFactory(services.clock, settings.default_timezone, services.ladders)
    background = Background(services.session_pool, domain, i18n)
    notices = RightsNotices(background)
    forum_topics = ForumTopics(background, notices, services.chat_cache)
    # What one chat is told in one moment goes out as one message: tier-ups and thanks are
    # gathered for TIER_ANNOUNCE_SECONDS, joins for a few seconds.
    outbox = OutboxSender(
        background,
        notices,
        gather={
            TierUp.kind: settings.tier_announce_seconds,
            ReferralThanks.kind: settings.tier_announce_seconds,
            Welcome.kind: WELCOME_BURST_SECONDS,
        },
        topics=forum_topics,
        web_url=settings.web_url,
    )
    quiet = QuietMode(settings.quiet_delete_seconds, background)
    order_intake = OrderIntake(background, wake=outbox.wake)
    admin_cache = AdminCache(settings.owner_ids, redis=services.redis)
    moderator = Moderator(background, notices, admin_cache)
    spam_guard = SpamGuard(moderator, quiet)
    verification = JoinVerification(moderator)
    night_mode = NightMode(moderator)
    raid_guard = RaidGuard(moderator, joins)
    checks = BackgroundChecks(
        settings.background_check_seconds,
        [
            Check("pay the purchase points that are due", lambda _bot: order_intake.confirm_due()),
            Check("pay the referrals that are due", ReferralPayouts(background).settle_due),
            Check(
                "make the commission that is due payable",
                lambda _bot: confirm_commission_due(background.session_pool, background.clock),
            ),
            Check("remove the unverified", verification.expire),
            Check("open and close the groups for the night", night_mode.switch_due),
            Check(
                "forget who wrote messages too old to earn reactions",
                lambda _bot: forget_old_authors(background.session_pool, background.clock),
            ),
            Check("end the raids that calmed down", raid_guard.end_due),
            Check("expire the points that are due, and warn", ExpiryRun(background).look),
            Check("close the games that are due", GameChecks(background).look),
            Check("events: offers, reminders, no-shows", EventRounds(background).look),
            Check("end lapsed memberships and look at the VIP rooms", VipDoor(background).look),
            Check("settle missions and milestone badges", QuestSweep(background).look),
            Check("close the seasons that ended", SeasonClose(background).look),
            Check(
                "close the 接龙 lists that are due",
                lambda _bot: close_due_jielong(background.session_pool, background.clock),
            ),
            Check(
                "close the group buys that are due",
                lambda _bot: close_due_group_buys(background.session_pool, background.clock),
            ),
            Check(
                "move into a program what was paid into one that joined it",
                lambda _bot: sweep_joined(
                    background.session_pool, background.services.program_join
                ),
            ),
        ],
    )
    post_jobs = PostJobs(background, settings.post_grace_seconds, queued=outbox.wake)
    # Draws end and the background checks run wherever the lock is held; SCHEDULER_ENABLED=false
    # leaves out what it posts.
    sources: list[JobSource] = [DrawJobs(background), checks]
    if settings.backup_dir is not None:  # the daily backup, with BACKUP_KEEP's retention
        sources.append(
            BackupJobs(
                settings.database_url, Path(settings.backup_dir), settings.backup_keep,
                services.clock,
            )
        )  # fmt: skip
    if settings.scheduler_enabled:
        sources += [
            post_jobs,
            CampaignJobs(background),
            CadenceJobs(background, settings.post_grace_seconds, queued=outbox.wake),
            TopicJobs(background, forum_topics),
            SegmentJobs(background),
        ]
    scheduler = Scheduler(services.clock, sources)
    scheduler_lock = SchedulerLock(services.engine)
    dispatcher = FanbotDispatcher(
        storage=storage,
        settings=settings,
        clock=services.clock,
        chat_cache=services.chat_cache,
        admin_cache=admin_cache,
        i18n=i18n,
        tally=services.tally,
        sign_ins=services.sign_ins,
        joins=services.joins,
        redeeming=services.redeeming,
        order_intake=order_intake,
        member_import=MemberImport(background),
        notices=notices,
        scheduler=scheduler,
        forum_topics=forum_topics,
        quiet=quiet,
        moderator=moderator,
        spam_guard=spam_guard,
        verification=verification,
        raid_guard=raid_guard,
    )
    # The same objects for the web and /shop/orders, under their typed keys (`bot/serve.py`).
    dispatcher.share(I18N, i18n)
    dispatcher.share(ADMIN_CACHE, admin_cache)
    dispatcher.share(SCHEDULER, scheduler)
    dispatcher.share(FORUM_TOPICS, forum_topics)
    dispatcher.share(ORDER_INTAKE, order_intake)
    # Order matters: a session first, then who and where, then the language to answer in.
    dispatcher.update.outer_middleware(PressOrder(("event:",)))  # events' seats: press order
    dispatcher.update.outer_middleware(DbSessionMiddleware(services.session_pool))
    dispatcher.update.outer_middleware(TrackingMiddleware(services.chat_cache, domain))
    dispatcher.update.outer_middleware(ChatLanguageMiddleware(i18n))
    dispatcher.message.outer_middleware(CommandThrottleMiddleware(throttle))
    dispatcher.message.outer_middleware(MessageCountingMiddleware(services.tally, spam_guard))
    HandlerServicesMiddleware().register(dispatcher)  # each handler's services, built for it
    dispatcher.include_routers(*feature_routers())
    errors.register(dispatcher)

    tasks: set[asyncio.Task[None]] = set()

    async def on_startup(bot: Bot) -> None:
        me = await bot.me()
        logger.info("started as @%s (id %s)", me.username, me.id)
        await register_commands(bot, i18n)
        if settings.mini_app_url is not None:  # 积分 / My points, in every private chat
            with i18n.context(), i18n.use_locale(settings.default_language):
                button = mini_app_menu_button(settings.mini_app_url)
            try:
                await bot.set_chat_menu_button(menu_button=button)
            except TelegramAPIError as error:  # the bot runs on without the button
                logger.warning("the Mini App menu button was refused: %s", error)
        elif settings.web_url is not None:
            logger.warning("WEB_URL is not https: no Mini App button (Telegram needs https)")
        # Built with the dispatcher's quiet mode, so added here rather than in create_bot.
        bot.session.middleware(SenderOnlyCleanup(quiet))
        if settings.warm_up_charts:  # the first /stats answers at once
            tasks.add(asyncio.create_task(warm_up_charts()))
        tasks.add(asyncio.create_task(run_lock_holders_work(bot)))

    async def run_lock_holders_work(bot: Bot) -> None:
        # One process sends the outbox (so several workers keep one bot's pace) and runs the
        # scheduler; the others stand by.
        await scheduler_lock.wait()
        await scheduler.start(bot)
        await outbox.run(bot)

    async def on_shutdown(bot: Bot) -> None:
        await outbox.stop()  # first: its loop ends between two looks, not inside one
        for task in tasks:
            task.cancel()
        await scheduler.stop()
        await scheduler_lock.release()
        await services.tally.flush()

    dispatcher.startup.register(on_startup)
    dispatcher.shutdown.register(on_shutdown)
    return dispatcher
