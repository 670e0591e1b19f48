"""Raid mode: when joins come faster than a group allows (or an admin says so), newcomers are
made read-only for a while, welcomes and join questions go quiet, and the admins are told once;
it ends by itself once the joins calm down. The rules are the `raid` section of the chat's
settings; a raid and who joined during it are rows (`models/raid.py`), so a restart or a second
worker finds it. Nothing here talks to Telegram: `workflows/raids.py` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Raid, RaidJoin
from models.queries import upsert
from services.chat_settings import BadSetting, locked_chat, update_section
from services.clock import Clock, parse_duration

JOIN_WINDOW_SECONDS = 60  # the threshold counts joins in the last minute
HAND_RAID = timedelta(hours=1)  # `/raid on` without a length


@dataclass(frozen=True, slots=True)
class RaidRules:
    """`/settings raid`: more than `threshold` joins in a minute starts a raid (0: never by
    itself); raid joiners are read-only for `hold`; it ends after `calm` without a surge."""

    # 15: a fan group gains a few members a minute on its busiest day (a post shared in a big
    # channel); sixteen in one minute is what scripts do, and a false alarm costs only an hour
    # of read-only for those newcomers.
    threshold: int = 15
    hold: int = 3600  # seconds
    calm: int = 600  # seconds

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "threshold": (3, 1000),
        "hold": (300, 7 * 86_400),
        "calm": (60, 86_400),
    }

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> RaidRules:
        stored = settings.get("raid") or {}
        defaults = cls()
        return cls(**{name: int(stored.get(name, getattr(defaults, name))) for name in cls.LIMITS})


def parse_raid_rule(args: list[str]) -> dict[str, int]:
    """The stored values of `/settings raid <n>|off`, `raid hold <1h>`, `raid calm <10m>`;
    BadSetting(<what>) when they are not valid."""
    words = [word.lower() for word in args]
    match words:
        case ["off"]:
            return {"threshold": 0}
        case [count] if count.isascii() and count.isdigit():
            low, high = RaidRules.LIMITS["threshold"]
            if not low <= int(count) <= high:
                raise BadSetting("threshold")
            return {"threshold": int(count)}
        case [("hold" | "calm") as name, raw]:
            length = parse_duration(raw)
            low, high = RaidRules.LIMITS[name]
            if length is None or not low <= length.total_seconds() <= high:
                raise BadSetting(name)
            return {name: int(length.total_seconds())}
    raise BadSetting("usage")


async def set_raid_rules(session: AsyncSession, chat_id: int, values: dict[str, int]) -> None:
    await update_section(session, chat_id, "raid", values)


@dataclass(frozen=True, slots=True)
class RaidTally:
    """What a raid came to: who joined while it was on, and how many were made read-only."""

    joins: int
    restricted: int


class RaidService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def current(self, chat_id: int) -> Raid | None:
        """The group's raid going on now, if any."""
        found: Raid | None = await self.session.scalar(
            select(Raid).where(Raid.chat_id == chat_id, Raid.ended_at.is_(None)).limit(1)
        )
        return found

    async def start(
        self, chat_id: int, ends_at: datetime, started_by: int | None = None
    ) -> tuple[Raid, bool]:
        """A raid from now to `ends_at`: (the raid, True) when this started it; (the one going
        on, False) when another update or worker had, its end moved to `ends_at` if later.
        Under the chat's row lock, so two workers seeing the same surge start one raid."""
        await locked_chat(self.session, chat_id)
        going = await self.current(chat_id)
        if going is not None:
            await self.extend(going, ends_at)
            return going, False
        raid = Raid(
            chat_id=chat_id, started_at=self.clock.now(), started_by=started_by, ends_at=ends_at
        )
        self.session.add(raid)
        await self.session.flush()
        return raid, True

    async def extend(self, raid: Raid, ends_at: datetime) -> None:
        """Joins still surging: the raid lasts at least until `ends_at`."""
        await self.session.execute(
            update(Raid).where(Raid.id == raid.id, Raid.ends_at < ends_at).values(ends_at=ends_at)
        )

    async def joined(self, raid: Raid, user_id: int) -> None:
        """Someone joined during the raid; told twice, counted once."""
        row = {"raid_id": raid.id, "user_id": user_id, "joined_at": self.clock.now(),
               "restricted": False}  # fmt: skip
        await upsert(self.session, RaidJoin, row, keys=["raid_id", "user_id"])

    async def held(self, raid_id: int, user_ids: list[int]) -> None:
        """These raid joiners were made read-only."""
        await self.session.execute(
            update(RaidJoin)
            .where(RaidJoin.raid_id == raid_id, RaidJoin.user_id.in_(user_ids))
            .values(restricted=True)
        )

    async def due(self, limit: int = 50) -> list[Raid]:
        """Raids whose time is up (ended by `close`)."""
        found = await self.session.scalars(
            select(Raid)
            .where(Raid.ended_at.is_(None), Raid.ends_at <= self.clock.now())
            .order_by(Raid.ends_at)
            .limit(limit)
        )
        return list(found)

    async def close(self, raid_id: int, ended_by: int | None = None) -> Raid | None:
        """End the raid now, once: the raid, or None when it had ended (another worker, or
        `/raid off` meanwhile)."""
        closed = await self.session.execute(
            update(Raid)
            .where(Raid.id == raid_id, Raid.ended_at.is_(None))
            .values(ended_at=self.clock.now(), ended_by=ended_by)
            .returning(Raid.id)
        )
        if closed.first() is None:
            return None
        return await self.raid(raid_id)

    async def tally(self, raid_id: int) -> RaidTally:
        joins, restricted = (
            await self.session.execute(
                select(func.count(), func.count().filter(RaidJoin.restricted.is_(True))).where(
                    RaidJoin.raid_id == raid_id
                )
            )
        ).one()
        return RaidTally(int(joins), int(restricted))

    async def raid(self, raid_id: int) -> Raid | None:
        return await self.session.get(Raid, raid_id, populate_existing=True)
