"""A season's winners, posted in each group of the program (rendered by
`workflows/quest_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class SeasonWinners(OutboxPayload):
    """The closed season's top members, with their points, in the group (the row's chat)."""

    kind = "season_winners"  # stored in outbox.kind; never renamed once rows exist
    grace = timedelta(days=1)
    program_id: int
    period: str  # `w:2027-W05`, `m:2027-01`
    winners: tuple[int, ...] = ()
    points: tuple[int, ...] = ()
    reward_id: int | None = None  # the prize each winner was given, if the season has one
