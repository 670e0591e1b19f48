"""Campaigns (店庆, 感恩节, 双十一): local days on which every points award is multiplied.

The points service applies the multiplier (`PointsService.boost`) and the ledger row names the
campaign. A campaign's greeting and its thanks are posted once each (`greeted_at`, `thanked_at`
are claimed by whoever posts them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Campaign, LedgerEntry
from services.campaign_messages import CampaignGreeting, CampaignThanks
from services.clock import Clock, start_of
from services.outbox import OutboxPayload, OutboxService

THANKS_LATE = timedelta(days=1)  # thanks missed while the bot was down go out this late

MULTIPLIER = re.compile(r"^[x×*](\d{1,2}(?:\.\d)?)$", re.IGNORECASE)
MAX_DAYS = 31
MAX_AHEAD = timedelta(days=366)
MAX_GREETING = 1000


class CampaignInputError(ValueError):
    """What is wrong: "format", "name", "date", "past", "order", "length", "multiplier", "long"."""


class CampaignOverlap(ValueError):
    def __init__(self, other: Campaign) -> None:
        super().__init__(other.name)
        self.other = other


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    first_day: date
    last_day: date
    multiplier_pct: int
    greeting: str | None
    coupon_reward_id: int | None = None  # a shop reward its greeting hands out, one a member
    everywhere: bool = False  # `groups=all`: the same campaign in every group of the program


COUPON = re.compile(r"(?<!\S)coupon=(\S*)")
EVERYWHERE = re.compile(r"(?<!\S)groups=all(?!\S)", re.IGNORECASE)


def parse_campaign(args: str, today: date) -> CampaignSpec:
    """`<name> <first day> <last day> x2 [greeting] [coupon=<reward id>]`, days as YYYY-MM-DD
    in the chat's zone; `coupon=` and `groups=all` may stand anywhere after the multiplier."""
    everywhere = EVERYWHERE.search(args)
    if everywhere is not None:
        args = args[: everywhere.start()] + args[everywhere.end() :]
    coupon = None
    found_coupon = COUPON.search(args)
    if found_coupon is not None:
        value = found_coupon[1]
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 10**12:
            raise CampaignInputError("coupon")
        coupon = int(value)
        args = args[: found_coupon.start()] + args[found_coupon.end() :]
    words = args.split(maxsplit=4)
    if len(words) < 4:
        raise CampaignInputError("format")
    name, first, last, multiplier = words[:4]
    if len(name) > 64:
        raise CampaignInputError("name")
    try:
        first_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise CampaignInputError("date") from None
    if first_day < today:
        raise CampaignInputError("past")
    if last_day < first_day:
        raise CampaignInputError("order")
    if (last_day - first_day).days >= MAX_DAYS or first_day > today + MAX_AHEAD:
        raise CampaignInputError("length")
    found = MULTIPLIER.match(multiplier)
    pct = round(float(found[1]) * 100) if found else 0
    if not 110 <= pct <= 1000:
        raise CampaignInputError("multiplier")
    greeting = words[4].strip() if len(words) > 4 else None
    if greeting and len(greeting) > MAX_GREETING:
        raise CampaignInputError("long")
    return CampaignSpec(
        name, first_day, last_day, pct, greeting or None, coupon, everywhere is not None
    )


def last_minute(campaign: Campaign, timezone: str) -> datetime:
    """The campaign's last local minute (23:59 of its last day), as members are told."""
    return (campaign.ends_at - timedelta(minutes=1)).astimezone(ZoneInfo(timezone))


def multiplier_text(pct: int) -> str:
    return f"×{pct // 100}" if pct % 100 == 0 else f"×{pct / 100:g}"


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    points: int  # earned during the campaign, multiplier included
    members: int  # who earned any


