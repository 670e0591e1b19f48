"""Channels (渠道活码): which link brought a member (the first, once per program), and what the
members each channel brought did: stayed, signed in, bought."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Channel, ChannelJoin, Chat, Checkin, Order, Referral
from services.channels import (
    BadChannelName,
    ChannelFigures,
    ChannelService,
    Joiner,
    Share,
    tally,
)
from services.chats import ChatService
from services.clock import Clock, FrozenClock
from tests.unit.conftest import GROUP

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ADMIN = 7
PARCEL, NOTE = "https://t.me/+parcel", "https://t.me/+note"
SISTER = -100_2  # a group in GROUP's program


async def make(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, name: str, link: str
) -> Channel:
    async with pool() as session, session.begin():
        made = await ChannelService(session, clock).create(
            GROUP, GROUP, name, link, creates_join_request=False, by=ADMIN
        )
        assert made is not None
        return made


async def join(
    pool: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    user: int,
    link: str,
    *,
    chat: int = GROUP,
    name: str | None = None,
) -> str | None:
    async with pool() as session, session.begin():
        channel = await ChannelService(session, clock).joined(chat, GROUP, user, link, name)
        return channel.name if channel is not None else None


async def figures(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> dict[str | None, ChannelFigures]:
    async with pool() as session:
        found = await ChannelService(session, clock).figures(GROUP, GROUP)
    return {each.name: each for each in found}


async def test_a_join_through_a_channels_link_is_that_channels(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await make(session_pool, clock, "包裹卡", PARCEL)
    assert await join(session_pool, clock, 1, PARCEL) == "包裹卡"
    assert await join(session_pool, clock, 2, "https://t.me/+someone-elses") is None
    # A link Telegram shows in part is known by its name
    assert await join(session_pool, clock, 3, "https://t.me/+par...", name="包裹卡") == "包裹卡"
    async with session_pool() as session:
        (listed,) = await ChannelService(session, clock).of_group(GROUP)
    assert (listed[0].name, listed[1]) == ("包裹卡", 2)


async def test_the_first_channel_wins_across_the_programs_groups(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ChatService(session, Clock(), "UTC").ensure(SISTER, "supergroup", "VIP")
        await session.execute(update(Chat).where(Chat.id == SISTER).values(program_id=GROUP))
        sister_note = Channel(
            chat_id=SISTER, program_id=GROUP, name="note", name_key="note", link=NOTE,
            created_by=ADMIN, created_at=NOW,
        )  # fmt: skip
        session.add(sister_note)
    await make(session_pool, clock, "包裹卡", PARCEL)
    assert await join(session_pool, clock, 1, PARCEL) == "包裹卡"
    clock.set(NOW + DAY)
    assert await join(session_pool, clock, 1, NOTE, chat=SISTER) is None  # came first by parcel
    assert await join(session_pool, clock, 1, PARCEL) is None  # and again: counted once
    async with session_pool() as session:
        (row,) = await session.scalars(select(ChannelJoin))
    assert (row.chat_id, row.joined_at) == (GROUP, NOW)


async def test_a_member_a_referral_brought_first_is_the_referrals(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await make(session_pool, clock, "包裹卡", PARCEL)
    async with session_pool() as session, session.begin():
        session.add(Referral(chat_id=GROUP, invitee_id=1, inviter_id=9, link="https://t.me/+a",
                             status="pending", joined_at=NOW - DAY))  # fmt: skip
    assert await join(session_pool, clock, 1, PARCEL) is None
    # ... and one a channel brought first is not counted among the referrals
    assert await join(session_pool, clock, 2, PARCEL) == "包裹卡"
    async with session_pool() as session, session.begin():
        session.add(Referral(chat_id=GROUP, invitee_id=2, inviter_id=9, link="https://t.me/+a",
                             status="pending", joined_at=NOW))  # fmt: skip
    counted = await figures(session_pool, clock)
    assert (counted["包裹卡"].joins, counted[None].joins) == (1, 1)


async def test_names_are_checked_and_unique_in_the_group_whatever_their_case(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await make(session_pool, clock, "XHS", PARCEL)
    async with session_pool() as session:
        service = ChannelService(session, clock)
        for name, reason in (("", "empty"), ("x" * 33, "long"), ("xhs", "taken")):
            with pytest.raises(BadChannelName, match=reason):
                await service.check_name(GROUP, name)
        await service.check_name(GROUP, "x" * 32)
        assert await service.create(GROUP, GROUP, "xHs", NOTE, creates_join_request=False,
                                    by=ADMIN) is None  # fmt: skip


async def test_a_revoked_channel_keeps_its_members_and_its_name(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    channel = await make(session_pool, clock, "live", PARCEL)
    await join(session_pool, clock, 1, PARCEL)
    async with session_pool() as session, session.begin():
        service = ChannelService(session, clock)
        assert await service.revoke(channel)
        assert not await service.revoke(channel)
    counted = await figures(session_pool, clock)
    assert (counted["live"].revoked, counted["live"].joins) == (True, 1)


async def test_each_channels_figures_count_from_the_join_on(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    """Parcel: Ann joined 40 days ago and stays, Bob 40 days ago and left on day 10, Cid 10
    days ago and left on day 2, Dee today. Note: Eve, 3 days ago."""
    clock = FrozenClock(NOW - 40 * DAY)
    await make(session_pool, clock, "parcel", PARCEL)
    await make(session_pool, clock, "note", NOTE)
    ann, bob, cid, dee, eve = 1, 2, 3, 4, 5
    for user in (ann, bob):
        await join(session_pool, clock, user, PARCEL)
    clock.set(NOW - 30 * DAY)
    async with session_pool() as session, session.begin():
        await ChannelService(session, clock).left(GROUP, GROUP, bob)
    clock.set(NOW - 10 * DAY)
    await join(session_pool, clock, cid, PARCEL)
    clock.set(NOW - 8 * DAY)
    async with session_pool() as session, session.begin():
        await ChannelService(session, clock).left(GROUP, GROUP, cid)
        await ChannelService(session, clock).left(GROUP, GROUP, cid)  # told twice: the first
    clock.set(NOW - 3 * DAY)
    await join(session_pool, clock, eve, NOTE)
    clock.set(NOW)
    await join(session_pool, clock, dee, PARCEL)

    def order(number: str, user: int, paid: datetime, fen: int, refunded: int = 0) -> Order:
        return Order(chat_id=GROUP, order_id=number, buyer="b", buyer_key="b", user_id=user,
                     amount_fen=fen, refunded_fen=refunded, paid_at=paid, source="admin",
                     created_at=paid, updated_at=paid)  # fmt: skip

    def checkin(user: int, at: datetime) -> Checkin:
        return Checkin(chat_id=GROUP, user_id=user, day=at.date(), rank=1, streak=1, reward=5,
                       created_at=at)  # fmt: skip

    async with session_pool() as session, session.begin():
        session.add_all([
            checkin(ann, NOW - 39 * DAY), checkin(bob, NOW - 41 * DAY),  # Bob's: before he joined
            checkin(eve, NOW - DAY),
            order("1", ann, NOW - 20 * DAY, 19_900), order("2", ann, NOW - 5 * DAY, 10_000, 2_500),
            order("3", bob, NOW - 45 * DAY, 50_000),  # before the join: not the channel's
            order("4", cid, NOW - 9 * DAY, 8_800, 8_800),  # wholly refunded: not bought
            order("5", eve, NOW - DAY, 5_000),
        ])  # fmt: skip

    counted = await figures(session_pool, clock)
    parcel, note = counted["parcel"], counted["note"]
    assert parcel == ChannelFigures(
        "parcel", False, joins=4, stayed={7: Share(3, 2), 30: Share(2, 1)}, signed_in=1,
        buyers=1, gmv_fen=19_900 + 7_500,
    )  # fmt: skip
    assert note == ChannelFigures("note", False, 1, {7: Share(0, 0), 30: Share(0, 0)}, 1, 1, 5_000)
    assert note.stayed[7].rate is None
    assert parcel.stayed[30].rate == 0.5
    assert counted[None].joins == 0  # no referrals
    assert list(counted) == ["parcel", "note", None]


def test_staying_is_asked_only_of_those_who_joined_long_enough_ago() -> None:
    joined = NOW - 7 * DAY
    rows = [
        Joiner(joined, None, False, 0, 0),
        Joiner(joined, joined + 7 * DAY, False, 0, 0),  # left on the day: still counted as kept
        Joiner(joined, joined + 7 * DAY - timedelta(seconds=1), False, 0, 0),
        Joiner(NOW - 7 * DAY + timedelta(seconds=1), None, True, 2, 300),
    ]
    figures = tally("x", False, rows, NOW)
    assert figures.stayed == {7: Share(3, 2), 30: Share(0, 0)}
    assert (figures.joins, figures.signed_in, figures.buyers, figures.gmv_fen) == (4, 1, 1, 300)


async def test_the_referral_channel_counts_a_leave_before_confirmation_as_leaving(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        session.add_all([
            Referral(chat_id=GROUP, invitee_id=1, inviter_id=9, link="https://t.me/+a",
                     status="left", joined_at=NOW - 10 * DAY, settled_at=NOW - 9 * DAY),
            Referral(chat_id=GROUP, invitee_id=2, inviter_id=9, link="https://t.me/+a",
                     status="confirmed", joined_at=NOW - 10 * DAY, settled_at=NOW - 8 * DAY),
        ])  # fmt: skip
    referred = (await figures(session_pool, clock))[None]
    assert (referred.joins, referred.stayed[7]) == (2, Share(2, 1))
