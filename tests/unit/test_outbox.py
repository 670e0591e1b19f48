"""The outbox on a real database: an intent written once with its change, gathered and sent
once, again after a sender died, never after its grace; tier-ups and referral thanks on it; each
kind's rows read as they were stored, and a row that does not read failed, not sent."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import OutboxMessage
from services.chats import ChatService
from services.clock import FrozenClock
from services.digest import DigestService
from services.draw_messages import DrawPost
from services.factory import ServiceFactory
from services.outbox import Deletion, OutboxPayload, OutboxRow, OutboxService
from services.points import PointsService
from services.quest_messages import QuestDone
from services.referral_messages import ReferralThanks
from services.referrals import ReferralService
from services.tier_messages import TierUp
from services.tiers import Tier
from services.welcome_messages import Welcome
from tests.support.telegram import recording_bot
from tests.unit.conftest import GROUP
from views.cadence import render_digest
from workflows import tier_messages
from workflows.delivery import Renderers
from workflows.outbox import GRACE, RENDERERS, OutboxSender
from workflows.rights import RightsNotices

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GATHER = 60
GATHERED = (TierUp.kind, ReferralThanks.kind, Welcome.kind, QuestDone.kind)
PROMOTION = TierUp(user_id=11, name="Alice", tier=Tier("bronze", 100))

# Each kind's payload as its writer stores it today (and as rows already in a database hold
# it): a new kind adds its own here.
STORED: list[tuple[str, dict[str, Any]]] = [
    ("tier_up", {"user_id": 11, "name": "Alice",
                 "tier": {"key": "bronze", "threshold": 100, "name": None, "perks": None}}),
    ("tier_up", {"user_id": 11, "name": "Alice",
                 "tier": {"key": "vip", "threshold": 500, "name": "VIP", "perks": "discount=5%"}}),
    ("referral_thanks", {"inviter_id": 1, "invitee_id": 2, "points": 20}),
    ("referral_thanks", {"inviter_id": 1, "invitee_id": 2, "points": None}),
    ("campaign_greeting", {"campaign_id": 3}),
    ("campaign_thanks", {"campaign_id": 3, "points": 1200, "members": 14}),
    ("topic_summary", {"text": "🏁 <b>Pets</b> is closed.", "photos": ["AgAD1", "AgAD2"],
                       "caption": "🥇 Alice ❤️ 3 · 💬 1", "thread_id": 77, "anchor_id": None}),
    ("topic_summary", {"text": "🏁 <b>Pets</b> is closed.", "photos": [], "caption": "",
                       "thread_id": None, "anchor_id": 501}),
    ("welcome", {"user_id": 12, "name": "Bob"}),
    ("cadence", {"part": "morning", "fire_time": "2026-11-23T01:00:00+00:00", "topic_id": 5}),
    ("cadence", {"part": "morning", "fire_time": "2026-11-23T01:00:00+00:00", "topic_id": None}),
    ("cadence", {"part": "digest", "fire_time": "2026-11-23T13:00:00+00:00"}),
    ("scheduled_post", {"post_id": 4, "fire_time": "2026-11-23T01:30:00+00:00"}),
    ("draw_post", {"draw_id": 6}),
    ("draw_edit", {"draw_id": 6}),
    ("draw_result", {"draw_id": 6, "entrants": 30}),
    ("draw_result_edit", {"draw_id": 6}),
    ("delete", {"message_ids": [101, 102], "at_once": False}),
    ("delete", {"message_ids": [101, 102, 103], "at_once": True}),
    ("rights_notice", {"rights": ["can_delete_messages", "can_pin_messages"]}),
    ("reward_delivery", {"redemption_id": 8}),
    ("coupon_reminder", {"redemption_id": 8}),
    ("gift_sent", {"redemption_id": 8}),
    ("order_points", {"order_id": 9, "language": "zh"}),
    ("order_points", {"order_id": 9, "language": None}),
    ("order_refunded", {"order_id": 9, "refunded_fen": 5000, "points": 50, "paid": False,
                        "language": "zh"}),
    ("bind_claimed", {"group": GROUP, "holder": 21, "claimant": 22, "buyer": "小明",
                      "holder_proof": "order"}),
    ("push", {"push_id": 10}),
    ("mod_log", {"action_id": 11}),
    ("member_tag", {"user_id": 11}),
    ("report", {"report_id": 12}),
    ("staff_access", {"program_id": -1001, "role": "full"}),
    ("raid_alert", {"raid_id": 3, "to_log": False}),
    ("raid_summary", {"raid_id": 3, "to_log": True}),
    ("expiry_warning", {"program_id": -1001, "points": 120,
                        "by": "2027-03-01T04:00:00+00:00"}),
    ("event_reminder", {"event_id": 4, "hour": True, "starts_at": "2026-12-20T06:00:00+00:00"}),
    ("event_offer", {"event_id": 4, "until": "2026-12-19T18:00:00+00:00"}),
    ("event_change", {"event_id": 4, "cancelled": True, "refunded": 50}),
    ("event_thanks", {"event_id": 4, "topic_id": 7}),
    ("event_card", {"event_id": 4}),
    ("quest_done", {"program_id": -1001, "quest": "set:weekly", "points": 60, "streak": 2}),
    ("season_winners", {"program_id": -1001, "period": "w:2027-W04", "winners": [5, 6],
                        "points": [51, 21], "reward_id": None}),
    ("vip_invite", {"room_id": -1002}),
    ("vip_warning", {"room_id": -1002, "grace_until": "2026-12-10T04:00:00+00:00"}),
    ("vip_removed", {"room_id": -1002}),
    ("jielong_post", {"jielong_id": 5}),
    ("jielong_edit", {"jielong_id": 5}),
    ("jielong_summary", {"jielong_id": 5}),
    ("group_buy_post", {"group_buy_id": 6}),
    ("group_buy_edit", {"group_buy_id": 6}),
    ("group_buy_result", {"group_buy_id": 6, "user_id": 11}),
]  # fmt: skip
# Shapes older writers stored, which still read (and render as they did).
STORED_BEFORE: list[tuple[str, dict[str, Any]]] = [
    ("bind_claimed", {"holder": 21, "claimant": 22}),  # rendered as nothing: never in the group
    ("order_points", {"order_id": 9}),  # in the bot's default language
    ("delete", {"message_ids": [101, 102]}),  # one call each, as before purges
]


def payload_class(kind: str) -> type[OutboxPayload]:
    if kind == Deletion.kind:
        return Deletion
    renderer = RENDERERS.get(kind)
    assert renderer is not None, kind
    return renderer.payload


def sender(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> OutboxSender:
    background = Background(pool, ServiceFactory(clock, "UTC"), create_i18n("en"))
    return OutboxSender(background, RightsNotices(background), dict.fromkeys(GATHERED, GATHER))


async def grant(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int) -> None:
    """Points enough for Bronze (100 lifetime): a promotion, and its congratulation queued."""
    async with pool() as session, session.begin():
        await (
            ServiceFactory(clock)
            .points(session)
            .change(GROUP, user, 150, reason="admin", key=f"grant:{user}")
        )


async def rows(pool: async_sessionmaker[AsyncSession], status: str) -> int:
    async with pool() as session:
        query = select(func.count()).where(OutboxMessage.status == status)
        return int(await session.scalar(query.select_from(OutboxMessage)) or 0)


async def test_an_intent_is_written_once_however_often_its_change_is_retried(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    for _ in range(3):
        async with session_pool() as session, session.begin():
            await OutboxService(session, clock).add(GROUP, PROMOTION, "k:1")
    assert await rows(session_pool, "pending") == 1


async def test_tier_ups_of_one_minute_go_out_as_one_congratulation_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(seconds=20))
    await grant(session_pool, clock, 12)
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 0  # still gathering
    clock.set(NOW + timedelta(seconds=GATHER))
    assert await sender(session_pool, clock).send_due(bot) == 1
    (text,) = telegram.sent_texts()
    assert text.startswith("🎉 New VIP tiers, congratulations!")
    assert text.count("→") == 2
    clock.set(NOW + timedelta(seconds=2 * GATHER))
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert await rows(session_pool, "sent") == 2


async def test_what_a_dead_sender_had_claimed_goes_out_once_after_the_restart(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(seconds=GATHER))
    async with session_pool() as session, session.begin():
        assert len(await OutboxService(session, clock).claim({TierUp.kind: GATHER}, GRACE)) == 1
    # The process dies here, between claiming and sending.
    async with session_pool() as session, session.begin():
        assert await OutboxService(session, clock).resume_interrupted() == 1
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 1
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert len(telegram.sent_texts()) == 1


async def test_an_announcement_later_than_its_grace_is_skipped_not_sent_stale(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(days=2))  # the bot was down for two days
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert telegram.sent_texts() == []
    assert await rows(session_pool, "skipped") == 1


async def test_a_refused_send_fails_the_row_instead_of_retrying_for_ever(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(seconds=GATHER))
    bot, telegram = recording_bot()
    telegram.refused.add("sendMessage")  # a 400 from Telegram
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert await rows(session_pool, "failed") == 1


async def test_a_confirmed_referral_writes_its_thanks_in_the_same_transaction(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        referrals = ReferralService(session, clock, PointsService(session, clock))
        await referrals.save_link(GROUP, 1, "https://t.me/+alice")
        await referrals.joined(GROUP, 2, "https://t.me/+alice", "UTC")
    async with session_pool() as session:
        referrals = ReferralService(session, clock, PointsService(session, clock))
        await referrals.confirm(GROUP, 2, 20, "UTC")
        await session.rollback()  # the confirmation did not happen: nor did its thanks
    assert await rows(session_pool, "pending") == 0
    async with session_pool() as session, session.begin():
        referrals = ReferralService(session, clock, PointsService(session, clock))
        await referrals.confirm(GROUP, 2, 20, "UTC")
    clock.set(NOW + timedelta(seconds=GATHER))
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 1
    (thanks,) = telegram.sent_texts()
    assert thanks.splitlines()[0] == "🤝 <b>Thanks for bringing friends!</b>"
    assert "+20" in thanks.splitlines()[1]


async def test_the_evening_digest_counts_the_announcements_skipped_as_too_late(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await OutboxService(session, clock).add(GROUP, PROMOTION, "late", due_at=NOW)
    clock.set(NOW + timedelta(hours=5))
    async with session_pool() as session:
        assert [due.late for due in await OutboxService(session, clock).claim({}, GRACE)] == [False]
    clock.set(NOW + timedelta(hours=7))  # past the six hours a congratulation may wait
    async with session_pool() as session, session.begin():
        assert [due.late for due in await OutboxService(session, clock).claim({}, GRACE)] == [True]
    async with session_pool() as session:
        figures = await DigestService(session, clock).day(GROUP, "UTC", NOW.date())
    assert figures.announcements_skipped == 1
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        async with session_pool() as session:
            profile = await ChatService(session, clock, "UTC").profile(GROUP)
        assert profile is not None
        text = render_digest(profile, figures)
    assert text.splitlines()[-1] == "⚠️ 1 announcement was too late to post and was skipped."


def test_every_kind_is_in_the_stored_shapes_and_gathered_as_declared() -> None:
    kinds = {kind for kind, _ in STORED}
    assert kinds == {*GRACE}  # every registered kind, and the sender's deletions
    assert {kind for kind in kinds if payload_class(kind).gathered} == set(GATHERED)
    assert GRACE[TierUp.kind] == timedelta(hours=6)
    assert GRACE[Deletion.kind] == timedelta(days=2)


def test_a_kind_has_one_renderer_which_takes_the_rows_as_the_kind_is_gathered() -> None:
    with pytest.raises(ValueError, match="two renderers of tier_up"):
        Renderers.of(tier_messages.renderers, tier_messages.renderers)
    with pytest.raises(TypeError, match="tier_up is gathered"):
        Renderers().register(TierUp)
    with pytest.raises(TypeError, match="draw_post is not gathered"):
        Renderers().register_gathered(DrawPost)


@pytest.mark.parametrize(("kind", "stored"), STORED, ids=[kind for kind, _ in STORED])
def test_a_stored_row_reads_as_its_payload_and_writes_back_the_same(
    kind: str, stored: dict[str, Any]
) -> None:
    payload = payload_class(kind).from_json(stored)
    assert payload.kind == kind
    assert payload.to_json() == stored
    assert json.dumps(payload.to_json()) == json.dumps(stored)  # the keys in the same order


@pytest.mark.parametrize(("kind", "stored"), STORED_BEFORE, ids=[kind for kind, _ in STORED_BEFORE])
def test_a_row_an_older_writer_stored_still_reads(kind: str, stored: dict[str, Any]) -> None:
    payload = payload_class(kind).from_json(stored)
    assert {name: value for name, value in payload.to_json().items() if name in stored} == stored


async def test_a_payload_written_is_stored_as_its_json(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    payloads = [payload_class(kind).from_json(stored) for kind, stored in STORED]
    async with session_pool() as session, session.begin():
        await OutboxService(session, clock).add_many(
            [OutboxRow(GROUP, payload, f"k:{n}") for n, payload in enumerate(payloads)]
        )
    async with session_pool() as session:
        rows = await session.execute(
            select(OutboxMessage.kind, OutboxMessage.payload).order_by(OutboxMessage.id)
        )
        assert [tuple(row) for row in rows] == STORED


async def test_a_row_that_does_not_read_fails_and_the_rest_of_its_moment_goes_out(
    session_pool, chat, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    async with session_pool() as session, session.begin():
        session.add(
            OutboxMessage(
                chat_id=GROUP, kind=TierUp.kind, key="broken", payload={"user_id": "12"},
                status="pending", due_at=NOW, attempts=0, created_at=NOW,
            )
        )  # fmt: skip
    clock.set(NOW + timedelta(seconds=GATHER))
    bot, telegram = recording_bot()
    with caplog.at_level(logging.WARNING, logger="workflows.outbox"):
        assert await sender(session_pool, clock).send_due(bot) == 1
    (text,) = telegram.sent_texts()
    assert text.startswith("🎉 <b>11</b> reached Bronze!")  # the one member who reads
    async with session_pool() as session:
        broken = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "broken"))
    assert broken is not None
    assert broken.status == "failed"
    assert broken.error == "unreadable payload: tier_up: user_id: '12' is not int"
    assert "unreadable payload: tier_up: user_id" in caplog.text
    assert await rows(session_pool, "sent") == 1
