"""A member's rights on a real database: `/mydata` exports every table that holds a user id
(a new table must be listed, or left out with a reason), their own codes but not others' data;
`/forgetme` blanks names, labels, notes, bindings and reasons, keeps the ledger's sums (the
audit stays clean), other members' data and a past draw's verification."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    BuyerBinding,
    Erasure,
    Label,
    Member,
    MemberNote,
    MemberWarning,
    Referral,
)
from services.clock import FrozenClock
from services.draw_entries import JoinRequest
from services.draw_specs import DrawSpec
from services.draws import DrawService, JoinGroupCommit
from services.erasure import erased_among
from services.factory import ServiceFactory
from services.labels import LabelService
from services.member_data import (
    LEFT_OUT,
    SECTIONS,
    MemberDataService,
    tables_with_user_id,
)
from services.members import Sighting, record_sightings
from services.points import PointsService
from services.points_audit import audit
from tests.unit.conftest import GROUP

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANNA, BEN, ADMIN = 1011, 424242, 7


def test_every_table_with_a_user_id_is_exported_or_left_out_with_a_reason() -> None:
    """Add a table with a `user_id` column: list it in services/member_data.py's SECTIONS (with
    the columns that are others' data) or in LEFT_OUT (with why)."""
    missing = tables_with_user_id() - set(SECTIONS) - set(LEFT_OUT)
    assert not missing, f"not in /mydata: {sorted(missing)}"
    assert not set(SECTIONS) & set(LEFT_OUT)
    assert set(SECTIONS) | set(LEFT_OUT) <= tables_with_user_id()  # no stale names
    assert all(reason.strip() for reason in LEFT_OUT.values())


