"""Topic threads: what a topic command reads, which messages belong to a topic, what they earn
(once, within the cap, across workers), reactions, and the close with its bonuses."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import LedgerEntry, Member, Topic, TopicReaction
from scheduler.core import Jobs, Scheduler
from scheduler.topics import TopicJobs
from services.chats import ChatProfile, ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.messages import fingerprint, visible_length
from services.points import PointsService
from services.points_audit import audit
from services.topic_replies import OpenTopic, TopicMessage, TopicReplyService, open_topics
from services.topic_rules import set_daily_topic
from services.topic_specs import COLORS, TopicInputError, TopicSpec, parse_topic
from services.topics import MAX_QUEUE, TopicService
from tests.support.telegram import forum_topics, recording_bot
from tests.unit.conftest import GROUP
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices
from workflows.topics import TopicRightsMissing

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ANCHOR = 500
ALICE, BOB, CAROL = 1, 2, 3
_ids = iter(range(1000, 1_000_000))


def service(session: AsyncSession, clock: FrozenClock) -> TopicService:
    return TopicService(session, clock, PointsService(session, clock))


def replies(session: AsyncSession, clock: FrozenClock) -> TopicReplyService:
    return TopicReplyService(session, clock, PointsService(session, clock))


# -- the command -------------------------------------------------------------------------


def test_a_topic_command_reads_its_title_and_options_anywhere() -> None:
    assert parse_topic("今天穿什么 👗") == TopicSpec("今天穿什么 👗")
    spec = parse_topic("hours=48 Show your outfit reward=5 cap=3 kind=show color=rose bonus=50,20")
    assert spec == TopicSpec(
        "Show your outfit", hours=48, reward=5, cap=3, kind="show",
        icon_color=COLORS["rose"], bonuses=(50, 20),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("", "title"),
        ("hours=5", "title"),
        ("x" * 129, "long"),
        ("Hi hours=0", "hours"),
        ("Hi hours=169", "hours"),
        ("Hi hours=2d", "hours"),
        ("Hi reward=1001", "reward"),
        ("Hi cap=0", "cap"),
        ("Hi kind=poll", "kind"),
        ("Hi color=pink", "color"),
        ("Hi bonus=1,2,3,4", "bonus"),
        ("Hi bonus=ten", "bonus"),
    ],
)
def test_a_bad_topic_command_names_what_is_wrong(args: str, reason: str) -> None:
    with pytest.raises(TopicInputError) as error:
        parse_topic(args)
    assert str(error.value) == reason


# -- replies -----------------------------------------------------------------------------


async def opened(
    pool: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    spec: TopicSpec | None = None,
    thread_id: int | None = None,
    source: int | None = None,
) -> OpenTopic:
    async with pool() as session, session.begin():
        topic = await service(session, clock).create(
            GROUP, ALICE, spec or TopicSpec("Outfits", reward=2, cap=3), thread_id=thread_id,
            anchor_message_id=ANCHOR, source_message_id=source,
        )  # fmt: skip
        assert topic is not None
        (found,) = [t for t in await open_topics(session, GROUP) if t.id == topic.id]
        return found


def message(
    user: int,
    text: str = "I love the blue one",
    parent: int | None = ANCHOR,
    parent_user: int | None = None,
    photo: str | None = None,
    thread_id: int | None = None,
    message_id: int | None = None,
    at: datetime = NOW,
) -> TopicMessage:
    return TopicMessage(
        chat_id=GROUP, message_id=message_id or next(_ids), user_id=user, sent_at=at,
        thread_id=thread_id, parent_message_id=parent, parent_user_id=parent_user,
        photo_file_id=photo, fingerprint=fingerprint(text, photo), visible=visible_length(text),
        timezone="Asia/Shanghai",
    )  # fmt: skip


async def reply(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, topic: OpenTopic, m: TopicMessage
) -> int | None:
    """The points the message earned, or None when it is not the topic's or was recorded."""
    async with pool() as session, session.begin():
        topics = replies(session, clock)
        belongs = await topics.topic_of(m, [topic])
        if belongs is None:
            return None
        outcome = await topics.record(m, belongs)
        return None if outcome is None else outcome.points


