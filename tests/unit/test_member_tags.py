"""Member tags: the tag text (no emoji, 16 characters at most), the tag each member should
carry, and the outbox path on a real database: queued with the tier move, paced a second apart,
set once however often it is queued or resent, cleared when tags are turned off, never over a
tag someone else chose, a missing right told once, and a member's tier shown on their return
whether or not Telegram kept their tag while they were away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.member_tags import SETTINGS_SECTION
from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import Member, MemberTag, OutboxMessage
from services.chats import ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.member_tags import TAG_LIMIT, carried_tag, tag_text
from services.members import member_joined, member_left
from services.outbox import OutboxService
from services.promotions import TierPromotions
from services.rights_messages import RightsNotice
from services.tiers import DEFAULT_TIERS, Tier
from tests.support.telegram import RecordingSession, recording_bot
from tests.support.untranslated import untranslated
from tests.unit.conftest import GROUP
from views.member_tags import tags_line, tags_switched
from views.rights import TAGS, missing_right
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_tag_keeps_a_label_without_its_emoji() -> None:
    assert tag_text("💎 Diamond") == "Diamond"
    assert tag_text("钻石💎") == "钻石"
    assert tag_text("金牌👑会员") == "金牌会员"
    assert tag_text("VIP ⭐️ Club") == "VIP Club"  # with its variation selector
    assert tag_text("👨‍👩‍👧 Family 1️⃣") == "Family 1"  # a joined sequence, a keycap
    assert tag_text("🇨🇳 China fans") == "China fans"  # a flag
    assert tag_text("Gold ‼️") == "Gold"  # an emoji Unicode files as punctuation


def test_a_long_label_is_cut_to_16_at_a_word_or_else_with_an_ellipsis() -> None:
    assert tag_text("Platinum Supreme Member") == "Platinum Supreme"
    assert tag_text("超级无敌至尊钻石会员大礼包专享等级") == "超级无敌至尊钻石会员大礼包专享…"
    assert tag_text("Supercalifragilistic") == "Supercalifragil…"
    assert tag_text("A Supercalifragilistic") == "A Supercalifrag…"  # one short word: cut
    for label in ("Platinum Supreme Member", "超级无敌至尊钻石会员大礼包专享等级", "𠀀" * 12):
        assert len(tag_text(label).encode("utf-16-le")) // 2 <= TAG_LIMIT  # as Telegram counts


def test_the_tag_a_member_carries_is_their_tier_above_the_first() -> None:
    ladder = list(DEFAULT_TIERS)
    member, bronze = ladder[0], ladder[1]
    assert carried_tag(member, ladder, "zh") is None  # everyone holds it: no tag
    assert carried_tag(None, ladder, "zh") is None
    assert carried_tag(bronze, ladder, "zh") == "铜牌"
    assert carried_tag(bronze, ladder, "en") == "Bronze"
    crown = Tier("👑", 5000, "👑")
    assert carried_tag(crown, [*ladder, crown], "en") is None  # nothing left to show


def sender(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> OutboxSender:
    background = Background(pool, ServiceFactory(clock, "UTC"), create_i18n("en"))
    return OutboxSender(background, RightsNotices(background), {})


async def tags_on(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> None:
    async with pool() as session, session.begin():
        await ChatService(session, clock, "UTC").set_language(GROUP, "zh")
        await ServiceFactory(clock).member_tags(session).switch(GROUP, True, "zh")


async def grant(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, key: str = ""
) -> None:
    """150 points: Bronze. The same key again is the same update delivered again."""
    async with pool() as session, session.begin():
        await (
            ServiceFactory(clock)
            .points(session)
            .change(GROUP, user, 150, reason="admin", key=key or f"grant:{user}")
        )


async def tag_rows(pool: async_sessionmaker[AsyncSession]) -> list[tuple[int, datetime, str]]:
    async with pool() as session:
        found = await session.execute(
            select(OutboxMessage.payload, OutboxMessage.due_at, OutboxMessage.status)
            .where(OutboxMessage.kind == "member_tag")
            .order_by(OutboxMessage.id)
        )
        return [(payload["user_id"], due, status) for payload, due, status in found]


async def recorded(pool: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with pool() as session:
        found = await session.execute(select(MemberTag.user_id, MemberTag.tag))
        return dict(found.all())


def tag_calls(telegram: RecordingSession) -> list[tuple[int, str | None]]:
    return [
        (m.user_id, m.tag)  # type: ignore[attr-defined]
        for m in telegram.requests
        if m.__api_method__ == "setChatMemberTag"
    ]


async def test_a_promotion_queues_its_tag_with_it_and_the_tag_is_set_once(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await tags_on(session_pool, clock)
    await grant(session_pool, clock, 11)
    await grant(session_pool, clock, 11)  # redelivered: paid once, so nothing queued twice
    await grant(session_pool, clock, 12)
    # Written in the promotions' transactions, a second apart in the chat.
    assert await tag_rows(session_pool) == [
        (11, NOW, "pending"), (12, NOW + timedelta(seconds=1), "pending")
    ]  # fmt: skip
    bot, telegram = recording_bot()
    telegram.tags.update({(GROUP, 11): "", (GROUP, 12): ""})
    await sender(session_pool, clock).send_due(bot)
    assert tag_calls(telegram) == [(11, "铜牌")]  # the second is not due yet
    clock.set(NOW + timedelta(seconds=1))
    await sender(session_pool, clock).send_due(bot)
    assert tag_calls(telegram) == [(11, "铜牌"), (12, "铜牌")]
    assert await recorded(session_pool) == {11: "铜牌", 12: "铜牌"}


async def test_a_row_sent_again_after_a_crash_sets_nothing_twice(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await tags_on(session_pool, clock)
    await grant(session_pool, clock, 11)
    bot, telegram = recording_bot()
    telegram.tags[(GROUP, 11)] = ""
    await sender(session_pool, clock).send_due(bot)
    # The process died after Telegram set the tag, before the bot recorded it: the row is
    # claimed again at the restart, and finds the tag already there.
    async with session_pool() as session, session.begin():
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.kind == "member_tag").values(status="sending")
        )
        await session.execute(delete(MemberTag))
    async with session_pool() as session, session.begin():
        assert await OutboxService(session, clock).resume_interrupted() == 1
    await sender(session_pool, clock).send_due(bot)
    assert tag_calls(telegram) == [(11, "铜牌")]
    assert await recorded(session_pool) == {11: "铜牌"}


async def test_a_fall_clears_the_tag_and_turning_tags_off_clears_only_the_bots(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await tags_on(session_pool, clock)
    for user in (11, 12, 13):
        await grant(session_pool, clock, user)
    bot, telegram = recording_bot()
    telegram.tags.update({(GROUP, 11): "", (GROUP, 12): "", (GROUP, 13): "Tea lover"})
    clock.set(NOW + timedelta(seconds=5))
    await sender(session_pool, clock).send_due(bot)
    assert tag_calls(telegram) == [(11, "铜牌"), (12, "铜牌")]  # 13 chose their own: it stays
    assert telegram.tags[(GROUP, 13)] == "Tea lover"
    # A refund's clawback takes 12 below Bronze: the ledger settles the tier, the tag follows.
    async with session_pool() as session, session.begin():
        await session.execute(update(Member).where(Member.user_id == 12).values(lifetime_points=50))
        ledger = ServiceFactory(clock).points(session)
        await TierPromotions(ledger).settle(GROUP, [12], "UTC", "points")
    clock.set(NOW + timedelta(seconds=10))
    await sender(session_pool, clock).send_due(bot)
    assert tag_calls(telegram)[-1] == (12, "")
    # An admin renames 11's tag by hand; then tags go off: only what the bot set is cleared.
    telegram.tags[(GROUP, 11)] = "Moderator"
    await grant(session_pool, clock, 14)
    telegram.tags[(GROUP, 14)] = ""
    clock.set(NOW + timedelta(seconds=15))
    await sender(session_pool, clock).send_due(bot)
    async with session_pool() as session, session.begin():
        changing = await ServiceFactory(clock).member_tags(session).switch(GROUP, False, "zh")
    assert changing == 2  # 11 (which the bot still thinks its own) and 14
    clock.set(NOW + timedelta(seconds=30))
    await sender(session_pool, clock).send_due(bot)
    assert telegram.tags == {
        (GROUP, 11): "Moderator", (GROUP, 12): "", (GROUP, 13): "Tea lover", (GROUP, 14): ""
    }  # fmt: skip
    assert await recorded(session_pool) == {}


async def test_a_missing_right_is_told_once_and_the_tags_wait_for_it(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await tags_on(session_pool, clock)
    bot, telegram = recording_bot()
    telegram.refused.add("setChatMemberTag")
    for user in (11, 12, 13):
        telegram.tags[(GROUP, user)] = ""
        await grant(session_pool, clock, user)
    clock.set(NOW + timedelta(seconds=5))
    await sender(session_pool, clock).send_due(bot)
    async with session_pool() as session:
        notices = await session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == RightsNotice.kind)
        )
        assert list(notices) == [{"rights": ["can_manage_tags"]}]
    assert await recorded(session_pool) == {}
    # Granted: every tag it could not set is queued again (the bot's rights update does it).
    telegram.refused.clear()
    async with session_pool() as session, session.begin():
        assert await ServiceFactory(clock).member_tags(session).resync(GROUP, "zh") == 3
    clock.set(NOW + timedelta(seconds=30))
    await sender(session_pool, clock).send_due(bot)
    assert await recorded(session_pool) == {11: "铜牌", 12: "铜牌", 13: "铜牌"}


async def leaves_and_returns(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, points: int
) -> None:
    """The member leaves, earns `points` while away (an order paid late), and comes back."""
    async with pool() as session, session.begin():
        await member_left(session, GROUP, user, clock.now(), "UTC")
    clock.set(clock.now() + timedelta(seconds=10))
    if points:
        async with pool() as session, session.begin():
            await (
                ServiceFactory(clock)
                .points(session)
                .change(GROUP, user, points, reason="admin", key=f"away:{user}")
            )
    clock.set(clock.now() + timedelta(seconds=10))
    async with pool() as session, session.begin():
        await member_joined(session, GROUP, user, clock.now(), "UTC")
        await ServiceFactory(clock).member_tags(session).joined(GROUP, user)
    clock.set(clock.now() + timedelta(seconds=10))


@pytest.mark.parametrize("kept", [True, False], ids=["tag kept", "tag dropped"])
@pytest.mark.parametrize(
    ("earned_away", "tagged_on_return"),
    [(400, {True: [(11, "银牌")], False: [(11, "银牌")]}),
     (0, {True: [], False: [(11, "铜牌")]})],
    ids=["another tier", "the same tier"],
)  # fmt: skip
async def test_a_member_who_returns_carries_their_tier_whether_or_not_their_tag_outlived_leaving(
    session_pool, chat, kept: bool, earned_away: int, tagged_on_return: dict[bool, list]
) -> None:
    """Telegram does not say whether a tag outlives its member's leaving: the bot's last tag,
    found again on the return, is still the bot's to replace; none found is set again."""
    clock = FrozenClock(NOW)
    await tags_on(session_pool, clock)
    await grant(session_pool, clock, 11)
    bot, telegram = recording_bot()
    telegram.tags[(GROUP, 11)] = ""
    await sender(session_pool, clock).send_due(bot)
    assert tag_calls(telegram) == [(11, "铜牌")]
    if not kept:
        telegram.tags[(GROUP, 11)] = ""  # the server dropped it with the membership
    await leaves_and_returns(session_pool, clock, 11, earned_away)
    await sender(session_pool, clock).send_due(bot)
    assert tag_calls(telegram)[1:] == tagged_on_return[kept]
    wanted = tagged_on_return[kept][0][1] if tagged_on_return[kept] else "铜牌"
    assert telegram.tags[(GROUP, 11)] == wanted
    assert await recorded(session_pool) == {11: wanted}


