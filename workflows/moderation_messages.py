"""A moderation action in the group's log channel (the payload:
`services/moderation_messages.py`; the line: `views/moderation.py`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models import ModAction
from services.chats import ChatProfile
from services.members import display_names
from services.moderation_messages import ModLog
from views.moderation import channel_log_text
from views.posts import PostMessage
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(ModLog)
async def log_line(context: RenderContext, profile: ChatProfile, log: ModLog) -> Delivery | None:
    """The action as a plain line in the group's log channel (None: the channel is unset since)."""
    channel = profile.moderation.log_channel
    if channel is None:
        return None  # turned off since
    async with context.background.session_pool() as session:
        entry = await session.get(ModAction, log.action_id)
        if entry is None:
            raise LookupError("no such action")
        people = [who for who in (entry.target_id, entry.actor_id) if who is not None]
        names = await display_names(session, profile.id, people)
    text = channel_log_text(entry, profile.title, names, ZoneInfo(profile.timezone))
    return Delivery("", post=PostMessage(channel, text, None, None, None, None))
