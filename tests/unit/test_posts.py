"""Scheduled posts: reading `/post`, fire times in the chat's zone (DST too), and run claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.filters import CommandObject
from aiogram.types import Chat, Message, MessageEntity, PhotoSize, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.posts import content_of
from models import ScheduledPost
from services.clock import FrozenClock
from services.posts import (
    RUNS_PER_POST,
    PostContent,
    PostInputError,
    PostService,
    Schedule,
    calendar,
    parse_post,
)
from tests.unit.conftest import GROUP

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
SHANGHAI = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("args", "schedule"),
    [
        ("daily 9:30 Good morning!", "daily 09:30"),
        ("weekly thu,MON 20:00 Weekly deals", "weekly mon,thu 20:00"),
        ("at 2026-12-01 10:00 Shop anniversary", "at 2026-12-01 10:00"),
        ('cron "0 9 * * 1-5" Weekday post', "cron 0 9 * * 1-5"),
    ],
)
def test_schedules_are_read_and_stored_in_one_form(args: str, schedule: str) -> None:
    request = parse_post(args, NOW, SHANGHAI)
    assert request.schedule.text == schedule
    assert args.endswith(" " + request.text)
    assert request.text[0].isupper()


def test_options_come_after_the_schedule_and_the_text_keeps_its_spacing() -> None:
    args = (
        'daily 09:00 pin thread=12 buttons="Shop|https://shop.example; 客服|tg://resolve?domain=help"'
        " Hello\n  world"
    )
    request = parse_post(args, NOW, SHANGHAI)
    assert request.options.pin
    assert request.options.thread_id == 12
    assert request.options.buttons == (
        ("Shop", "https://shop.example"), ("客服", "tg://resolve?domain=help"),
    )  # fmt: skip
    assert request.text == "Hello\n  world"
    assert args[request.text_start :] == request.text
    assert parse_post("daily 09:00", NOW, SHANGHAI).text == ""  # the content is a reply


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("", "schedule"),
        ("hourly 09:00 hi", "schedule"),
        ("daily 25:00 hi", "time"),
        ("daily 9 hi", "time"),
        ("weekly mon,xyz 09:00 hi", "schedule"),
        ("at 2026-02-30 10:00 hi", "date"),
        ("at 2026-11-23 08:59 hi", "past"),  # a minute ago in Shanghai
        ("at 2028-01-01 10:00 hi", "date"),  # over a year ahead
        ('cron "* * * * * *" hi', "cron"),  # seconds: more than once a minute
        ('cron "0 9 * *" hi', "cron"),
        ('cron "0 0 31 2 *" hi', "never"),
        ('cron "0 99 * * *" hi', "cron"),
        ('daily 09:00 buttons="Shop|ftp://x.example" hi', "buttons"),
        ('daily 09:00 buttons="Shop" hi', "buttons"),
        ("daily 09:00 thread=abc hi", "thread"),
    ],
)
def test_bad_posts_name_what_is_wrong(args: str, reason: str) -> None:
    with pytest.raises(PostInputError) as error:
        parse_post(args, NOW, SHANGHAI)
    assert str(error.value) == reason


def test_a_daily_post_follows_the_chats_clock_across_a_dst_change() -> None:
    daily = Schedule("daily 09:00")
    new_york = "America/New_York"
    before = daily.next_after(datetime(2026, 10, 30, 14, 0, tzinfo=UTC), new_york)
    after = daily.next_after(datetime(2026, 10, 31, 14, 0, tzinfo=UTC), new_york)
    assert before == datetime(2026, 10, 31, 13, 0, tzinfo=UTC)  # 09:00 EDT (UTC-4)
    assert after == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)  # 09:00 EST (UTC-5), clocks back
    assert after - before == timedelta(hours=25)


def test_the_last_missed_run_is_found() -> None:
    daily = Schedule("daily 09:00")
    down = NOW - timedelta(days=3, minutes=30)
    assert daily.last_between(down, NOW + timedelta(minutes=5), SHANGHAI) == NOW
    assert daily.last_between(NOW, NOW + timedelta(minutes=5), SHANGHAI) is None
    once = Schedule("at 2026-11-23 09:00")
    assert once.last_between(down, NOW, SHANGHAI) == NOW
    assert once.next_after(NOW, SHANGHAI) is None


def test_content_needs_text_or_a_photo_within_telegrams_limits() -> None:
    for content in (
        PostContent(None),
        PostContent("x" * 4097),
        PostContent("x" * 1025, photo_file_id="f"),
    ):
        with pytest.raises(PostInputError):
            content.check()
    PostContent("x" * 1024, photo_file_id="f").check()


async def test_a_slot_is_claimed_once_by_concurrent_schedulers(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        post = await PostService(session, clock, SHANGHAI).create(
            GROUP, 1, parse_post("daily 09:00 Hello", NOW, SHANGHAI), PostContent("Hello")
        )

    async def claim() -> bool:
        async with session_pool() as session, session.begin():
            return await PostService(session, clock, SHANGHAI).claim(post.id, NOW)

    assert sorted(await asyncio.gather(*(claim() for _ in range(4)))) == [False, False, False, True]
    async with session_pool() as session:
        service = PostService(session, clock, SHANGHAI)
        ((scheduled, timezone, last),) = await service.scheduled()
        assert (scheduled.id, timezone, last) == (post.id, SHANGHAI, NOW)
        assert await service.get(GROUP + 1, post.id) is None  # not another chat's


async def test_paused_and_deleted_posts_are_not_scheduled(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        service = PostService(session, clock, SHANGHAI)
        ids = [
            (
                await service.create(
                    GROUP, 1, parse_post(f"daily 09:0{n} hi", NOW, SHANGHAI), PostContent("hi")
                )
            ).id
            for n in range(3)
        ]
        await service.set_state(GROUP, ids[0], "pause")
        await service.set_state(GROUP, ids[1], "del")
    async with session_pool() as session:
        service = PostService(session, clock, SHANGHAI)
        assert [post.id for post, _, _ in await service.scheduled()] == [ids[2]]
        assert [post.id for post in await service.of_chat(GROUP)] == [ids[0], ids[2]]
    async with session_pool() as session, session.begin():
        resumed = await PostService(session, clock, SHANGHAI).set_state(GROUP, ids[0], "resume")
        assert resumed is not None
        assert resumed.enabled


def test_inline_text_keeps_its_formatting_with_offsets_from_its_start() -> None:
    text = "/post daily 09:00 pin 🎉 Big sale today"
    sale = text.index("sale")
    utf16 = len(text[:sale].encode("utf-16-le")) // 2  # the emoji counts two units
    message = Message(
        message_id=1, date=NOW, chat=Chat(id=GROUP, type="supergroup"),
        from_user=User(id=1, is_bot=False, first_name="Ada"), text=text,
        entities=[
            MessageEntity(type="bot_command", offset=0, length=5),
            MessageEntity(type="bold", offset=utf16, length=4),
        ],
    )  # fmt: skip
    args = text.removeprefix("/post ")
    request = parse_post(args, NOW, SHANGHAI)
    content = content_of(message, request, CommandObject(prefix="/", command="post", args=args))
    assert content.text == "🎉 Big sale today"
    assert content.entities == [{"type": "bold", "offset": 7, "length": 4}]  # 🎉 is 2 units


def test_a_replied_photo_is_posted_with_its_caption_and_formatting() -> None:
    chat, user = Chat(id=GROUP, type="supergroup"), User(id=1, is_bot=False, first_name="Ada")
    photo = Message(
        message_id=1, date=NOW, chat=chat, from_user=user, caption="New in: linen shirts",
        caption_entities=[MessageEntity(type="italic", offset=8, length=12)],
        photo=[PhotoSize(file_id="small", file_unique_id="s", width=90, height=90),
               PhotoSize(file_id="large", file_unique_id="l", width=1280, height=1280)],
    )  # fmt: skip
    command = Message(
        message_id=2,
        date=NOW,
        chat=chat,
        from_user=user,
        text="/post daily 10:00",
        reply_to_message=photo,
    )
    request = parse_post("daily 10:00", NOW, SHANGHAI)
    content = content_of(
        command, request, CommandObject(prefix="/", command="post", args="daily 10:00")
    )
    assert (content.text, content.photo_file_id) == ("New in: linen shirts", "large")
    assert content.entities == [{"type": "italic", "offset": 8, "length": 12}]


def test_the_calendar_lists_the_coming_runs_in_order_and_leaves_paused_posts_out() -> None:
    def post(post_id: int, schedule: str, enabled: bool = True) -> ScheduledPost:
        return ScheduledPost(id=post_id, schedule=schedule, enabled=enabled)

    posts = [
        post(1, "daily 09:00"),  # 09:00 today has just fired (NOW is 09:00): tomorrow first
        post(2, "weekly mon,thu 20:00"),
        post(3, "daily 10:00", enabled=False),
        post(4, "cron * * * * *"),  # every minute: the calendar shows a bounded number
        post(5, "at 2026-11-24 08:30"),
    ]
    runs = calendar(posts, [("digest", "22:00")], NOW, SHANGHAI, days=7)
    assert runs == sorted(runs, key=lambda run: run.at)
    by_post = {n: [run.at for run in runs if run.post_id == n] for n in range(1, 6)}
    assert len(by_post[1]) == 7
    assert by_post[1][0] == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert len(by_post[2]) == 2  # Monday the 23rd at 20:00 and Thursday the 26th
    assert by_post[2][0] == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert by_post[3] == []
    assert len(by_post[4]) == RUNS_PER_POST
    assert by_post[5] == [datetime(2026, 11, 24, 0, 30, tzinfo=UTC)]
    digests = [run for run in runs if run.part == "digest"]
    assert len(digests) == 7
    assert digests[0].at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert all(NOW < run.at <= NOW + timedelta(days=7) for run in runs)
