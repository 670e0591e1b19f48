"""Members moving in from another tool at scale: a 10,000-row member list (GBK, Chinese
headers, half the members known to the group by @username, half new by id) dry-run, imported
(500 members a transaction) and imported again (nothing added); time and peak traced memory
of each. Checks: the re-run adds nothing, the audit is clean.

Run: `python -m bench.imports` (SQLite file) or `python -m bench.imports <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import migrations
from bench.common import TOKEN, database_url
from bot.app import Resources
from infrastructure.background import Background
from infrastructure.config import load_settings
from infrastructure.i18n import create_i18n
from models import Member
from services.chats import ChatService
from services.factory import ServiceFactory
from services.member_import import ImportPlan
from services.points_audit import audit
from workflows.member_import import MemberImport

ROWS = 10_000


def member_list(rows: int) -> bytes:
    lines = ["用户ID,用户名,积分,累计积分,等级,加入时间,连续签到"]
    for n in range(rows):
        who = f",@fan{n}" if n % 2 else f"{100_000 + n},"
        lines.append(f"{who},{n % 900 + 1},{n % 900 + 1000},,2025-01-{n % 28 + 1:02d},{n % 30}")
    return ("\n".join(lines) + "\n").encode("gbk")


async def prepare(services: Resources, group: int) -> None:
    """A group that has seen the list's @usernames (every other row names one)."""
    now = datetime.now(UTC)
    async with services.session_pool() as session, session.begin():
        await ChatService(session, services.clock, "UTC").ensure(group, "supergroup", "Fans")
        session.add_all(
            Member(chat_id=group, user_id=200_000 + n, username=f"fan{n}", joined_at=now)
            for n in range(1, ROWS, 2)
        )


async def measured(
    run: Callable[[], Awaitable[ImportPlan]], traced: bool
) -> tuple[float, ImportPlan]:
    """Seconds (untraced: tracemalloc slows Python several times) or peak traced bytes."""
    gc.collect()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    plan = await run()
    figure = time.perf_counter() - started
    if traced:
        figure = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return figure, plan


async def main(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token=TOKEN, database_url=url))
    domain = ServiceFactory(services.clock, "UTC", services.ladders)
    importer = MemberImport(Background(services.session_pool, domain, create_i18n("en")))
    print(f"database: {url.split(':')[0]}")
    data = member_list(ROWS)
    written: dict[tuple[str, bool], int] = {}
    for group, traced in ((-1001, False), (-1002, True)):  # timed, then measured afresh
        await prepare(services, group)
        runs = (
            ("dry run", lambda group=group: importer.plan(group, data)),
            ("import", lambda group=group: importer.apply(group, "UTC", data)),
            ("again", lambda group=group: importer.apply(group, "UTC", data)),
        )
        for name, run in runs:
            figure, plan = await measured(run, traced)
            written[name, traced] = plan.applied
            said = f"peak traced memory {figure / 2**20:.1f} MB" if traced else f"{figure:.2f} s"
            print(f"{name:>8} {ROWS:,} rows ({len(data) / 2**20:.2f} MB): {said}; matched "
                  f"{plan.matched:,}, new {plan.new:,}, refused {len(plan.refused)}, "
                  f"written {plan.applied:,}")  # fmt: skip
    async with services.session_pool() as session:
        problems = await audit(session)
    await services.close()
    print(f"audit problems {len(problems)}")
    if written["again", False] or written["import", False] != ROWS or problems:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(database_url("imports")))
