"""What the bot looks for on its own, every BACKGROUND_CHECK_SECONDS: purchase points whose
return window closed, referrals whose friend stayed, newcomers who never answered their
question, groups whose night began or ended. The checks are one job of the scheduler, so they
run in the one process that holds the scheduler's lock, and one after another: on SQLite every
transaction takes the one connection, and four at once would queue updates behind all of them.
A look finds nothing due most of the time, at the cost of one small query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot

from scheduler.core import Jobs

logger = logging.getLogger(__name__)
SLOW = 2.0  # seconds: a check that takes longer is said in the log


@dataclass(frozen=True, slots=True)
class Check:
    """One thing to look for: `what` names it in the log when it fails."""

    what: str
    run: Callable[[Bot], Awaitable[object]]


class BackgroundChecks:
    """The checks a feature adds (one `Check` each, listed in `bot/app.py`), run in turn."""

    def __init__(self, seconds: float, checks: Sequence[Check]) -> None:
        self.seconds = seconds
        self.checks = tuple(checks)

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        jobs.every("background-checks", self.seconds, self.look, bot)

    async def look(self, bot: Bot) -> None:
        for check in self.checks:
            started = time.monotonic()
            try:
                await check.run(bot)
            except Exception:  # one failing check does not keep the others from their turn
                logger.exception("could not %s", check.what)
            took = time.monotonic() - started
            if took > SLOW:  # on SQLite, updates wait for the connection meanwhile
                logger.warning("took %.1f s to %s", took, check.what)