async def balance(pool: async_sessionmaker[AsyncSession], user: int) -> int:
    async with pool() as session:
        points = await session.scalar(
            select(Member.points).where(Member.chat_id == GROUP, Member.user_id == user)
        )
        return points or 0


async def test_replies_to_the_anchor_and_to_its_replies_earn_within_the_cap(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    topic = await opened(session_pool, clock)
    first = message(BOB)
    assert await reply(session_pool, clock, topic, first) == 2
    assert await reply(session_pool, clock, topic, first) is None  # delivered again
    answer = message(CAROL, "Blue suits you!", parent=first.message_id, parent_user=BOB)
    assert await reply(session_pool, clock, topic, answer) == 2  # a reply to a reply
    elsewhere = message(CAROL, "Unrelated chatter", parent=12)
    assert await reply(session_pool, clock, topic, elsewhere) is None
    assert await reply(session_pool, clock, topic, message(CAROL, parent=None)) is None
    assert await reply(session_pool, clock, topic, message(BOB, "ok 👍")) == 0  # too short
    assert await reply(session_pool, clock, topic, message(BOB, "", photo="p1")) == 2
    assert await reply(session_pool, clock, topic, message(BOB, "I love the blue one")) == 0
    assert await reply(session_pool, clock, topic, message(BOB, "Red is nice too")) == 2
    assert await reply(session_pool, clock, topic, message(BOB, "And green, maybe")) == 0  # cap
    assert await balance(session_pool, BOB) == 6
    assert await balance(session_pool, CAROL) == 2
    late = message(CAROL, "Sorry I'm late!", at=NOW + timedelta(hours=25))
    assert await reply(session_pool, clock, topic, late) is None  # after its end
    async with session_pool() as session:
        rows = await session.execute(
            select(LedgerEntry.user_id, LedgerEntry.idempotency_key).where(
                LedgerEntry.reason == "topic"
            )
        )
        paid = sorted((user, key.rsplit(":", 1)[0]) for user, key in rows)
        assert paid == [(BOB, f"topic:{topic.id}")] * 3 + [(CAROL, f"topic:{topic.id}")]
        assert await audit(session) == []


async def test_a_forum_topic_takes_every_message_in_its_thread(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    topic = await opened(session_pool, clock, thread_id=77)
    # Telegram sets reply_to_message to the topic's creation message (the bot's).
    inside = message(BOB, parent=77, thread_id=77)
    assert await reply(session_pool, clock, topic, inside) == 2
    assert await reply(session_pool, clock, topic, message(BOB, thread_id=78, parent=78)) is None
    assert await reply(session_pool, clock, topic, message(BOB, parent=None)) is None


async def test_a_show_off_topic_pays_photos_only_and_ranks_them_by_reactions_and_replies(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    topic = await opened(session_pool, clock, TopicSpec("晒单", kind="show", reward=3))
    assert await reply(session_pool, clock, topic, message(BOB, "Look at my new bag!")) == 0
    photos = [message(user, "", photo=f"photo-{user}") for user in (ALICE, BOB, CAROL)]
    for photo in photos:
        assert await reply(session_pool, clock, topic, photo) == 3
    answer = message(ALICE, "So pretty!", parent=photos[2].message_id, parent_user=CAROL)
    assert await reply(session_pool, clock, topic, answer) == 0
    async with session_pool() as session, session.begin():
        topics = replies(session, clock)
        for user in (ALICE, CAROL, BOB, BOB):  # BOB's second is a redelivery
            await topics.react(GROUP, photos[1].message_id, user, True)
        await topics.react(GROUP, photos[1].message_id, CAROL, False)  # taken back
        await topics.react(GROUP, 12, ALICE, True)  # not a topic reply: not kept
    async with session_pool() as session:
        kept = await session.scalar(select(func.count()).select_from(TopicReaction))
        assert kept == 2
    async with session_pool() as session, session.begin():
        closed = await service(session, clock).close(topic.id, "Asia/Shanghai")
    assert closed is not None
    assert [(p.file_id, p.reactions, p.replies) for p in closed.photos] == [
        ("photo-2", 2, 0),
        ("photo-3", 0, 1),
    ]  # ALICE's photo had neither


async def test_the_cap_holds_for_replies_handled_side_by_side(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    topic = await opened(session_pool, clock, TopicSpec("Busy", reward=5, cap=4))
    burst = [message(BOB, f"reply number {n}") for n in range(20)]
    paid = await asyncio.gather(*(reply(session_pool, clock, topic, m) for m in burst))
    again = await asyncio.gather(*(reply(session_pool, clock, topic, m) for m in burst))
    assert sorted(p or 0 for p in paid) == [0] * 16 + [5] * 4
    assert again == [None] * 20
    assert await balance(session_pool, BOB) == 20


async def test_closing_pays_the_top_three_once_and_tells_the_figures(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    topic = await opened(session_pool, clock, TopicSpec("Colours", reward=1, cap=10))
    bob = message(BOB, "Make a purple one")
    await reply(session_pool, clock, topic, bob)
    for user in (ALICE, CAROL, 4):  # three answers to BOB: received 3
        await reply(session_pool, clock, topic, message(user, "Yes purple!", bob.message_id, BOB))
    for text in ("and teal", "and gold too"):
        await reply(session_pool, clock, topic, message(CAROL, text))
    async with session_pool() as session, session.begin():
        closed = await service(session, clock).close(topic.id, "Asia/Shanghai")
    assert closed is not None
    assert (closed.replies, closed.participants) == (6, 4)
    assert [(c.user_id, c.replies, c.received, c.bonus) for c in closed.top] == [
        (BOB, 1, 3, 20),  # 4 in all, most received
        (CAROL, 3, 0, 10),
        (ALICE, 1, 0, 5),  # first of the two with 1
    ]
    async with session_pool() as session, session.begin():
        assert await service(session, clock).close(topic.id, "Asia/Shanghai") is None
    assert await balance(session_pool, BOB) == 1 + 20
    assert await reply(session_pool, clock, topic, message(4, "After the close")) is None
    async with session_pool() as session:
        assert await open_topics(session, GROUP) == ()
        assert await audit(session) == []


async def test_the_queue_opens_in_order_and_once(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        topics = service(session, clock)
        for title in ("First", "Second", "Third"):
            await topics.enqueue(GROUP, ALICE, parse_topic(f"{title} hours=2"))
        dropped = await topics.drop_queued(GROUP, 2)
        assert dropped is not None
        assert dropped.title == "Second"
        assert await topics.drop_queued(GROUP, 3) is None
        first = await topics.next_queued(GROUP)
        assert first is not None
        assert first.title == "First"
        opened_now = await topics.open_queued(first.id, thread_id=None, anchor_message_id=9)
        assert opened_now is not None
        assert opened_now.closes_at == NOW + timedelta(hours=2)
        assert await topics.open_queued(first.id, thread_id=None, anchor_message_id=10) is None
        assert [t.title for t in await topics.queued(GROUP)] == ["Third"]
        for n in range(MAX_QUEUE - 1):
            await topics.enqueue(GROUP, ALICE, TopicSpec(f"T{n}"))
        with pytest.raises(TopicInputError, match="full"):
            await topics.enqueue(GROUP, ALICE, TopicSpec("One too many"))


async def test_a_redelivered_command_opens_nothing_more(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await opened(session_pool, clock, source=42)
    async with session_pool() as session, session.begin():
        topics = service(session, clock)
        assert await topics.by_command(GROUP, 42) is not None
        spec = TopicSpec("Again")
        again = await topics.create(
            GROUP, ALICE, spec, thread_id=None, anchor_message_id=1, source_message_id=42
        )
        assert again is None
        assert len(await topics.of_chat(GROUP)) == 1


# -- in Telegram: the host, the close job and the daily topic ------------------------------


def background(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Background:
    return Background(pool, ServiceFactory(clock, "Asia/Shanghai"), create_i18n("en"))


async def profile_of(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> ChatProfile:
    async with pool() as session:
        profile = await ChatService(session, clock, "Asia/Shanghai").profile(GROUP)
    assert profile is not None
    return profile


async def test_a_forum_topic_is_created_posted_closed_and_summed_up(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    host = forum_topics(background(session_pool, clock))
    bot, telegram = recording_bot()
    profile = await profile_of(session_pool, clock)
    spec = parse_topic("Colours color=green hours=1")
    topic = await host.open(bot, profile, spec, forum=True, created_by=ALICE, source_message_id=7)
    assert topic is not None
    assert topic.thread_id is not None
    create, opening = telegram.requests[-2:]
    assert create.__api_method__ == "createForumTopic"
    assert (create.name, create.icon_color) == ("Colours", COLORS["green"])  # type: ignore[attr-defined]
    assert opening.message_thread_id == topic.thread_id  # type: ignore[attr-defined]
    assert opening.text.splitlines() == [  # type: ignore[attr-defined]
        "💬 Topic: <b>Colours</b>",
        "Post here to join.",
        "+2 points a reply of 5+ characters or a photo, for up to 10 each.",
        "Closes 11-23 21:00. The top 3 get +20 / +10 / +5.",
    ]
    profile = await profile_of(session_pool, clock)
    assert [t.id for t in profile.open_topics] == [topic.id]
    found = profile.open_topics[0]
    await reply(session_pool, clock, found, message(BOB, thread_id=topic.thread_id, parent=None))

    scheduler = Scheduler(clock, [TopicJobs(background(session_pool, clock), host)])
    scheduler.bot = bot
    scheduler.scheduler.start(paused=True)
    await scheduler.rebuild()
    assert [job.id for job in scheduler.scheduler.get_jobs()] == [f"topic:{topic.id}:close"]
    clock.set(NOW + timedelta(hours=1, minutes=5))  # the bot was down at its end
    await scheduler.rebuild()  # closes what is overdue at once
    await scheduler.stop()
    # The summary was written to the outbox with the close; the outbox sender posts it.
    work = background(session_pool, clock)
    sender = OutboxSender(work, RightsNotices(work), gather={})
    assert await sender.send_due(bot) == 1
    summary, close = telegram.requests[-2:]
    assert summary.message_thread_id == topic.thread_id  # type: ignore[attr-defined]
    assert summary.text.splitlines() == [  # type: ignore[attr-defined]
        "🏁 <b>Colours</b> is closed. Thank you all!",
        "💬 Replies: 1 · 👥 Members taking part: 1",
        f"🥇 {BOB}: 1 reply, 0 received · +20",
    ]
    assert close.__api_method__ == "closeForumTopic"
    assert await balance(session_pool, BOB) == 22


async def test_a_forum_that_refuses_topics_gets_a_clear_refusal_and_nothing_is_written(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    work = background(session_pool, clock)
    host = forum_topics(work)
    bot, telegram = recording_bot()
    telegram.refused.add("createForumTopic")
    telegram.bot_rights = {"can_manage_topics": False}
    profile = await profile_of(session_pool, clock)
    for _ in range(2):
        with pytest.raises(TopicRightsMissing):
            await host.open(bot, profile, TopicSpec("Hi"), forum=True, created_by=ALICE)
    sender = OutboxSender(work, RightsNotices(work), gather={})
    assert await sender.send_due(bot) == 1  # the admins are told once, through the outbox
    assert "Manage topics" in telegram.sent_texts()[-1]
    async with session_pool() as session:
        assert await session.scalar(select(func.count()).select_from(Topic)) == 0


async def test_the_morning_post_opens_the_next_queued_topic(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    host = forum_topics(background(session_pool, clock))
    bot, telegram = recording_bot()
    async with session_pool() as session, session.begin():
        await set_daily_topic(session, GROUP, True)
        await service(session, clock).enqueue(GROUP, ALICE, parse_topic("晒单 kind=show"))
    profile = await profile_of(session_pool, clock)
    assert profile.topic_rules.daily
    topic = await host.open_next(bot, profile)
    assert topic is not None
    assert topic.status == "open"
    assert topic.thread_id is None
    anchor = telegram.requests[-1]
    assert anchor.text.startswith("📸 Show-off: <b>晒单</b>\nReply to this with a photo")  # type: ignore[attr-defined]
    assert await host.open_next(bot, replace(profile)) is None  # the queue is empty


async def test_jobs_plan_nothing_without_open_topics(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    jobs = TopicJobs(background(session_pool, clock), forum_topics(background(session_pool, clock)))
    bot, _telegram = recording_bot()
    scheduler = Scheduler(clock, [jobs])
    planned = Jobs(scheduler.scheduler)
    await jobs.plan(bot, planned, NOW)
    assert planned.planned == set()
