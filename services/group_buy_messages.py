"""What a 拼团 says (rendered by `workflows/group_buy_messages.py`): its post and paced edits in
the group, and each participant's code (or that it did not form) in their private chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupBuyPost(OutboxPayload):
    kind = "group_buy_post"
    grace = timedelta(days=1)
    group_buy_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupBuyEdit(OutboxPayload):
    kind = "group_buy_edit"
    group_buy_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupBuyResult(OutboxPayload):
    """To one participant, privately: their code for the price reached, or that it failed."""

    kind = "group_buy_result"
    grace = timedelta(days=7)  # a code is told however late
    group_buy_id: int
    user_id: int