class CampaignService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def create(
        self, chat_id: int, user_id: int, spec: CampaignSpec, timezone: str
    ) -> Campaign:
        """A campaign over its local days; CampaignOverlap when another shares a day."""
        starts_at = start_of(spec.first_day, timezone)
        ends_at = start_of(spec.last_day + timedelta(days=1), timezone)
        other = await self.session.scalar(
            select(Campaign)
            .where(Campaign.chat_id == chat_id, Campaign.deleted.is_(False))
            .where(Campaign.starts_at < ends_at, Campaign.ends_at > starts_at)
            .limit(1)
        )
        if other is not None:
            raise CampaignOverlap(other)
        campaign = Campaign(
            chat_id=chat_id, created_by=user_id, name=spec.name, first_day=spec.first_day,
            last_day=spec.last_day, starts_at=starts_at, ends_at=ends_at,
            multiplier_pct=spec.multiplier_pct, greeting=spec.greeting,
            coupon_reward_id=spec.coupon_reward_id, deleted=False,
            created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(campaign)
        await self.session.flush()
        return campaign

    async def of_chat(self, chat_id: int) -> list[Campaign]:
        """Running and coming campaigns, and those ended in the last 30 days."""
        found = await self.session.scalars(
            select(Campaign)
            .where(Campaign.chat_id == chat_id, Campaign.deleted.is_(False))
            .where(Campaign.ends_at > self.clock.now() - timedelta(days=30))
            .order_by(Campaign.starts_at)
        )
        return list(found)

    async def running(self, chat_id: int) -> Campaign | None:
        now = self.clock.now()
        return await self.session.scalar(
            select(Campaign)
            .where(Campaign.chat_id == chat_id, Campaign.deleted.is_(False))
            .where(Campaign.starts_at <= now, Campaign.ends_at > now)
            .limit(1)
        )

    async def running_in(self, chat_ids: list[int]) -> dict[int, tuple[int, int]]:
        """(campaign id, multiplier in %) of the campaign running now in each of the chats that
        has one, in one query (a batch of earnings spans a few chats)."""
        now = self.clock.now()
        rows = await self.session.execute(
            select(Campaign.chat_id, Campaign.id, Campaign.multiplier_pct)
            .where(Campaign.chat_id.in_(chat_ids), Campaign.deleted.is_(False))
            .where(Campaign.starts_at <= now, Campaign.ends_at > now)
            .order_by(Campaign.id)
        )
        found: dict[int, tuple[int, int]] = {}
        for chat_id, campaign_id, pct in rows:
            found.setdefault(chat_id, (campaign_id, pct))
        return found

    async def get(self, chat_id: int, campaign_id: str) -> Campaign | None:
        """The chat's campaign numbered `campaign_id` (as /campaigns shows it), deleted or not."""
        if not campaign_id.isascii() or not campaign_id.isdigit() or len(campaign_id) > 12:
            return None
        campaign = await self.session.get(Campaign, int(campaign_id))
        return campaign if campaign is not None and campaign.chat_id == chat_id else None

    async def delete(self, chat_id: int, campaign_id: int) -> Campaign | None:
        """Marked deleted (its ledger rows keep naming it); None when there is no such one."""
        campaign = await self.session.get(Campaign, campaign_id)
        if campaign is None or campaign.chat_id != chat_id or campaign.deleted:
            return None
        campaign.deleted = True
        await self.session.flush()
        return campaign

    async def scheduled(self) -> list[Campaign]:
        """Campaigns whose greeting or thanks is still to be posted."""
        found = await self.session.scalars(
            select(Campaign)
            .where(Campaign.deleted.is_(False))
            .where(Campaign.greeted_at.is_(None) | Campaign.thanked_at.is_(None))
        )
        return list(found)

    async def claim(self, campaign_id: int, what: str) -> Campaign | None:
        """Take the greeting (`greeted_at`) or the thanks (`thanked_at`); None if taken."""
        column = Campaign.greeted_at if what == "greeting" else Campaign.thanked_at
        claimed = await self.session.scalar(
            update(Campaign)
            .where(Campaign.id == campaign_id, column.is_(None), Campaign.deleted.is_(False))
            .values({column: self.clock.now()})
            .returning(Campaign.id)
        )
        if claimed is None:
            return None
        return await self.session.get(Campaign, campaign_id, populate_existing=True)

    async def announce(self, campaign_id: int, what: str) -> bool:
        """Take the greeting or the thanks and put its message in the outbox, in one
        transaction (the caller's); False if it was taken before. A greeting is worth posting
        while the campaign runs, thanks for `THANKS_LATE` after its end."""
        campaign = await self.claim(campaign_id, what)
        if campaign is None:
            return False
        message: OutboxPayload = CampaignGreeting(campaign_id=campaign.id)
        if what == "thanks":
            figures = await self.figures(campaign)
            message = CampaignThanks(
                campaign_id=campaign.id, points=figures.points, members=figures.members
            )
        await OutboxService(self.session, self.clock).add(
            campaign.chat_id, message, f"campaign:{campaign.id}:{what}",
            expires_at=campaign.ends_at + (THANKS_LATE if what == "thanks" else timedelta(0)),
        )  # fmt: skip
        return True

    async def figures(self, campaign: Campaign) -> CampaignFigures:
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(LedgerEntry.delta), 0),
                    func.count(func.distinct(LedgerEntry.user_id)),
                ).where(LedgerEntry.campaign_id == campaign.id, LedgerEntry.delta > 0)
            )
        ).one()
        return CampaignFigures(int(row[0]), int(row[1]))
