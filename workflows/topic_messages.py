"""A closed topic's summary (the payload, rendered when the topic closed:
`services/topic_messages.py`; the words: `views/topics.py`)."""

from __future__ import annotations

from services.chats import ChatProfile
from services.topic_messages import TopicSummary
from workflows.delivery import Delivery, RenderContext, Renderers
from workflows.topics import Placement

renderers = Renderers()


@renderers.register(TopicSummary)
async def summary(context: RenderContext, profile: ChatProfile, summary: TopicSummary) -> Delivery:
    """In the topic's forum thread (closed after it) or under its anchor, the photos after."""
    return Delivery(
        summary.text,
        Placement.at(summary.thread_id, summary.anchor_id),
        photos=summary.photos,
        caption=summary.caption,
        close_thread=summary.thread_id is not None,
    )
