"""The group's thanks to inviters whose friends stayed (the payload:
`services/referral_messages.py`; the words: `views/announcements.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from services.chats import ChatProfile
from services.members import display_names
from services.referral_messages import ReferralThanks
from views.announcements import referral_thanks
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register_gathered(ReferralThanks)
async def thanks(
    context: RenderContext, profile: ChatProfile, thanked: Sequence[ReferralThanks]
) -> Delivery:
    """Every inviter confirmed in the moment, in one message, by their names now."""
    people = {who for done in thanked for who in (done.inviter_id, done.invitee_id)}
    async with context.background.session_pool() as session:
        names = await display_names(session, profile.id, people)
    return Delivery(referral_thanks(thanked, names))
