"""Orders at a shop's scale: a 100,000-order export imported (against 10,000: time, and peak
memory that must not grow with the file beyond the file itself), imported again (0 changes),
and 1,000 signed orders posted over HTTP against bare aiohttp answering the same requests.

Half the buyers were bound to members before the import, so half the orders are credited (and
their purchase points written pending); a fifth of the orders are old enough to be paid at once.
Checks: the second import changes nothing, every HTTP order is recorded once, the audit is clean.

Run: `python -m bench.orders` (SQLite file) or `python -m bench.orders <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

import migrations
from bench.common import TOKEN, database_url
from bot.app import Resources
from bot.shop_api import ShopOrders
from infrastructure.background import Background
from infrastructure.config import load_settings
from infrastructure.i18n import create_i18n
from models import Order
from services.chats import ChatService
from services.factory import ServiceFactory
from services.order_rules import OrderRules
from services.points_audit import audit
from services.shop_signature import signature
from workflows.orders import OrderIntake

BUYERS, BOUND = 2_000, 1_000
SECRET = "bench-secret-0123456789"
POSTED, IN_FLIGHT = 1_000, 20
NOW = datetime.now(UTC)


def export(rows: int, prefix: str) -> bytes:
    """A Taobao seller-centre export (GBK, its column names, Excel-safe order ids)."""
    lines = ["订单编号,买家会员名,买家实际支付金额,订单状态,订单付款时间,优惠券"]
    for n in range(rows):
        paid = NOW - timedelta(days=10 if n % 5 == 0 else 1, seconds=n)
        status = "交易成功" if n % 50 else "交易关闭"
        lines.append(f'="{prefix}{n:09d}",buyer{n % BUYERS},{19 + n % 200}.90,{status},'
                     f"{paid.astimezone():%Y-%m-%d %H:%M:%S},")  # fmt: skip
    return ("\n".join(lines) + "\n").encode("gbk")


async def prepare(services: Resources, domain: ServiceFactory, group: int) -> None:
    async with services.session_pool() as session, session.begin():
        await ChatService(session, services.clock, "UTC").ensure(group, "supergroup", "Shop")
        bindings = domain.bindings(session)
        for n in range(BOUND):
            await bindings.bind(group, 10_000 + n, f"buyer{n}", by=1, rules=OrderRules(),
                                timezone="UTC", admin=True)  # fmt: skip


async def imported(desk: OrderIntake, group: int, data: bytes, traced: bool) -> tuple[float, int]:
    gc.collect()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    report = await desk.import_file(group, data)
    seconds = time.perf_counter() - started
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, peak if traced else report.tally.changes


async def post_all(url: str, bodies: list[bytes]) -> float:
    """Orders per second, IN_FLIGHT at a time, each signed now."""
    queue = list(reversed(bodies))
    async with aiohttp.ClientSession() as http:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                stamp = str(int(time.time()))
                headers = {"X-Fanbot-Timestamp": stamp, "Content-Type": "application/json",
                           "X-Fanbot-Signature": signature(SECRET, stamp, body)}  # fmt: skip
                async with http.post(url, data=body, headers=headers) as answer:
                    assert answer.status == 200, await answer.text()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return len(bodies) / (time.perf_counter() - started)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/shop/orders"


async def bare_answer(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"ok": True})


async def main(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token=TOKEN, database_url=url))
    domain = ServiceFactory(services.clock, "UTC", services.ladders)
    desk = OrderIntake(Background(services.session_pool, domain, create_i18n("en")))
    print(f"database: {url.split(':')[0]}")
    results = {}
    for rows, group in ((10_000, -1001), (100_000, -1002)):
        await prepare(services, domain, group)
        data = export(rows, f"{abs(group)}")
        seconds, changes = await imported(desk, group, data, traced=False)
        again_seconds, again = await imported(desk, group, data, traced=False)
        _seconds, peak = await imported(desk, group, data, traced=True)  # a third, measured
        results[rows] = peak
        print(f"import {rows:>7,} orders ({len(data) / 2**20:.1f} MB): {seconds:6.1f} s "
              f"({rows / seconds:,.0f}/s), {changes:,} changes; again {again_seconds:.1f} s, "
              f"{again} changes; peak traced memory {peak / 2**20:.1f} MB")  # fmt: skip
        if again != 0:
            sys.exit("the second import changed something")
    growth = results[100_000] / results[10_000]
    print(f"peak memory 100,000 / 10,000 orders: {growth:.1f}x (the file itself is 10x)")

    app = web.Application()
    ShopOrders(SECRET, desk).register(app)
    bare = web.Application()
    bare.router.add_post("/shop/orders", bare_answer)
    (fanbot_runner, fanbot_url), (bare_runner, bare_url) = await serve(app), await serve(bare)
    rates: dict[str, list[float]] = {"bare": [], "fanbot": []}
    for round_ in range(3):  # alternated: the machine's noise falls on both
        bodies = [
            json.dumps({"group": -1001, "order_id": f"H{round_}-{n}", "buyer": f"buyer{n % BUYERS}",
                        "amount": "99.00", "paid_at": NOW.isoformat()}).encode()
            for n in range(POSTED)
        ]  # fmt: skip
        rates["bare"].append(await post_all(bare_url, bodies))
        rates["fanbot"].append(await post_all(fanbot_url, bodies))
    await fanbot_runner.cleanup()
    await bare_runner.cleanup()
    async with services.session_pool() as session:
        posted = await session.scalar(
            select(func.count()).where(Order.chat_id == -1001, Order.source == "http")
        )
        problems = await audit(session)
    await services.close()
    best_bare, best_fanbot = max(rates["bare"]), max(rates["fanbot"])
    print(
        f"{POSTED:,} signed orders over HTTP, {IN_FLIGHT} in flight: bare aiohttp "
        f"{best_bare:,.0f}/s, fanbot {best_fanbot:,.0f}/s, ratio {best_fanbot / best_bare:.2f}"
    )
    print(f"orders recorded {posted:,} of {3 * POSTED:,}; audit problems {len(problems)}")
    if posted != 3 * POSTED or problems:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(database_url("orders")))
