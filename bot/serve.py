"""Running the bot: long polling by default, a webhook server when WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.utils.backoff import Backoff
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import Services, create_bot, create_dispatcher
from bot.config import ConfigError, Settings
from bot.polling import BACKOFF, ConfirmingPoller
from bot.shop_api import PATH, ShopOrders
from services.orders import MAX_POSTED_BYTES

logger = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    services = Services.create(settings)
    bot = create_bot(settings, services)
    dispatcher = create_dispatcher(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        if not await wait_for_api(bot, stop):
            return  # stopped before Telegram ever answered
        if settings.webhook_url:
            await serve_webhook(settings, bot, dispatcher, stop)
        elif settings.shop_webhook_secret is not None:
            async with serving_shop_orders(settings, dispatcher):
                await serve_polling(bot, dispatcher, stop)
        else:
            await serve_polling(bot, dispatcher, stop)
    finally:
        await bot.session.close()
        await services.close()


async def wait_for_api(bot: Bot, stop: asyncio.Event) -> bool:
    """getMe until it answers (True) or we are stopped (False): a network blip at start-up is
    waited out, a bad token is not."""
    backoff = Backoff(BACKOFF)
    while not stop.is_set():
        try:
            await bot.me()
            return True
        except TelegramUnauthorizedError:
            raise ConfigError(
                "config error: BOT_TOKEN was rejected by Telegram (401 Unauthorized); "
                "copy the token again from @BotFather"
            ) from None
        except Exception as error:  # noqa: BLE001 - any network failure is waited out
            logger.warning("Bot API not reachable (%s); retry in %.1fs", error, backoff.next_delay)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), next(backoff))
    return False


async def serve_polling(bot: Bot, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    await bot.delete_webhook(drop_pending_updates=False)
    await dispatcher.emit_startup(bot=bot, **dispatcher.workflow_data)
    logger.info("polling for updates")
    try:
        poller = ConfirmingPoller(dispatcher, bot, dispatcher.resolve_used_update_types())
        await poller.run(stop)
    finally:
        await dispatcher.emit_shutdown(bot=bot, **dispatcher.workflow_data)
        logger.info("stopped")


def add_shop_orders(settings: Settings, app: web.Application, dispatcher: Dispatcher) -> None:
    if settings.shop_webhook_secret is not None:
        secret = settings.shop_webhook_secret.get_secret_value().strip()
        ShopOrders(secret, dispatcher["order_desk"]).register(app)


@asynccontextmanager
async def serving_shop_orders(settings: Settings, dispatcher: Dispatcher) -> AsyncIterator[None]:
    """In polling mode, the HTTP server for /shop/orders alone."""
    app = web.Application(client_max_size=MAX_POSTED_BYTES + 1024)
    add_shop_orders(settings, app, dispatcher)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
    logger.info("shop orders at %s:%s%s", settings.webhook_host, settings.webhook_port, PATH)
    try:
        yield
    finally:
        await runner.cleanup()


async def serve_webhook(
    settings: Settings, bot: Bot, dispatcher: Dispatcher, stop: asyncio.Event
) -> None:
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    app = web.Application()
    # Answer Telegram only after the update was handled, so a crash means a redelivery.
    handler = SimpleRequestHandler(dispatcher, bot, secret_token=secret, handle_in_background=False)
    handler.register(app, path=urlparse(settings.webhook_url).path or "/")
    add_shop_orders(settings, app, dispatcher)
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    logger.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
