"""A milestone badge typed by its key, its English or its Chinese name (issue 37), on a real
database: one resolver (`resolve_badge`) and every place an admin types a badge — a draw's
`badge=`, a shop reward's `badge=` (command and console form alike), `/badge give|take`'s
name and a push's `badge:`/`徽章:` segment — store the milestone's key; "No such badge" offers
the milestones by name and key."""

from __future__ import annotations

import pytest

from infrastructure.i18n import create_i18n
from services.badges import (
    FIRST_BUY,
    SEASON_TOP10,
    STREAK_30,
    BadgeError,
    BadgeService,
    resolve_badge,
)
from services.chats import ChatService
from services.clock import FrozenClock
from services.draw_entries import JoinOutcome, JoinRequest
from services.draw_specs import parse_draw
from services.draws import DrawService, JoinGroupCommit
from services.factory import ServiceFactory
from services.members import ensure_members
from services.points import PointsService
from services.pushes import Audience, PushService, parse_audience
from services.reward_specs import NoSuchBadge, parse_changes, parse_reward, reward_changes
from services.tiers import DEFAULT_TIERS, TierService
from tests.unit.conftest import GROUP
from tests.unit.test_shop import ADMIN, NOW, SHANGHAI, new_reward, shop
from views.quests import badge_counts_text
from views.shop import input_problem

BOB, CLEO = 41, 42


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("first_buy", FIRST_BUY), ("首次购物", FIRST_BUY), ("First purchase", FIRST_BUY),
     ("FIRST_PURCHASE", FIRST_BUY), ("ＦＩＲＳＴ＿ＢＵＹ", FIRST_BUY), ("#首次购物", FIRST_BUY),
     ("连签30天", STREAK_30), ("连签 30 天", STREAK_30), ("30-day-streak", STREAK_30),
     ("赛季前十", SEASON_TOP10), ("Season_Top_10", SEASON_TOP10),
     ("VIP", "vip"), ("老茶客", "老茶客")],
)  # fmt: skip
def test_a_typed_badge_resolves_to_what_is_stored(typed: str, stored: str) -> None:
    assert resolve_badge(typed) == stored


def test_a_word_that_is_no_badge_is_still_refused() -> None:
    for word in ("", "#", "x" * 15, "two words"):
        with pytest.raises(BadgeError):
            resolve_badge(word)


def test_a_reward_s_badge_is_stored_as_the_milestone_s_key() -> None:
    assert parse_reward("Mug price=5 badge=首次购物", DEFAULT_TIERS).badge == FIRST_BUY
    assert parse_changes("badge=First_purchase", DEFAULT_TIERS) == {"badge": FIRST_BUY}
    assert reward_changes({"badge": "First purchase"}, DEFAULT_TIERS) == {"badge": FIRST_BUY}


async def test_a_reward_made_with_a_milestone_s_name_asks_for_the_milestone(
    session_pool, chat
) -> None:
    spec = parse_reward("马克杯 price=5 kind=gift badge=首次购物", DEFAULT_TIERS)
    reward_id = await new_reward(session_pool, spec)  # no holder needed: a milestone
    async with session_pool() as session:
        reward = await shop(session, FrozenClock(NOW)).reward(GROUP, reward_id)
    assert reward.badge == FIRST_BUY


@pytest.mark.parametrize(
    ("language", "listed"),
    [("zh", "首次购物 (<code>first_buy</code>)"),
     ("en", "First purchase (<code>first_buy</code>)")],
)  # fmt: skip
async def test_no_such_badge_offers_the_milestones_by_name_and_key(
    session_pool, chat, language: str, listed: str
) -> None:
    async with session_pool() as session, session.begin():
        await BadgeService(session, FrozenClock(NOW)).give(GROUP, BOB, "tea", ADMIN)
    with pytest.raises(NoSuchBadge) as unknown:
        await new_reward(session_pool, parse_reward("Mug price=5 badge=coffee", DEFAULT_TIERS))
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale(language):
        said = input_problem(unknown.value)
    assert listed in said
    assert "<code>tea</code>" in said
    assert "(<code>tea</code>)" not in said


