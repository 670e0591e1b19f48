"""A member's private warning that points expire (the payload: `services/points_expiry.py`;
the message: `views/points_expiry.py`)."""

from __future__ import annotations

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.clock import local_day
from services.points_expiry import ExpiryNotice
from views.points_expiry import expiry_warning
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(ExpiryNotice)
async def expiry_notice(
    context: RenderContext, profile: ChatProfile, notice: ExpiryNotice
) -> Delivery:
    """In the member's private chat (`profile`), under the name of the program's group."""
    async with context.background.session_pool() as session:
        group = await context.background.services.chats(session).profile(notice.program_id)
    if group is None:
        raise LookupError("no such program")
    language = reply_language(group, None, context.background.i18n.default_locale)
    with context.background.i18n.use_locale(language):  # the group's: the member's is unknown
        by = local_day(notice.by, group.timezone)
        return Delivery(expiry_warning(notice.points, group.title, by))
