"""Channels (渠道活码): a group's named invite links, one for each place the group is shown (a
parcel card, a Xiaohongshu note, a livestream), and which of them bring members who stay, sign
in and buy.

A member's channel is the first that brought them to the program, ever: a later join through
another link changes nothing. Members' own referral links (`services/referrals.py`) are one
channel more, "referrals", read from the referrals table: a member who came through a referral
link first is not counted again by a channel, and one a channel brought first is not counted
among the referrals. The figures count from the join on: sign-ins and orders made before it
are not the channel's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, case, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Channel, ChannelJoin, Chat, Checkin, InviteLink, Member, Order, Referral
from models.queries import insert_for
from services.clock import Clock
from services.programs import in_program

NAME_LENGTH = 32  # Telegram's limit for an invite link's name
STAYS = (7, 30)  # the days after which the figures ask who is still there


class BadChannelName(ValueError):
    """Why a name cannot be a channel's: `empty`, `long` or `taken`."""


def name_key(name: str) -> str:
    """How names compare: without regard to case (`包裹卡`, `XHS` and `xhs` are two)."""
    return name.casefold()


@dataclass(frozen=True, slots=True)
class Share:
    """Of `of` members, `kept` did it; no rate when there is nobody to ask about."""

    of: int
    kept: int

    @property
    def rate(self) -> float | None:
        return self.kept / self.of if self.of else None


@dataclass(frozen=True, slots=True)
class Joiner:
    """One member a channel brought, with what they did since."""

    joined_at: datetime
    left_at: datetime | None  # when they first left after it; None: still there
    signed_in: bool
    orders: int  # paid since the join, not wholly refunded
    gmv_fen: int


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    name: str | None  # None: the members' own referral links
    revoked: bool
    joins: int
    stayed: dict[int, Share]  # by days (STAYS): of those who joined that long ago, not left
    signed_in: int
    buyers: int
    gmv_fen: int


def tally(
    name: str | None, revoked: bool, joiners: Iterable[Joiner], now: datetime
) -> ChannelFigures:
    """A channel's figures from its members. Still there after N days: of those who joined
    at least N days ago, the share who had not left within N days of joining."""
    rows = list(joiners)
    stayed = {}
    for days in STAYS:
        span = timedelta(days=days)
        asked = [row for row in rows if row.joined_at <= now - span]
        kept = [row for row in asked if row.left_at is None or row.left_at >= row.joined_at + span]
        stayed[days] = Share(len(asked), len(kept))
    return ChannelFigures(
        name, revoked, len(rows), stayed, sum(row.signed_in for row in rows),
        sum(1 for row in rows if row.orders), sum(row.gmv_fen for row in rows),
    )  # fmt: skip


