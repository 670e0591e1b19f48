"""Running the bot: long polling by default, a webhook server when WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import BaseRequest, StreamResponse

from bot.app import Resources, create_bot, create_dispatcher
from bot.dispatcher import FanbotDispatcher
from bot.polling import BACKOFF, ConfirmingPoller
from bot.shop_api import ORDER_INTAKE, PATH, ShopOrders
from infrastructure.config import ConfigError, Settings
from services.order_files import MAX_POSTED_BYTES
from services.untrusted import json_value, same_secret

logger = logging.getLogger(__name__)


class RedactedAccessLogger(AbstractAccessLogger):
    """aiohttp's access log, without what an address may carry that is a secret: a one-time
    console link's token, or the query strings of a Login Widget redirect."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        path = request.path
        if path.startswith("/console/link/"):
            path = "/console/link/…"
        self.logger.info(
            '%s "%s %s" %s %.1f ms', request.remote, request.method, path, response.status,
            time * 1000,
        )  # fmt: skip


class MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse (a header over 8 KB, a broken request line) as an
    error with a traceback, though it answers 400: on the open internet that is noise, so it is
    one warning line, without the bytes read (a header may hold a cookie)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "malformed request from %s, answered %s: %s"
            record.args = (request_address(record), error.code, type(error).__name__)
            record.exc_info, record.exc_text = None, None
        return True


def request_address(record: logging.LogRecord) -> object:
    return record.args[0] if isinstance(record.args, tuple) and record.args else None


# The servers' own log (not aiohttp.server): what it says of malformed requests is filtered.
request_log = logging.getLogger(f"{__name__}.requests")
request_log.addFilter(MalformedRequests())


def runner_for(app: web.Application) -> web.AppRunner:
    """How every server of fanbot runs: access lines without secrets, malformed requests as
    warnings."""
    return web.AppRunner(app, access_log_class=RedactedAccessLogger, logger=request_log)


class WebhookHandler(SimpleRequestHandler):
    """aiogram's webhook handler, answering hostile requests instead of raising: a secret
    header that is not ASCII (its `secrets.compare_digest` raises TypeError on one) is a 401,
    and a body that is no JSON update a 400."""

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        return self.secret_token is None or same_secret(self.secret_token, telegram_secret_token)

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            update = Update.model_validate(json_value(await request.read()), context={"bot": bot})
        except ValueError:  # pydantic's ValidationError is one
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        result: TelegramMethod[Any] | None = await self.dispatcher.feed_webhook_update(
            bot, update, **self.data
        )
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


def log_tasks() -> None:
    """What each task waits on, in the log: `kill -USR1 <pid>` on a bot that seems stuck."""
    for task in asyncio.all_tasks():
        logger.warning("%s awaits:\n%s", task.get_name(), "\n".join(awaiting(task.get_coro())))


def awaiting(coroutine: Any) -> list[str]:
    """Where a suspended coroutine is, each coroutine it awaits in turn (a task's own stack
    stops at its outermost frame). It stops at a Future, and at an `async for`'s generator."""
    lines = []
    while coroutine is not None:
        frame = getattr(coroutine, "cr_frame", None) or getattr(coroutine, "gi_frame", None)
        if frame is not None:
            lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        coroutine = getattr(coroutine, "cr_await", None) or getattr(coroutine, "gi_yieldfrom", None)
    return lines


async def serve(settings: Settings, *, web_only: bool = False) -> None:
    """The bot (polling or webhook, with the web when WEB_URL is set), or (`web_only`, for
    `fanbot web`) the web console, draw pages and Mini App alone."""
    services = Resources.create(settings)
    bot = create_bot(settings, services)
    dispatcher = create_dispatcher(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if hasattr(signal, "SIGUSR1"):  # not on Windows
        with suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGUSR1, log_tasks)
    try:
        if not await wait_for_api(bot, stop):
            return  # stopped before Telegram ever answered
        if web_only:
            async with serving_web(settings, services, bot, dispatcher):
                await stop.wait()
        elif settings.webhook_url:
            await serve_webhook(settings, services, bot, dispatcher, stop)
        else:
            async with (
                serving_shop_orders(settings, dispatcher),
                serving_web(settings, services, bot, dispatcher),
            ):
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


