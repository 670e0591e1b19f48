"""A scheduled post's run (the payload: `services/post_messages.py`; the content:
`views/posts.py`)."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession

from models import ScheduledPost
from services.chats import ChatProfile
from services.post_messages import ScheduledPostRun
from services.posts import RunStatus
from views.posts import post_message
from workflows.delivery import Delivery, RenderContext, Renderers

logger = logging.getLogger(__name__)
renderers = Renderers()


@renderers.register(ScheduledPostRun)
async def scheduled_post(
    context: RenderContext, profile: ChatProfile, run: ScheduledPostRun
) -> Delivery:
    """The post as the admin wrote it, pinned if it says so; the run recorded sent, or failed
    (and the post paused when the bot was removed from its chat)."""
    post_id, fire_time, services = run.post_id, run.fire_time, context.background.services
    async with context.background.session_pool() as session:
        post = await session.get(ScheduledPost, post_id)
    if post is None or not post.enabled:
        raise LookupError(f"post {post_id} was deleted or paused since")

    async def record(session: AsyncSession, message_id: int) -> None:
        await services.posts(session).finish(post_id, fire_time, RunStatus.SENT, message_id)

    async def refused(session: AsyncSession, error: TelegramAPIError) -> None:
        posts = services.posts(session)
        await posts.finish(post_id, fire_time, RunStatus.FAILED)
        if isinstance(error, TelegramForbiddenError):
            logger.warning("post %s is off: the bot was removed from its chat", post_id)
            await posts.disable(post_id, "bot removed")

    return Delivery("", post=post_message(post), pin=post.pin, record=record, refused=refused)