async def populate(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> int:
    """Anna and Ben talk, earn, enter a draw that ends; Anna is labelled, noted, warned, bound
    to a shop nickname and invited a friend. The draw's id."""
    async with pool() as session, session.begin():
        await record_sightings(
            session,
            [
                Sighting(GROUP, ANNA, "anna_l", "Anna Li", NOW),
                Sighting(GROUP, BEN, "benw", "Ben Wang", NOW),
            ],
        )
        points = PointsService(session, clock)
        for user in (ANNA, BEN):
            await points.change(GROUP, user, 50, reason="admin", key=f"gift:{user}")
        labels = LabelService(session, clock)
        await labels.add(GROUP, ANNA, ["高潜"], ADMIN)
        await labels.add(GROUP, BEN, ["vip"], ADMIN)
        await labels.add_note(GROUP, ANNA, "phone 138-0000-0000", ADMIN)
        session.add(
            MemberWarning(
                chat_id=GROUP, user_id=ANNA, actor_id=ADMIN, reason="rude", created_at=NOW
            )
        )
        session.add(
            BuyerBinding(
                chat_id=GROUP,
                buyer_key="anna小店",
                buyer="Anna小店",
                user_id=ANNA,
                bound_by=ANNA,
                created_at=NOW,
                proof="order",
            )
        )
        session.add(
            Referral(
                chat_id=GROUP,
                invitee_id=BEN,
                inviter_id=ANNA,
                link="l",
                status="pending",
                joined_at=NOW,
            )
        )
        spec = DrawSpec("Hoodie", 1, NOW + timedelta(hours=1))
        draw = await DrawService(session, clock, points).create(GROUP, ADMIN, spec)
        draw_id = draw.id
    group_commit = JoinGroupCommit(pool, clock)
    for user in (ANNA, BEN):
        await group_commit.join(JoinRequest(draw_id, GROUP, user))
    clock.set(NOW + timedelta(hours=1))
    async with pool() as session, session.begin():
        await DrawService(session, clock, PointsService(session, clock)).end(GROUP, draw_id)
    return draw_id


async def test_mydata_holds_the_members_profile_ledger_labels_and_entries(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await populate(session_pool, clock)
    async with session_pool() as session:
        data = await MemberDataService(session, clock).export(ANNA)
    assert [row["display_name"] for row in data.rows("members")] == ["Anna Li"]
    assert [row["delta"] for row in data.rows("points_ledger")] == [50]
    assert all("actor" not in row for row in data.rows("points_ledger"))
    assert [row["label"] for row in data.rows("labels")] == ["高潜"]
    assert [row["text"] for row in data.rows("member_notes")] == ["phone 138-0000-0000"]
    assert [row["reason"] for row in data.rows("warnings")] == ["rude"]
    assert [row["buyer"] for row in data.rows("buyer_bindings")] == ["Anna小店"]
    assert len(data.rows("draw_entries")) == 1
    assert data.document["referrals_made"] == [
        {"chat_id": GROUP, "status": "pending", "friends": 1}
    ]
    document = json.loads(data.as_json().decode("utf-8"))
    assert "高潜" in data.as_json().decode("utf-8")  # as itself, not \u escapes
    assert document["groups"] == {str(GROUP): "Fans"}
    text = json.dumps(document, ensure_ascii=False)
    assert "Ben Wang" not in text
    assert "benw" not in text
    assert str(BEN) not in text  # not even the friend's id


async def test_forgetme_blanks_personal_data_and_keeps_sums_audit_and_draws(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    draw_id = await populate(session_pool, clock)
    factory = ServiceFactory(clock)
    async with session_pool() as session, session.begin():
        erased = await factory.erasure(session).erase(ANNA, requested_by=ANNA)
    assert (erased.accounts, erased.labels, erased.notes, erased.bindings) == (1, 1, 1, 1)
    async with session_pool() as session:
        anna = await session.get(Member, (GROUP, ANNA))
        ben = await session.get(Member, (GROUP, BEN))
        assert anna is not None
        assert ben is not None
        assert (anna.username, anna.display_name, anna.points) == (None, "", 50)
        assert (ben.username, ben.display_name, ben.points) == ("benw", "Ben Wang", 50)
        assert await session.scalar(select(Label.label).where(Label.user_id == ANNA)) is None
        assert await session.scalar(select(Label.label).where(Label.user_id == BEN)) == "vip"
        assert await session.scalar(select(MemberNote.id)) is None
        assert await session.scalar(select(BuyerBinding.buyer)) is None
        assert await session.scalar(select(MemberWarning.reason)) is None
        assert await session.scalar(select(Referral.inviter_id)) == ANNA  # Ben's history
        record = (await session.scalars(select(Erasure))).one()
        assert (record.user_id, record.requested_by, record.program_id) == (ANNA, ANNA, None)
        assert await audit(session) == []
        verification = await DrawService(session, clock, PointsService(session, clock)).verify(
            GROUP, draw_id
        )
        assert verification.ok
        assert await erased_among(session, [ANNA, BEN], GROUP) == {ANNA}  # "erased member"
        data = await MemberDataService(session, clock).export(ANNA)
    assert [row["delta"] for row in data.rows("points_ledger")] == [50]  # the sums stay
    assert "Anna" not in data.as_json().decode("utf-8")


async def test_a_forgotten_member_who_writes_again_is_named_afresh_and_keeps_points(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await populate(session_pool, clock)
    async with session_pool() as session, session.begin():
        await (
            ServiceFactory(clock).erasure(session).erase(ANNA, requested_by=ADMIN, program_id=GROUP)
        )
    later = NOW + timedelta(days=1)
    async with session_pool() as session, session.begin():
        await record_sightings(session, [Sighting(GROUP, ANNA, None, "A.", later)])
    async with session_pool() as session:
        anna = await session.get(Member, (GROUP, ANNA))
        assert anna is not None
        assert (anna.display_name, anna.points) == ("A.", 50)
        assert await audit(session) == []
        assert await erased_among(session, [ANNA], GROUP) == {ANNA}
        assert await erased_among(session, [ANNA], -100_999) == set()  # another brand's
