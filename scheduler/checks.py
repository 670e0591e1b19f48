"""What the bot looks for on its own, every BACKGROUND_CHECK_SECONDS: purchase points whose
return window closed, referrals whose friend stayed, newcomers who never answered their
question, groups whose night began or ended. Each check is a job of the scheduler, so it runs
in the one process that holds the scheduler's lock; a look finds nothing due most of the time,
at the cost of one small query.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot

from scheduler.core import Jobs
from workflows.night_mode import NightMode
from workflows.orders import OrderDesk
from workflows.referrals import ReferralPayouts
from workflows.verification import JoinVerification


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
        jobs.every("check:purchase-points", self.seconds, self.orders.confirm_due)
        jobs.every("check:referrals", self.seconds, self.referrals.settle_due, bot)
        jobs.every("check:unverified", self.seconds, self.verification.expire, bot)
        jobs.every("check:nights", self.seconds, self.night_mode.switch_due, bot)
