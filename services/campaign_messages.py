"""A campaign's greeting and thanks in its group (rendered by `workflows/campaign_messages.py`).
Both expire with the campaign (`CampaignService.announce` sets `expires_at`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.outbox import OutboxPayload


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignGreeting(OutboxPayload):
    """The campaign starts: read from the campaign when it goes out."""

    kind = "campaign_greeting"
    campaign_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignThanks(OutboxPayload):
    """The campaign is over, with its figures of that moment."""

    kind = "campaign_thanks"
    campaign_id: int
    points: int
    members: int
