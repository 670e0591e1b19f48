"""A newcomer's welcome (rendered by `workflows/welcome_messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.outbox import OutboxPayload

WELCOME_BURST_SECONDS = 3.0  # joins this close together share one welcome


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome(OutboxPayload):
    """A member joined: welcomed with everyone who joined in the same few seconds."""

    kind = "welcome"
    gathered = True
    grace = timedelta(minutes=15)  # a welcome an hour late would greet the wrong moment
    user_id: int
    name: str
