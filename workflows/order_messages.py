"""What is said of shop orders: privately, what an order earns and what a refund took; to the
admins, a nickname a second member proved (the payloads: `services/order_messages.py`; the
words: `views/orders.py`)."""

from __future__ import annotations

import html

from infrastructure.i18n import reply_language
from models import Order
from services.chats import ChatProfile
from services.members import display_names
from services.order_messages import BindClaimed, OrderPoints, OrderRefunded
from services.orders import payable
from views.orders import bind_claimed_text, order_points_text, order_refunded_text
from views.posts import PostMessage
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(OrderPoints)
async def order_points(
    context: RenderContext, profile: ChatProfile, note: OrderPoints
) -> Delivery | None:
    """Privately, what an order earns and when (None once refunded in full)."""
    order, group = await _order(context, note.order_id)
    if payable(order) == 0 or group is None:
        return None
    with context.background.i18n.use_locale(note.language or _default(context)):
        return Delivery(
            order_points_text(
                group.title, order.amount_fen - order.refunded_fen, payable(order),
                order.confirm_at or order.paid_at, group.timezone, order.title,
            )
        )  # fmt: skip


@renderers.register(OrderRefunded)
async def order_refunded(
    context: RenderContext, profile: ChatProfile, note: OrderRefunded
) -> Delivery | None:
    """Privately, what a refund took of the points the member was told of."""
    order, group = await _order(context, note.order_id)
    if group is None:
        return None
    with context.background.i18n.use_locale(note.language or _default(context)):
        return Delivery(
            order_refunded_text(
                group.title,
                note.refunded_fen,
                order.amount_fen,
                note.points,
                note.paid,
                order.title,
            )
        )


@renderers.register(BindClaimed)
async def bind_claimed(
    context: RenderContext, profile: ChatProfile, claim: BindClaimed
) -> Delivery | None:
    """To the admins: privately (the row is an admin's private chat), or in the group's log
    channel (the row is the group's). Never in the group itself."""
    if claim.group is None:
        return None  # written before the alert went to the admins: never in the group
    holder, claimant = claim.holder, claim.claimant
    async with context.background.session_pool() as session:
        group = await context.background.services.chats(session).profile(claim.group)
        names = await display_names(session, claim.group, [holder, claimant])
    if group is None:
        raise LookupError("no such group")
    language = reply_language(group, None, _default(context))
    with context.background.i18n.use_locale(language):  # the group's, as its admins chose
        text = bind_claimed_text(
            group.title, names.get(claimant, str(claimant)), names.get(holder, str(holder)),
            claim.buyer, claim.holder_proof,
        )  # fmt: skip
    if profile.id != claim.group:
        return Delivery(text)
    channel = profile.moderation.log_channel
    if channel is None:
        return None  # turned off since
    plain = html.unescape(text)  # a channel post is plain text, as the moderation log's
    return Delivery("", post=PostMessage(channel, plain, None, None, None, None))


async def _order(context: RenderContext, order_id: int) -> tuple[Order, ChatProfile | None]:
    """The order, and the profile of its group (None: the group is gone)."""
    async with context.background.session_pool() as session:
        order = await context.background.services.orders(session).order(order_id)
        if order is None:
            raise LookupError("no such order")
        group = await context.background.services.chats(session).profile(order.chat_id)
    return order, group


def _default(context: RenderContext) -> str:
    return context.background.i18n.default_locale
