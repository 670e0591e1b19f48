"""The missions' and milestones' background look: what moved since the last look, read past
one cursor over the whole ledger (its primary key, so one range read however many programs),
plus draw entries, reported events and event check-ins since then; the members found are
settled in their program's missions and given the milestone badges they reached.

On PostgreSQL an id is handed out at insert, not at commit: a row with a lower id can become
visible after a higher one was read. So the cursor never passes a row younger than `SETTLED`
(a young row is read again at the next look; settling twice pays nothing twice), and draw
entries and reported events are read from `SETTLED` before the last look."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Draw, DrawEntry, Event, EventSeat, LedgerEntry, QuestCursor, QuestEvent
from services.badges import BadgeService
from services.clock import Clock
from services.points import PointsService
from services.programs import ProgramService
from services.quest_rules import QuestRules
from services.quests import QuestService

BATCH = 2_000  # ledger rows a look reads
EVERYWHERE = 0  # the cursor's row: one for the whole ledger
FIRST_LOOK = timedelta(minutes=5)  # a first look reads this far back
SETTLED = timedelta(minutes=2)  # a row written this long ago is committed (or rolled back)


async def sweep(session: AsyncSession, clock: Clock, points: PointsService) -> int:
    """Settle missions and milestones of the members who moved since the last look; how
    many ledger rows the cursor passed (a full batch: call again)."""
    now = clock.now()
    young = now - SETTLED
    cursor = await session.get(QuestCursor, EVERYWHERE, with_for_update=True)  # one looker
    if cursor is None:
        last = await session.scalar(select(LedgerEntry.id).order_by(LedgerEntry.id.desc()).limit(1))
        cursor = QuestCursor(program_id=EVERYWHERE, ledger_id=max(0, (last or 0) - BATCH),
                             looked_at=now - FIRST_LOOK)  # fmt: skip
        session.add(cursor)
    rows = list(
        await session.execute(
            select(LedgerEntry.id, LedgerEntry.chat_id, LedgerEntry.user_id, LedgerEntry.created_at)
            .where(LedgerEntry.id > cursor.ledger_id)
            .order_by(LedgerEntry.id)
            .limit(BATCH)
        )
    )
    moved: dict[int, set[int]] = defaultdict(set)
    passed = 0  # the leading rows old enough for the cursor to pass
    for index, (_id, program_id, user_id, created_at) in enumerate(rows):
        moved[program_id].add(user_id)
        if passed == index and created_at < young:
            passed += 1
    since = min(cursor.looked_at, now) - SETTLED
    programs = ProgramService(session, clock)
    entered = await session.execute(
        select(Draw.chat_id, DrawEntry.user_id)
        .join(Draw, Draw.id == DrawEntry.draw_id)
        .where(Draw.ends_at > since)  # entered before it ended: its entries, by the key
        .where(DrawEntry.created_at >= since)
    )
    for chat_id, user_id in entered:
        moved[await programs.program_of(chat_id)].add(user_id)
    reported = await session.execute(
        select(QuestEvent.program_id, QuestEvent.user_id).where(QuestEvent.at >= since)
    )
    for program_id, user_id in reported:
        moved[program_id].add(user_id)
    came = await session.execute(  # tickets checked in at the door: the "event" mission
        select(EventSeat.program_id, EventSeat.user_id)
        .join(Event, Event.id == EventSeat.event_id)
        .where(Event.status == "open", or_(Event.closed_at.is_(None), Event.closed_at >= since))
        .where(EventSeat.checked_in_at >= since)
    )
    for program_id, user_id in came:
        moved[program_id].add(user_id)
    if not moved:
        return 0  # nothing written: a quiet look costs four reads
    if passed:
        cursor.ledger_id = rows[passed - 1][0]
    cursor.looked_at = now
    quests, badges = QuestService(session, clock, points), BadgeService(session, clock)
    for program_id, users in sorted(moved.items()):
        founding = await session.get(Chat, program_id)
        if founding is None:
            continue
        members = sorted(users)
        rules = QuestRules.from_settings(founding.settings or {})
        if rules.on:
            await quests.settle(
                program_id, members, rules, founding.timezone or points.default_timezone
            )
        await badges.milestones(program_id, members)
    return passed
