"""The admins' notice of rights the bot lacks (the payload: `services/rights_messages.py`; the
words: `views/rights.py`)."""

from __future__ import annotations

from services.chats import ChatProfile
from services.rights_messages import RightsNotice
from views.rights import rights_notice
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(RightsNotice)
async def notice(context: RenderContext, profile: ChatProfile, notice: RightsNotice) -> Delivery:
    return Delivery(rights_notice(notice.rights))
