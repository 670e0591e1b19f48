"""What a 拼团 shows: its post and the post's paced edits in the group, each participant's
result privately (the payloads: `services/group_buy_messages.py`; the words:
`views/group_buys.py`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import GroupBuy
from services.chats import ChatProfile
from services.group_buy_messages import GroupBuyEdit, GroupBuyPost, GroupBuyResult
from views.group_buys import group_buy_keyboard, group_buy_post, group_buy_result
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(GroupBuyPost)
async def post(context: RenderContext, profile: ChatProfile, post: GroupBuyPost) -> Delivery:
    group_buy = await _group_buy(context, post.group_buy_id)

    async def record(session: AsyncSession, message_id: int) -> None:
        await context.background.services.group_buys(session).posted(group_buy.id, message_id)

    return Delivery(
        group_buy_post(group_buy, context.background.timezone_of(profile)),
        markup=group_buy_keyboard(group_buy),
        record=record,
    )


@renderers.register(GroupBuyEdit)
async def post_edit(
    context: RenderContext, profile: ChatProfile, edit: GroupBuyEdit
) -> Delivery | None:
    group_buy = await _group_buy(context, edit.group_buy_id)
    if group_buy.message_id is None:
        return None  # not posted yet: the post will show all this
    return Delivery(
        group_buy_post(group_buy, context.background.timezone_of(profile)),
        markup=group_buy_keyboard(group_buy),
        edit=group_buy.message_id,
    )


@renderers.register(GroupBuyResult)
async def result(context: RenderContext, profile: ChatProfile, row: GroupBuyResult) -> Delivery:
    """In the participant's private chat (the row's chat): their code, or that it failed,
    said in the group's language (the post they joined spoke it)."""
    async with context.background.session_pool() as session:
        service = context.background.services.group_buys(session)
        group_buy, code = await service.result_of(row.group_buy_id, row.user_id)
        group = await context.background.services.chats(session).profile(group_buy.chat_id)
    with context.background.speaking(group):  # in the language of the group it ran in
        return Delivery(group_buy_result(group_buy, code))


async def _group_buy(context: RenderContext, group_buy_id: int) -> GroupBuy:
    async with context.background.session_pool() as session:
        group_buy = await session.get(GroupBuy, group_buy_id)
    if group_buy is None:
        raise LookupError(f"group buy {group_buy_id} is gone")
    return group_buy
