"""A member's copy of a push (the payload: `services/push_messages.py`; the message:
`views/pushes.py`)."""

from __future__ import annotations

from services.chats import ChatProfile
from services.push_messages import PushCopy
from views.pushes import push_message
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(PushCopy)
async def push_copy(context: RenderContext, profile: ChatProfile, copy: PushCopy) -> Delivery:
    """The push as the admin wrote it, in the member's private chat (`profile`)."""
    async with context.background.session_pool() as session:
        push = await context.background.services.pushes(session).push(copy.push_id)
    if push is None:
        raise LookupError("no such push")
    return Delivery("", post=push_message(push, profile.id))
