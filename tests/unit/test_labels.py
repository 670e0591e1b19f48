"""Labels and notes (客户标签) on a real database: normalised, at most 20 a member, the
program's (a label given in one group is seen in another group of the brand); who `/push
tag:…`, a draw's `tag=…` and the console's filter pick; the members export's labels column,
never a live formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Chat
from services.chats import ChatService
from services.clock import FrozenClock
from services.console import ConsoleService, MemberQuery
from services.draw_entries import JoinOutcome, JoinRequest
from services.draw_specs import DrawInputError, DrawSpec, parse_draw
from services.draws import DrawService, JoinGroupCommit
from services.exports import ENCODING, ExportKind, write_csv
from services.factory import ServiceFactory
from services.labels import MAX_LABELS, LabelError, LabelService, normalise
from services.members import Sighting, ensure_members, record_sightings
from services.points import PointsService
from services.pushes import Audience, PushService, parse_audience
from services.tiers import TierService
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"
SECOND = -100_2  # another group of the same brand
ADMIN = 7


async def join_second_group(pool: async_sessionmaker[AsyncSession]) -> int:
    """A second group whose program is the first's; its profile's program id."""
    async with pool() as session, session.begin():
        await ChatService(session, FrozenClock(NOW), SHANGHAI).ensure(
            SECOND, "supergroup", "VIP room"
        )
        await session.execute(update(Chat).where(Chat.id == SECOND).values(program_id=GROUP))
    async with pool() as session:
        profile = await ChatService(session, FrozenClock(NOW), SHANGHAI).profile(SECOND)
    assert profile is not None
    return profile.program_id


@pytest.mark.parametrize(
    ("word", "label"),
    [
        (" 高潜 ", "高潜"),
        ("VIP", "vip"),
        ("#复购", "复购"),
        ("Ｖｉｐ", "vip"),
        ("a" * 20, "a" * 20),
    ],
)
def test_a_label_is_trimmed_and_latin_is_one_case(word: str, label: str) -> None:
    assert normalise(word) == label


@pytest.mark.parametrize(("word", "reason"), [("", "empty"), ("#", "empty"), ("a" * 21, "long")])
def test_a_label_too_long_or_empty_is_refused(word: str, reason: str) -> None:
    with pytest.raises(LabelError) as refused:
        normalise(word)
    assert refused.value.reason == reason


async def test_labels_are_added_once_removed_and_limited(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        labels = LabelService(session, clock)
        tagged = await labels.add(GROUP, 5, ["高潜", "复购"], ADMIN)
        assert (tagged.added, tagged.already, tagged.over) == (["高潜", "复购"], [], [])
        again = await labels.add(GROUP, 5, ["高潜", "vip", "vip"], ADMIN)
        assert (again.added, again.already) == (["vip"], ["高潜"])
        assert await labels.of_member(GROUP, 5) == ["vip", "复购", "高潜"]
        many = await labels.add(GROUP, 5, [f"l{n}" for n in range(MAX_LABELS)], ADMIN)
        assert len(many.added) == MAX_LABELS - 3
        assert many.over == ["l17", "l18", "l19"]
        assert await labels.remove(GROUP, 5, ["高潜", "nope"]) == ["高潜"]
        await labels.add(GROUP, 6, ["复购"], ADMIN)
        assert (await labels.counts(GROUP))[0] == ("复购", 2)
        assert len(await labels.remove(GROUP, 5, None)) == MAX_LABELS - 1
        assert await labels.of_member(GROUP, 5) == []
        assert await labels.counts(GROUP) == [("复购", 1)]


async def test_a_label_given_in_one_group_is_seen_in_the_brands_other_group(
    session_pool, chat
) -> None:
    program = await join_second_group(session_pool)
    assert program == GROUP
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await LabelService(session, clock).add(GROUP, 5, ["高潜"], ADMIN)  # tagged in the first
        await LabelService(session, clock).add_note(GROUP, 5, "prefers tea", ADMIN)
    async with session_pool() as session:
        labels = LabelService(session, clock)
        assert await labels.of_member(program, 5) == ["高潜"]  # read in the second
        notes, total = await labels.notes(program, 5)
        assert ([note.text for note in notes], total) == (["prefers tea"], 1)
        assert await labels.of_member(SECOND, 5) == []  # keyed by the program, not the group


async def test_notes_are_newest_first_and_counted(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        labels = LabelService(session, clock)
        for n in range(12):
            clock.set(NOW + timedelta(minutes=n))
            await labels.add_note(GROUP, 5, f"note {n}", ADMIN)
        notes, total = await labels.notes(GROUP, 5)
    assert total == 12
    assert [note.text for note in notes] == [f"note {n}" for n in range(11, 1, -1)]


async def test_merging_programs_keeps_one_of_each_label_and_moves_notes(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        labels = LabelService(session, clock)
        await labels.add(GROUP, 5, ["高潜"], ADMIN)
        await labels.add(SECOND, 5, ["高潜", "复购"], ADMIN)
        await labels.add_note(SECOND, 5, "met at the fair", ADMIN)
        await labels.merge(SECOND, GROUP)
        assert await labels.of_member(GROUP, 5) == ["复购", "高潜"]
        assert (await labels.notes(GROUP, 5))[1] == 1
        assert await labels.counts(SECOND) == []


@pytest.mark.parametrize(
    ("word", "audience"),
    [
        ("tag:高潜", Audience("label", "高潜")),
        ("TAG:VIP", Audience("label", "vip")),
        ("标签：复购", Audience("label", "复购")),
        ("tag:", None),
        ("tag:" + "x" * 21, None),
    ],
)
def test_push_reads_a_label_audience(word: str, audience: Audience | None) -> None:
    assert parse_audience(word, []) == audience


async def test_a_label_push_reaches_the_labelled_members_of_every_group_of_the_program(
    session_pool, chat
) -> None:
    await join_second_group(session_pool)
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ensure_members(session, [(GROUP, user) for user in (41, 42, 43)])
        # 44 is seen only in the second group: an account in the program, not in the first.
        seen = Sighting(SECOND, 44, None, "Dan", NOW, program_id=GROUP)
        await record_sightings(session, [seen])
        chats = ChatService(session, clock, SHANGHAI)
        for user in (41, 42, 43, 44):
            await chats.ensure(user, "private", str(user))
        labels = LabelService(session, clock)
        for user in (41, 42, 44):
            await labels.add(GROUP, user, ["高潜"], ADMIN)
        await labels.add(GROUP, 43, ["复购"], ADMIN)
    audience = parse_audience("tag:高潜", [])
    assert audience is not None
    async with session_pool() as session, session.begin():
        pushes = PushService(session, clock, TierService(session))
        assert (await pushes.reach(GROUP, audience, SHANGHAI)).count == 3  # 41, 42 and 44
        nobody = Audience("label", "nobody")
        assert (await pushes.reach(GROUP, nobody, SHANGHAI)).count == 0


async def test_a_program_joining_another_brings_its_labels_and_notes(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    factory = ServiceFactory(clock, SHANGHAI)
    async with session_pool() as session, session.begin():
        await ChatService(session, clock, SHANGHAI).ensure(SECOND, "supergroup", "VIP room")
        labels = LabelService(session, clock)
        await labels.add(SECOND, 5, ["高潜"], ADMIN)  # the second group, its own program yet
        await labels.add_note(SECOND, 5, "met at the fair", ADMIN)
        report = await factory.program_join(session).join(GROUP, SECOND, by=ADMIN)
    assert report.moved["labels"] == 1
    async with session_pool() as session:
        labels = LabelService(session, clock)
        assert await labels.of_member(GROUP, 5) == ["高潜"]
        assert (await labels.notes(GROUP, 5))[1] == 1


def test_a_draw_reads_its_label() -> None:
    assert parse_draw("Cap tag=高潜", NOW, SHANGHAI, []).label == "高潜"
    assert parse_draw("Cap", NOW, SHANGHAI, []).label is None
    with pytest.raises(DrawInputError, match="tag"):
        parse_draw("Cap tag=" + "x" * 21, NOW, SHANGHAI, [])


async def test_a_label_draw_lets_in_only_members_carrying_it(session_pool, chat) -> None:
    await join_second_group(session_pool)
    clock = FrozenClock(NOW)
    spec = DrawSpec("Cap", 1, NOW + timedelta(hours=1), label="高潜")
    async with session_pool() as session, session.begin():
        draws = DrawService(session, clock, PointsService(session, clock))
        draw_id = (await draws.create(SECOND, ADMIN, spec)).id  # in the second group
        await LabelService(session, clock).add(GROUP, 5, ["高潜"], ADMIN)  # the program's
    group_commit = JoinGroupCommit(session_pool, clock)
    assert (await group_commit.join(JoinRequest(draw_id, SECOND, 5))).outcome == JoinOutcome.JOINED
    assert (await group_commit.join(JoinRequest(draw_id, SECOND, 6))).outcome == JoinOutcome.LABEL


async def test_the_console_filters_members_by_label(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ensure_members(session, [(GROUP, user) for user in (1, 2, 3)])
        await LabelService(session, clock).add(GROUP, 2, ["vip"], ADMIN)
    query = MemberQuery.of({"label": " VIP "})
    assert query.label == "vip"
    assert MemberQuery.of({"label": "x" * 30}).label == ""
    async with session_pool() as session:
        page = await ConsoleService(session, clock).members(GROUP, query, SHANGHAI, [], GROUP)
    assert [member.user_id for member in page.members] == [2]


async def test_the_members_export_has_labels_and_never_a_live_formula(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    hostile = '=HYPERLINK("x")'
    async with session_pool() as session, session.begin():
        await ensure_members(session, [(GROUP, 1), (GROUP, 2)])
        await LabelService(session, clock).add(GROUP, 1, [normalise(hostile), "高潜"], ADMIN)
    async with session_pool() as session:
        buffer = io.BytesIO()
        out = io.TextIOWrapper(buffer, encoding=ENCODING, newline="")
        await write_csv(session, out, ExportKind.MEMBERS, GROUP, SHANGHAI)
        out.flush()
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue().decode(ENCODING))))
    assert [(row["user_id"], row["labels"]) for row in rows] == [
        ("1", "'" + '=hyperlink("x") 高潜'),
        ("2", ""),
    ]
