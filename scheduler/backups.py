"""The daily backup, once BACKUP_DIR is set: due a day after the newest backup of ours in the
folder (at once when there is none, or the bot was down past it), so a restart neither skips
a day nor adds a copy. It runs where the scheduler's lock is held, like every job, in a thread
(the copy blocks); afterwards only our oldest files beyond BACKUP_KEEP are removed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path

from aiogram import Bot

from infrastructure import backups
from scheduler.core import Jobs
from services.clock import Clock

logger = logging.getLogger(__name__)
JOB = "backup:daily"
EVERY = timedelta(days=1)
LATE = timedelta(days=1)  # a backup that fires late is still worth taking


class BackupJobs:
    def __init__(self, database_url: str, folder: Path, keep: int, clock: Clock) -> None:
        self.database_url = database_url
        self.folder = folder
        self.keep = keep
        self.clock = clock
        self._running = False

    def due(self, now: datetime) -> datetime:
        taken = [backups.taken_at(path) for path in backups.ours(self.folder)]
        newest = max((when for when in taken if when is not None), default=None)
        return now if newest is None else max(now, newest + EVERY)

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        if self._running:  # planned again mid-copy: the copy under way is today's
            jobs.planned.add(JOB)
            return
        jobs.at(JOB, self.due(now), self.run, grace=LATE)

    async def run(self) -> None:
        await self.take()

    async def take(self) -> Path | None:
        """The backup and the retention; the file written, None when it failed (logged)."""
        if self._running:
            return None
        self._running = True
        try:
            target = self.folder / backups.backup_name(self.clock.now(), self.database_url)
            written = await asyncio.to_thread(backups.backup, self.database_url, target)
            removed = await asyncio.to_thread(backups.prune, self.folder, self.keep)
            logger.info(
                "backup written to %s (%s); %d old backup(s) removed",
                written, backups.size_text(written.stat().st_size), len(removed),
            )  # fmt: skip
            return written
        except Exception:
            logger.exception("the daily backup failed")
            return None
        finally:
            self._running = False
