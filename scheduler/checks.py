"""What the bot looks for on its own, every BACKGROUND_CHECK_SECONDS: purchase points whose
return window closed, referrals whose friend stayed, newcomers who never answered their
question, groups whose night began or ended. The checks are one job of the scheduler, so they
run in the one process that holds the scheduler's lock, and one after another: on SQLite every
transaction takes the one connection, and four at once would queue updates behind all of them.
A look finds nothing due most of the time, at the cost of one small query.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiogram import Bot

from scheduler.core import Jobs
from workflows.night_mode import NightMode
from workflows.orders import OrderDesk
from workflows.referrals import ReferralPayouts
from workflows.verification import JoinVerification

logger = logging.getLogger(__name__)


class BackgroundChecks:
    def __init__(
        self,
        seconds: float,
        orders: OrderDesk,
        referrals: ReferralPayouts,
        verification: JoinVerification,
        night_mode: NightMode,
    ) -> None:
        self.seconds = seconds
        self.orders = orders
        self.referrals = referrals
        self.verification = verification
        self.night_mode = night_mode

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        jobs.every("background-checks", self.seconds, self.look, bot)

    async def look(self, bot: Bot) -> None:
        checks: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("pay the purchase points that are due", self.orders.confirm_due),
            ("pay the referrals that are due", lambda: self.referrals.settle_due(bot)),
            ("remove the unverified", lambda: self.verification.expire(bot)),
            ("open and close the groups for the night", lambda: self.night_mode.switch_due(bot)),
        ]
        for what, check in checks:
            try:
                await check()
            except Exception:  # one failing check does not keep the others from their turn
                logger.exception("could not %s", what)
