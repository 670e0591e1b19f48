"""The group's congratulation of its members' new tiers (the payload: `services/tier_messages.py`;
the words: `views/announcements.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.tier_messages import TierUp
from views.announcements import congratulation
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register_gathered(TierUp)
async def tier_ups(
    context: RenderContext, profile: ChatProfile, promotions: Sequence[TierUp]
) -> Delivery:
    """Everyone promoted in the moment, in one congratulation."""
    language = reply_language(profile, None, context.background.i18n.default_locale)
    return Delivery(congratulation([(up.name, up.tier) for up in promotions], language))
