"""A member's copy of a push (the payload: `services/push_messages.py`; the message:
`views/pushes.py`)."""

from __future__ import annotations

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.push_messages import PushCopy
from views.pushes import push_message
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(PushCopy)
async def push_copy(context: RenderContext, profile: ChatProfile, copy: PushCopy) -> Delivery:
    """The push as the admin wrote it, in the member's private chat (`profile`), under the
    name of the group it is from."""
    async with context.background.session_pool() as session:
        push = await context.background.services.pushes(session).push(copy.push_id)
        group = (
            None
            if push is None
            else await context.background.services.chats(session).profile(push.chat_id)
        )
    if push is None or group is None:
        raise LookupError("no such push")
    language = reply_language(group, None, context.background.i18n.default_locale)
    with context.background.i18n.use_locale(language):  # the group's: the member's is unknown
        return Delivery("", post=push_message(push, profile.id, group.title))
