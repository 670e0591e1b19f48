"""Background work that repeats every few seconds for as long as the bot runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def every(seconds: float, work: Callable[[], Awaitable[object]], what: str) -> None:
    """Run `work` now and then every `seconds`; a failure is logged and the next run goes on."""
    while True:
        try:
            await work()
        except Exception:
            logger.exception("could not %s", what)
        await asyncio.sleep(seconds)
