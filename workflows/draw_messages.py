"""What a draw shows in its group: its post and the post's edits, its result and the result's
edits (the payloads: `services/draw_messages.py`; the words: `views/draws.py`). Each is
rendered from the draw as it is when it goes out."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import Draw
from services.chats import ChatProfile
from services.draw_messages import DrawEdit, DrawPost, DrawResult, DrawResultEdit
from services.members import display_names
from views.draws import claim_keyboard, post_keyboard, render_post, render_result
from workflows.delivery import Delivery, RenderContext, Renderers
from workflows.topics import Placement

renderers = Renderers()


@renderers.register(DrawPost)
async def post(context: RenderContext, profile: ChatProfile, post: DrawPost) -> Delivery:
    draw = await _draw(context, post.draw_id)

    async def record(session: AsyncSession, message_id: int) -> None:
        await context.background.services.draws(session).posted(draw.id, message_id)

    return Delivery(
        render_post(draw, context.background.timezone_of(profile)),
        markup=post_keyboard(draw),
        record=record,
    )


@renderers.register(DrawEdit)
async def post_edit(
    context: RenderContext, profile: ChatProfile, edit: DrawEdit
) -> Delivery | None:
    """The post as the draw is now: its count, or ended or cancelled (no more button)."""
    draw = await _draw(context, edit.draw_id)
    if draw.message_id is None:
        return None  # not posted yet: the post will show all this
    return Delivery(
        render_post(draw, context.background.timezone_of(profile)),
        markup=post_keyboard(draw),
        edit=draw.message_id,
    )


@renderers.register(DrawResult)
async def result(context: RenderContext, profile: ChatProfile, result: DrawResult) -> Delivery:
    """The winners, as a reply to the post."""
    draw = await _draw(context, result.draw_id)

    async def record(session: AsyncSession, message_id: int) -> None:
        await context.background.services.draws(session).result_posted(draw.id, message_id)

    return Delivery(
        await _result_text(context, profile, draw, result.entrants),
        Placement.at(None, draw.message_id),
        markup=claim_keyboard(draw.id) if draw.winner_ids else None,
        record=record,
    )


@renderers.register(DrawResultEdit)
async def result_edit(
    context: RenderContext, profile: ChatProfile, edit: DrawResultEdit
) -> Delivery | None:
    """The result with the winners as they are now (after a claim or a reroll)."""
    draw = await _draw(context, edit.draw_id)
    if draw.result_message_id is None:
        return None  # the result is not out yet, and will show them
    return Delivery(
        await _result_text(context, profile, draw, draw.entrants),
        markup=claim_keyboard(draw.id),
        edit=draw.result_message_id,
    )


async def _draw(context: RenderContext, draw_id: int) -> Draw:
    async with context.background.session_pool() as session:
        draw = await session.get(Draw, draw_id)
    if draw is None:
        raise LookupError(f"draw {draw_id} is gone")
    return draw


async def _result_text(
    context: RenderContext, profile: ChatProfile, draw: Draw, entrants: int
) -> str:
    async with context.background.session_pool() as session:
        names = await display_names(session, profile.id, draw.winner_ids)
    page = f"{context.web_url}/d/{draw.chat_id}/{draw.id}" if context.web_url else None
    return render_result(draw, entrants, names, page)
