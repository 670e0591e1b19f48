"""The daily posts: the morning post (opening the daily topic it names), the reminder with the
day's sign-ins, the digest with the day's figures (the payload: `services/cadence_messages.py`;
the words: `views/cadence.py`)."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Topic
from services.cadence_messages import CadencePost
from services.chats import ChatProfile
from services.clock import local_day
from services.posts import RunStatus
from views.cadence import render
from workflows.delivery import Delivery, RenderContext, Renderers
from workflows.topics import TopicRightsMissing

logger = logging.getLogger(__name__)
renderers = Renderers()


@renderers.register(CadencePost)
async def daily_post(context: RenderContext, profile: ChatProfile, post: CadencePost) -> Delivery:
    """The slot's post as things are when it goes out; its run recorded sent, or failed."""
    part, fire_time, services = post.part, post.fire_time, context.background.services
    day = local_day(fire_time, profile.timezone)
    signed, figures = 0, None
    async with context.background.session_pool() as session:
        if part == "reminder":
            signed = await services.checkins(session).count_on(profile.id, day)
        elif part == "digest":
            figures = await services.digest(session).day(profile.id, profile.timezone, day)
    topic = await _daily_topic(context, profile, post.topic_id)
    text, markup = render(part, profile, fire_time, signed, figures, topic)

    async def record(session: AsyncSession, message_id: int) -> None:
        await services.cadence(session).finish(profile.id, part, fire_time, RunStatus.SENT)

    async def refused(session: AsyncSession, error: TelegramAPIError) -> None:
        await services.cadence(session).finish(profile.id, part, fire_time, RunStatus.FAILED)

    return Delivery(text, markup=markup, record=record, refused=refused)


async def _daily_topic(
    context: RenderContext, profile: ChatProfile, topic_id: int | None
) -> Topic | None:
    if topic_id is None or context.topics is None:
        return None
    try:
        return await context.topics.open_queued(context.bot, profile, topic_id)
    except TopicRightsMissing:
        logger.info("no daily topic in chat %s: the bot may not manage topics", profile.id)
        return None  # the admins were told
    except TelegramAPIError as error:
        logger.warning("the daily topic of chat %s did not open: %s", profile.id, error)
        return None