async def test_a_member_away_when_tags_go_off_loses_the_bots_tag_on_return(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await tags_on(session_pool, clock)
    await grant(session_pool, clock, 11)
    bot, telegram = recording_bot()
    telegram.tags[(GROUP, 11)] = ""
    await sender(session_pool, clock).send_due(bot)
    async with session_pool() as session, session.begin():
        await member_left(session, GROUP, 11, clock.now(), "UTC")
        # Nothing to change while they are away: they are settled when they come back.
        assert await ServiceFactory(clock).member_tags(session).switch(GROUP, False, "zh") == 0
    async with session_pool() as session, session.begin():
        await member_joined(session, GROUP, 11, clock.now() + timedelta(seconds=5), "UTC")
        await ServiceFactory(clock).member_tags(session).joined(GROUP, 11)
    clock.set(NOW + timedelta(seconds=30))
    await sender(session_pool, clock).send_due(bot)  # the server kept "铜牌": the bot's, cleared
    assert tag_calls(telegram) == [(11, "铜牌"), (11, "")]
    assert await recorded(session_pool) == {}


def test_what_the_bot_says_of_tags_reads_as_chinese() -> None:
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale("zh"):
        said = [
            tags_switched(True, 2_000), tags_switched(False, 3), tags_line(True),
            missing_right(TAGS), str(SETTINGS_SECTION.title),
        ]  # fmt: skip
    assert said[0].splitlines()[1] == "将为 2,000 位成员设置标签，每秒一位。"
    assert said[1] == "✅ 标签不再显示等级。\n我设置的 3 个标签将被清除；别人设置的标签保持不变。"
    assert untranslated("\n".join(said)) == []