def add_shop_orders(settings: Settings, app: web.Application) -> None:
    if settings.shop_webhook_secret is not None:
        secret = settings.shop_webhook_secret.get_secret_value().strip()
        ShopOrders(secret, app[ORDER_INTAKE]).register(app)


@asynccontextmanager
async def serving_shop_orders(
    settings: Settings, dispatcher: FanbotDispatcher
) -> AsyncIterator[None]:
    """In polling mode, the HTTP server for /shop/orders alone (when its secret is set)."""
    if settings.shop_webhook_secret is None:
        yield
        return
    app = web.Application(client_max_size=MAX_POSTED_BYTES + 1024)
    dispatcher.share_with(app)
    add_shop_orders(settings, app)
    async with listening(app, settings.webhook_host, settings.webhook_port, "WEBHOOK_PORT"):
        logger.info("shop orders at %s:%s%s", settings.webhook_host, settings.webhook_port, PATH)
        yield


@asynccontextmanager
async def serving_web(
    settings: Settings, services: Resources, bot: Bot, dispatcher: FanbotDispatcher
) -> AsyncIterator[None]:
    """Outside webhook mode, the web on WEB_PORT of its own (when WEB_URL is set)."""
    if settings.web_url is None:
        yield
        return
    from web.app import add_web
    from web.site import MAX_REQUEST

    app = web.Application(client_max_size=MAX_REQUEST)
    dispatcher.share_with(app)
    add_web(app, services, bot)
    async with listening(app, settings.webhook_host, settings.web_port, "WEB_PORT"):
        logger.info("web console on %s:%s for %s", settings.webhook_host, settings.web_port,
                    settings.web_url)  # fmt: skip
        yield


@asynccontextmanager
async def listening(
    app: web.Application, host: str, port: int, setting: str
) -> AsyncIterator[None]:
    """`app` served on `host:port`; a port another program holds is a config error naming
    `setting`, the variable that chose it, not a traceback. The port is taken before the app
    starts up: a refused start runs none of its start-up (the webhook's starts the scheduler)."""
    try:
        sock = bound_socket(host, port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise ConfigError(
            f"config error: {setting}={port} is in use by another program on {host}; "
            f"set {setting} to a free port"
        ) from None
    runner = runner_for(app)
    try:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        yield
    finally:
        await runner.cleanup()
        sock.close()


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port`, as aiohttp's TCPSite would bind it."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _largest_body(settings: Settings) -> int:
    """The webhook's server takes updates, shop orders and (with WEB_URL) the console's forms,
    whose file of codes is the largest of them."""
    if settings.web_url is None:
        return 1 << 20  # aiohttp's own default
    from web.site import MAX_REQUEST

    return MAX_REQUEST


def add_webhook_routes(
    app: web.Application,
    settings: Settings,
    services: Resources,
    bot: Bot,
    dispatcher: FanbotDispatcher,
) -> None:
    """The webhook's server: Telegram's updates, shop orders, and the web when WEB_URL is set."""
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    # Answer Telegram only after the update was handled, so a crash means a redelivery.
    handler = WebhookHandler(dispatcher, bot, secret_token=secret, handle_in_background=False)
    handler.register(app, path=urlparse(settings.webhook_url).path or "/")
    dispatcher.share_with(app)
    add_shop_orders(settings, app)
    if settings.web_url is not None:
        from web.app import add_web

        add_web(app, services, bot)
    setup_application(app, dispatcher, bot=bot)


async def serve_webhook(
    settings: Settings,
    services: Resources,
    bot: Bot,
    dispatcher: FanbotDispatcher,
    stop: asyncio.Event,
) -> None:
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    app = web.Application(client_max_size=_largest_body(settings))
    add_webhook_routes(app, settings, services, bot, dispatcher)
    async with listening(app, settings.webhook_host, settings.webhook_port, "WEBHOOK_PORT"):
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
        logger.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
        await stop.wait()
