"""The sandbox's HTTP server: `/bot{token}/{method}` for the bot, `/control/...` for tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from sandbox import crowds
from sandbox.botapi import API, BotApi
from sandbox.control import control_errors, routes
from sandbox.control_ephemeral import routes as ephemeral_routes
from sandbox.engagement import routes as engagement_routes
from sandbox.errors import BotApiError
from sandbox.games_control import routes as game_routes
from sandbox.payments_control import routes as payment_routes
from sandbox.tag_control import routes as tag_routes
from sandbox.topic_control import routes as topic_routes
from sandbox.world import WORLD, World

logger = logging.getLogger(__name__)
DEFAULT_TOKEN = "123456789:SANDBOX-token-for-local-tests-only-0"

WEBHOOK_CONNECTIONS = 40


async def read_params(request: web.Request) -> dict[str, Any]:
    """Telegram takes query strings, url-encoded and multipart forms, and JSON alike."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        data = await request.json()
        if isinstance(data, dict):
            params.update(data)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename:
                params[part.name] = {
                    "content": await part.read(),
                    "filename": part.filename,
                    "content_type": part.headers.get(aiohttp.hdrs.CONTENT_TYPE),
                }
            else:
                params[part.name] = await part.text()
    else:
        params.update(await request.post())
    return params


def reply(status: int, payload: dict[str, Any]) -> web.Response:
    return web.json_response(
        payload, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False)
    )


async def file_download(request: web.Request) -> web.Response:
    """A file's bytes, at the path getFile gave (as api.telegram.org/file/bot<token>/...)."""
    world: World = request.app[WORLD]
    stored = world.files.at_path(request.match_info["file_path"])
    if request.match_info["token"] != world.token or stored is None:
        raise web.HTTPNotFound()
    return web.Response(body=stored.content, content_type="application/octet-stream")


async def bot_api(request: web.Request) -> web.StreamResponse:
    world: World = request.app[WORLD]
    api: BotApi = request.app[API]
    name = request.match_info["method"]
    if request.match_info["token"] != world.token:
        return reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    try:
        params = await read_params(request)
        chat_id = str(params.get("chat_id", ""))
        fault = world.faults.take(name, int(chat_id) if chat_id.lstrip("-").isdigit() else None)
        if fault is not None:
            world.record("fault", method=name, fault=fault.kind)
            if fault.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
            if fault.kind == "hang":  # never answers; ends when the bot hangs up or dies
                await asyncio.Event().wait()
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            else:
                raise _fault_error(fault.kind, fault.retry_after)
        result = await api.call(name, params)
    except BotApiError as error:
        if error.code == 429:
            world.record("rate_limited", method=name, chat_id=params.get("chat_id"))
        return reply(error.code, error.payload())
    return reply(200, {"ok": True, "result": result})


def _fault_error(kind: str, retry_after: int) -> BotApiError:
    if kind == "429":
        return BotApiError(
            429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )
    if kind == "403":
        return BotApiError(403, "Forbidden: bot was kicked from the group chat")
    if kind.isdigit() and kind.startswith("5"):
        return BotApiError(int(kind), "Internal Server Error" if kind == "500" else "Bad Gateway")
    raise ValueError(f"unknown fault {kind!r}")


async def deliver_webhooks(app: web.Application) -> None:
    """Posts pending updates to the bot's webhook, with the secret header, until it says 200."""
    world: World = app[WORLD]
    api: BotApi = app[API]
    in_flight: set[int] = set()
    deliveries: set[asyncio.Task[None]] = set()
    slots = asyncio.Semaphore(WEBHOOK_CONNECTIONS)
    async with aiohttp.ClientSession() as http:

        async def deliver(update: dict[str, Any], webhook: dict[str, Any]) -> None:
            headers = {}
            if webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
            began = 0.0
            try:
                async with slots:
                    began = time.time()
                    async with http.post(webhook["url"], json=update, headers=headers) as response:
                        text = await response.text()
                        delivered = response.status == 200
            except aiohttp.ClientError:
                delivered, text = False, ""
            world.deliveries[update["update_id"]] += 1
            if delivered:
                world.pending = [u for u in world.pending if u is not update]
                # How long the bot took to answer: its handling latency, as Telegram sees it.
                world.record("confirmed", update_id=update["update_id"], took=time.time() - began)
                await _run_webhook_reply(api, text)
            else:
                await asyncio.sleep(0.5)
            in_flight.discard(update["update_id"])
            world.poke_updates()

        while True:
            signal = world.updates_signal
            webhook = world.webhook
            if webhook is None or all(u["update_id"] in in_flight for u in world.pending):
                await signal.wait()
                continue
            for update in list(world.pending):
                if update["update_id"] not in in_flight:
                    in_flight.add(update["update_id"])
                    task = asyncio.create_task(deliver(update, webhook))
                    deliveries.add(task)
                    task.add_done_callback(deliveries.discard)


async def _run_webhook_reply(api: BotApi, text: str) -> None:
    """A webhook may answer with a method call; Telegram runs it."""
    with contextlib.suppress(ValueError, BotApiError):
        payload = json.loads(text) if text else None
        if isinstance(payload, dict) and "method" in payload:
            await api.call(payload.pop("method"), payload)


def create_app(
    token: str = DEFAULT_TOKEN, bot_username: str = "fanbot_sandbox_bot", ephemeral: bool = True
) -> web.Application:
    """`ephemeral=False`: a Bot API server older than 10.2 (`sandbox/ephemeral.py`)."""
    world = World(token, int(token.split(":")[0]), bot_username)
    world.ephemeral.supported = ephemeral
    app = web.Application(middlewares=[control_errors], client_max_size=50 * 1024 * 1024)
    app[WORLD] = world
    app[API] = BotApi(world)
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", file_download)
    app.add_routes(routes)
    app.add_routes(ephemeral_routes)
    app.add_routes(tag_routes)
    app.add_routes(game_routes)
    app.add_routes(payment_routes)
    app.add_routes(topic_routes)
    app.add_routes(engagement_routes)
    app.add_routes(crowds.routes)

    async def webhook_delivery(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(deliver_webhooks(app))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(webhook_delivery)
    return app


async def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, token: str = DEFAULT_TOKEN, ephemeral: bool = True
) -> tuple[web.AppRunner, str]:
    """Start the sandbox in this event loop; returns the runner and its base URL."""
    # A client that hangs up (a stopped bot mid long-poll) cancels its handler, as Telegram does.
    runner = web.AppRunner(
        create_app(token, ephemeral=ephemeral),
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    return runner, f"http://{host}:{bound_port}"
