"""Who may enter a draw: a press's request, what it came to, and the rules that refuse it
(ended, entered already, silenced, the draw's tier, points, membership age, messages, label,
cost)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models import Draw, Member


@dataclass(frozen=True, slots=True)
class JoinRequest:
    draw_id: int
    chat_id: int
    user_id: int
    keyword: bool = False  # sent as an event draw's keyword (not a button press)


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY = "already"
    ENDED = "ended"
    UNKNOWN = "unknown"  # no such draw in this chat: a forged or foreign button
    TIER = "tier"
    POINTS = "points"
    NEW_MEMBER = "new_member"
    MESSAGES = "messages"
    LABEL = "label"  # the draw is for members with a label they don't carry
    COST = "cost"
    SILENCED = "silenced"  # muted or banned here: no entries meanwhile
    EVENT = "event"  # an event's draw: by its keyword, for those signed up only


@dataclass(frozen=True, slots=True)
class Joined:
    outcome: JoinOutcome
    draw: Draw | None = None
    balance: int = 0


def entry_refusal(
    draw: Draw,
    member: Member,
    entered: bool,
    now: datetime,
    figure: int,
    labelled: bool = False,
    account: Member | None = None,
    seated: bool = True,
) -> JoinOutcome | None:
    """Why the member may not enter, if they may not; `figure`: what their tier goes by,
    `labelled`: whether they carry the draw's label (if it has one), `account`: their
    account in the program, when the group joined another's (its points count); `seated`:
    for an event's draw, whether they hold a seat at it and sent its keyword."""
    points = (account or member).points
    if draw.status != "open" or now >= draw.ends_at:
        return JoinOutcome.ENDED
    if entered:
        return JoinOutcome.ALREADY
    if draw.event_id is not None and not seated:
        return JoinOutcome.EVENT
    if member.silenced_until is not None and member.silenced_until > now:
        return JoinOutcome.SILENCED
    if figure < draw.min_lifetime:
        return JoinOutcome.TIER
    if points < draw.min_points:
        return JoinOutcome.POINTS
    if draw.min_member_days and (
        member.joined_at is None or member.joined_at > now - timedelta(days=draw.min_member_days)
    ):
        return JoinOutcome.NEW_MEMBER
    if member.message_count < draw.min_messages:
        return JoinOutcome.MESSAGES
    if draw.label is not None and not labelled:
        return JoinOutcome.LABEL
    if points < draw.cost:
        return JoinOutcome.COST
    return None
