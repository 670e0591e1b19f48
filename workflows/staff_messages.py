"""The private notice of console access given (the payload: `services/staff_messages.py`; the
words: `views/staff.py`)."""

from __future__ import annotations

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.staff_messages import StaffNotice
from views.staff import staff_notice_text
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(StaffNotice)
async def staff_notice(
    context: RenderContext, profile: ChatProfile, notice: StaffNotice
) -> Delivery | None:
    """In the member's private chat (`profile`), in the language of the program's founding
    group (as its admins chose, like a report's copy); nothing once the access was taken back
    or changed meanwhile."""
    background = context.background
    async with background.session_pool() as session:
        staff = background.services.staff(session)
        if await staff.role_of(notice.program_id, profile.id) != notice.role:
            return None
        group = await background.services.chats(session).profile(notice.program_id)
    if group is None:
        raise LookupError("no such program")
    with background.i18n.use_locale(reply_language(group, None, background.i18n.default_locale)):
        return Delivery(staff_notice_text(group.title or str(group.id), notice.role))
