"""The missions' part of the audit: every `quest` or `quest_bonus` ledger row is one completion
record (same program, member, period and mission, same points), and every paid completion has
its row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, QuestCompletion
from services.quests import QUEST, QUEST_BONUS, quest_key


async def audit_quests(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        select(LedgerEntry.idempotency_key, LedgerEntry.delta).where(
            LedgerEntry.reason.in_((QUEST, QUEST_BONUS))
        )
    )
    paid: dict[str, int] = {}
    for key, delta in rows:
        paid[key] = delta
    done = await session.scalars(select(QuestCompletion).where(QuestCompletion.points > 0))
    problems = []
    for completion in done:
        key = quest_key(completion.program_id, completion.user_id, completion.period,
                        completion.quest)  # fmt: skip
        if key not in paid:
            problems.append(f"completion without its ledger row: {key}")
        elif paid.pop(key) < completion.points:  # a campaign or tier may multiply it
            problems.append(f"ledger row paid less than its completion: {key}")
    problems += [f"mission ledger row without a completion: {key}" for key in sorted(paid)]
    return problems