class ChannelService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def check_name(self, chat_id: int, name: str) -> None:
        """Raise `BadChannelName` unless `name` can be a new channel's in the group."""
        if not name:
            raise BadChannelName("empty")
        if len(name) > NAME_LENGTH:
            raise BadChannelName("long")
        if await self.named(chat_id, name) is not None:
            raise BadChannelName("taken")

    async def create(
        self,
        chat_id: int,
        program_id: int,
        name: str,
        link: str,
        *,
        creates_join_request: bool,
        by: int,
    ) -> Channel | None:
        """Keep the link Telegram made as the channel `name`; None when the name was taken
        meanwhile (two admins at once: the first keeps it)."""
        made = await self.session.scalar(
            insert_for(self.session, Channel)
            .values(
                chat_id=chat_id, program_id=program_id, name=name, name_key=name_key(name),
                link=link, creates_join_request=creates_join_request, created_by=by,
                created_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "name_key"])
            .returning(Channel.id)
        )  # fmt: skip
        return None if made is None else await self.session.get(Channel, made)

    async def named(self, chat_id: int, name: str) -> Channel | None:
        return await self.session.scalar(
            select(Channel).where(Channel.chat_id == chat_id, Channel.name_key == name_key(name))
        )

    async def of_group(self, chat_id: int) -> list[tuple[Channel, int]]:
        """The group's channels, revoked ones too, oldest first, with the members each brought."""
        joins = (
            select(ChannelJoin.channel_id, func.count().label("joins"))
            .group_by(ChannelJoin.channel_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(Channel, func.coalesce(joins.c.joins, 0))
            .outerjoin(joins, joins.c.channel_id == Channel.id)
            .where(Channel.chat_id == chat_id)
            .order_by(Channel.created_at, Channel.id)
        )
        return [(channel, int(count)) for channel, count in rows]

    async def joins(self, channel_id: int) -> int:
        """How many members the channel brought."""
        counted = await self.session.scalar(
            select(func.count()).where(ChannelJoin.channel_id == channel_id)
        )
        return int(counted or 0)

    async def revoke(self, channel: Channel) -> bool:
        """Mark the channel's link revoked (its members and figures stay); False if it was."""
        done = await self.session.scalar(
            update(Channel)
            .where(Channel.id == channel.id, Channel.revoked_at.is_(None))
            .values(revoked_at=self.clock.now())
            .returning(Channel.id)
        )
        return done is not None

    async def joined(
        self, chat_id: int, program_id: int, user_id: int, link: str, link_name: str | None
    ) -> Channel | None:
        """`user_id` joined the group through `link` (as a `chat_member` update names it):
        the channel, when it is one and the first to bring them to the program."""
        channel = await self.session.scalar(
            select(Channel).where(Channel.link == link, Channel.chat_id == chat_id)
        )
        if channel is None and link_name:
            # A link Telegram shows only in part still carries its name; a member's own
            # referral link is never a channel, whatever its name.
            referral_link = await self.session.scalar(
                select(InviteLink.link).where(InviteLink.link == link)
            )
            channel = None if referral_link is not None else await self.named(chat_id, link_name)
        if channel is None:
            return None
        referred = await self.session.scalar(
            select(
                exists().where(
                    Referral.invitee_id == user_id, Referral.chat_id.in_(program_groups(program_id))
                )
            )
        )
        if referred:
            return None  # a member's referral link brought them first
        recorded = await self.session.scalar(
            insert_for(self.session, ChannelJoin)
            .values(
                program_id=program_id, user_id=user_id, channel_id=channel.id, chat_id=chat_id,
                joined_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["program_id", "user_id"])
            .returning(ChannelJoin.channel_id)
        )  # fmt: skip
        return channel if recorded is not None else None

    async def left(self, chat_id: int, program_id: int, user_id: int) -> None:
        """The member left a group: if a channel brought them to it, note the first leave."""
        await self.session.execute(
            update(ChannelJoin)
            .where(ChannelJoin.program_id == program_id, ChannelJoin.user_id == user_id)
            .where(ChannelJoin.chat_id == chat_id, ChannelJoin.left_at.is_(None))
            .values(left_at=self.clock.now())
        )

    async def figures(self, chat_id: int, program_id: int) -> list[ChannelFigures]:
        """Each of the group's channels, oldest first, then its members' referral links."""
        now = self.clock.now()
        found: list[ChannelFigures] = []
        for channel, _count in await self.of_group(chat_id):
            query = self._joiners(
                program_id, ChannelJoin.user_id, ChannelJoin.joined_at, ChannelJoin.left_at
            ).where(ChannelJoin.channel_id == channel.id)
            found.append(tally(channel.name, channel.revoked_at is not None,
                               await self._read(query), now))  # fmt: skip
        found.append(tally(None, False, await self._read(self._referred(chat_id, program_id)), now))
        return found

    def _referred(self, chat_id: int, program_id: int) -> Select[Any]:
        """The group's referrals, less those a channel brought to the program first. Left: the
        referral's own record of a leave before it was confirmed, else the member's row."""
        left_at = case((Referral.status == "left", Referral.settled_at), else_=Member.left_at)
        by_channel = exists().where(
            ChannelJoin.program_id == program_id, ChannelJoin.user_id == Referral.invitee_id
        )
        member = (Member.chat_id == Referral.chat_id) & (Member.user_id == Referral.invitee_id)
        return (
            self._joiners(program_id, Referral.invitee_id, Referral.joined_at, left_at)
            .select_from(Referral)
            .outerjoin(Member, member)
            .where(Referral.chat_id == chat_id, ~by_channel)
        )

    @staticmethod
    def _joiners(
        program_id: int,
        user_id: SQLColumnExpression[int],
        joined_at: SQLColumnExpression[datetime],
        left_at: SQLColumnExpression[datetime | None],
    ) -> Select[Any]:
        """A row per member: joined, left, whether they signed in and what they bought since."""
        signed_in = exists().where(
            Checkin.chat_id == program_id, Checkin.user_id == user_id,
            Checkin.created_at >= joined_at,
        )  # fmt: skip
        paid = (
            (Order.chat_id == program_id) & (Order.user_id == user_id)
            & (Order.paid_at >= joined_at) & (Order.refunded_fen < Order.amount_fen)
        )  # fmt: skip
        orders = select(func.count()).where(paid).scalar_subquery()
        gmv = (
            select(func.coalesce(func.sum(Order.amount_fen - Order.refunded_fen), 0))
            .where(paid)
            .scalar_subquery()
        )
        return select(joined_at, left_at, signed_in, orders, gmv)

    async def _read(self, query: Select[Any]) -> list[Joiner]:
        rows = await self.session.execute(query)
        return [
            Joiner(joined, left, bool(signed), int(orders or 0), int(gmv or 0))
            for joined, left, signed, orders, gmv in rows
        ]


def program_groups(program_id: int) -> Select[int]:
    """The ids of the program's groups, as a subquery."""
    return select(Chat.id).where(in_program(program_id))
