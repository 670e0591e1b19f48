"""The private notice of console access given (the payload: `services/staff_messages.py`; the
words: `views/staff.py`)."""

from __future__ import annotations

from services.chats import ChatProfile
from services.staff_messages import StaffNotice
from views.staff import staff_notice_text
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(StaffNotice)
async def staff_notice(
    context: RenderContext, profile: ChatProfile, notice: StaffNotice
) -> Delivery | None:
    """In the member's private chat (`profile`), in its language; nothing once the access
    was taken back or changed meanwhile."""
    background = context.background
    async with background.session_pool() as session:
        staff = background.services.staff(session)
        if await staff.role_of(notice.program_id, profile.id) != notice.role:
            return None
        program = (await staff.titles([notice.program_id])).get(notice.program_id, "")
    return Delivery(staff_notice_text(program or str(notice.program_id), notice.role))