async def test_a_draw_for_a_milestone_named_in_chinese_lets_in_its_holders(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    spec = parse_draw("Cap badge=首次购物", NOW, SHANGHAI, [])
    assert spec.label == "badge:first_buy"
    assert parse_draw("Cap badge=First_purchase", NOW, SHANGHAI, []).label == spec.label
    async with session_pool() as session, session.begin():
        draws = DrawService(session, clock, PointsService(session, clock))
        draw_id = (await draws.create(GROUP, ADMIN, spec)).id
        await BadgeService(session, clock).give(GROUP, BOB, FIRST_BUY, None, "milestone")
    commit = JoinGroupCommit(session_pool, clock)
    assert (await commit.join(JoinRequest(draw_id, GROUP, BOB))).outcome == JoinOutcome.JOINED
    assert (await commit.join(JoinRequest(draw_id, GROUP, CLEO))).outcome == JoinOutcome.LABEL


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_badge_give_by_a_label_gives_the_milestone(session_pool, chat, language: str) -> None:
    """What `/badge give|take @user <name>` does with the name it was typed (handlers/quests.py):
    a label is the milestone, so it is one badge in /badges, shown by its name."""
    clock = FrozenClock(NOW)
    typed = {"zh": "首次购物", "en": "First purchase"}[language]
    async with session_pool() as session, session.begin():
        badges = BadgeService(session, clock)
        assert await badges.give(GROUP, BOB, resolve_badge(typed), ADMIN)
        assert not await badges.give(GROUP, BOB, resolve_badge("first_buy"), ADMIN)
        assert await badges.give(GROUP, CLEO, resolve_badge(typed.upper()), ADMIN)
        assert await badges.take(GROUP, CLEO, resolve_badge(typed))
        counts = await badges.counts(GROUP)
    assert counts == [(FIRST_BUY, 1)]
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale(language):
        shown = badge_counts_text(counts)
    assert {"zh": "首次购物 · 1", "en": "First purchase · 1"}[language] in shown


@pytest.mark.parametrize(
    ("word", "key"),
    [("徽章：首次购物", FIRST_BUY), ("徽章:赛季前十", SEASON_TOP10),
     ("badge:First_purchase", FIRST_BUY), ("BADGE:streak30", STREAK_30)],
)  # fmt: skip
def test_a_push_segment_names_a_milestone_by_its_label(word: str, key: str) -> None:
    assert parse_audience(word, []) == Audience("badge", key)


async def test_a_push_to_a_milestone_named_in_chinese_reaches_its_holders(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ensure_members(session, [(GROUP, user) for user in (BOB, CLEO)])
        chats = ChatService(session, clock, SHANGHAI)
        for user in (BOB, CLEO):
            await chats.ensure(user, "private", str(user))
        await BadgeService(session, clock).give(GROUP, BOB, FIRST_BUY, None, "milestone")
    audience = parse_audience("徽章：首次购物", [])
    assert audience is not None
    async with session_pool() as session, session.begin():
        pushes = PushService(session, clock, TierService(session))
        assert (await pushes.reach(GROUP, audience, SHANGHAI)).count == 1


async def test_badge_take_finds_a_badge_given_under_a_label_before(session_pool, chat) -> None:
    """A badge given as `首次购物` before labels meant the milestone is kept as it was typed;
    `/badge take … 首次购物` takes the milestone when held, else that old badge."""
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        badges = BadgeService(session, clock)
        await badges.give(GROUP, BOB, "首次购物", ADMIN)  # as stored before
        await badges.give(GROUP, BOB, FIRST_BUY, None, "milestone")
        assert await badges.take_typed(GROUP, BOB, "首次购物") == (FIRST_BUY, True)
        assert await badges.take_typed(GROUP, BOB, "首次购物") == ("首次购物", True)
        assert await badges.take_typed(GROUP, BOB, "首次购物") == (FIRST_BUY, False)
        assert await badges.of_member(GROUP, BOB) == []


@pytest.mark.parametrize(("language", "tag"), [("zh", "首次购物"), ("en", "First purchase")])
async def test_a_milestone_an_admin_gave_is_the_tag_by_its_name(
    session_pool, chat, language: str, tag: str
) -> None:
    clock = FrozenClock(NOW)
    factory = ServiceFactory(clock)
    async with session_pool() as session, session.begin():
        await factory.member_tags(session).switch(GROUP, True, language)
        await ensure_members(session, [(GROUP, BOB)])
        await factory.badges(session).give(GROUP, BOB, resolve_badge("首次购物"), ADMIN)
    async with session_pool() as session:
        assert (await factory.member_tags(session).wanted(GROUP, BOB, language)).tag == tag
