"""The web's routes on an aiohttp application: the webhook's own in webhook mode, or one of
its own on WEB_PORT (`fanbot run` in polling mode, or `fanbot web` alone).

What the web shares with the bot's handlers (the catalogues, the admin cache, the scheduler,
the forum topics) it finds on the application under its typed keys (`web/keys.py`), set there by
the composition root (`bot/serve.py`); the process's pools come as `Resources`."""

from __future__ import annotations

from typing import Protocol

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.chat_cache import ChatCache
from infrastructure.config import Settings
from services.clock import Clock
from services.factory import ServiceFactory
from services.redemptions import RedemptionGroupCommit
from services.tiers import LadderCache
from web.console import Console
from web.console_channels import ChannelPages
from web.console_community import CommunityPages
from web.console_distributors import DistributorPages
from web.console_events import EventPages
from web.console_labels import LabelPages
from web.console_orders import OrderPages
from web.console_quests import QuestPages
from web.console_shop import ShopPages
from web.console_staff import StaffPages
from web.console_vip import VipPages
from web.draws import DrawPages
from web.event_tickets import EventTickets
from web.keys import ADMIN_CACHE, FORUM_TOPICS, I18N, SCHEDULER
from web.landing import Landing
from web.miniapp import MiniApp
from web.site import HERE, Site

STATIC = "/static/web"


class Resources(Protocol):
    """What the web takes of the process's shared pools and caches: `bot.app.Services` (the
    composition root's, which the web does not import)."""

    settings: Settings
    session_pool: async_sessionmaker[AsyncSession]
    clock: Clock
    chat_cache: ChatCache
    ladders: LadderCache
    redeeming: RedemptionGroupCommit


def add_web(app: web.Application, services: Resources, bot: Bot) -> Site:
    settings = services.settings
    domain = ServiceFactory(services.clock, settings.default_timezone, services.ladders)
    site = Site.create(settings, bot, app[I18N], app[ADMIN_CACHE], services.session_pool, domain,
                       services.redeeming)  # fmt: skip
    console = Console(site, services.chat_cache, app[SCHEDULER])
    console.register(app)
    CommunityPages(console, app[FORUM_TOPICS]).register(app)
    OrderPages(console).register(app)
    ChannelPages(console).register(app)
    DistributorPages(console).register(app)
    EventPages(console).register(app)
    VipPages(console).register(app)
    QuestPages(console).register(app)
    LabelPages(console).register(app)
    ShopPages(console).register(app)
    StaffPages(console).register(app)
    DrawPages(site).register(app)
    Landing(site).register(app)
    MiniApp(site).register(app)
    EventTickets(site).register(app)
    app.router.add_static(STATIC, HERE / "static", append_version=True)
    return site
