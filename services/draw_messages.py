"""What a draw shows in its group (rendered by `workflows/draw_messages.py`): its post, and edits
bringing it up to date (entrant count, ended, cancelled); its result as a reply to the post, and
edits of the result (a claim, a reroll). Each is rendered from the draw as it is when sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawPost(OutboxPayload):
    kind = "draw_post"
    grace = timedelta(days=1)
    draw_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawEdit(OutboxPayload):
    kind = "draw_edit"
    draw_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawResult(OutboxPayload):
    kind = "draw_result"
    grace = timedelta(days=7)  # winners are told however late
    draw_id: int
    entrants: int  # as the draw ended


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawResultEdit(OutboxPayload):
    kind = "draw_result_edit"
    draw_id: int
