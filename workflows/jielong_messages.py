"""What a 接龙 shows in its group: its post, the post's paced edits and the summary when it
ends (the payloads: `services/jielong_messages.py`; the words: `views/jielong.py`). Each is
rendered from the list as it is when it goes out."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import Jielong
from services.chats import ChatProfile
from services.jielong import ListRow
from services.jielong_messages import JielongEdit, JielongPost, JielongSummary
from views.jielong import jielong_keyboard, jielong_post, jielong_summary
from workflows.delivery import Delivery, RenderContext, Renderers
from workflows.topics import Placement

renderers = Renderers()


@renderers.register(JielongPost)
async def post(context: RenderContext, profile: ChatProfile, post: JielongPost) -> Delivery:
    jielong, rows, _people = await _list(context, post.jielong_id)

    async def record(session: AsyncSession, message_id: int) -> None:
        await context.background.services.jielong(session).posted(jielong.id, message_id)

    return Delivery(
        jielong_post(jielong, rows, context.background.timezone_of(profile)),
        markup=jielong_keyboard(jielong),
        record=record,
    )


@renderers.register(JielongEdit)
async def post_edit(
    context: RenderContext, profile: ChatProfile, edit: JielongEdit
) -> Delivery | None:
    """The post as the list is now (ended: no more buttons)."""
    jielong, rows, _people = await _list(context, edit.jielong_id)
    if jielong.message_id is None:
        return None  # not posted yet: the post will show all this
    return Delivery(
        jielong_post(jielong, rows, context.background.timezone_of(profile)),
        markup=jielong_keyboard(jielong),
        edit=jielong.message_id,
    )


@renderers.register(JielongSummary)
async def summary(
    context: RenderContext, profile: ChatProfile, summary: JielongSummary
) -> Delivery:
    jielong, _rows, people = await _list(context, summary.jielong_id)
    return Delivery(jielong_summary(jielong, people), Placement.at(None, jielong.message_id))


async def _list(context: RenderContext, jielong_id: int) -> tuple[Jielong, list[ListRow], int]:
    async with context.background.session_pool() as session:
        jielong = await session.get(Jielong, jielong_id)
        if jielong is None:
            raise LookupError(f"jielong {jielong_id} is gone")
        service = context.background.services.jielong(session)
        return jielong, await service.rows(jielong), await service.people(jielong.id)
