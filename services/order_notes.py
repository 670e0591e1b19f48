"""What members hear privately of their orders: the points an order earned, what a refund took."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Order, OutboxMessage
from services.clock import Clock
from services.order_messages import OrderPoints, OrderRefunded
from services.outbox import OutboxRow, OutboxService


class OrderNotes:
    """The outbox notes of orders, written in the caller's transaction."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def tell_pending(self, orders: Sequence[Order], language: str | None) -> None:
        """A member who started the bot hears privately what an order earned and when it
        counts (an import of old orders, paid at once, tells nobody), in `language` when the
        member's is known (they bound the nickname just now), else the bot's default."""
        private = await self.private_chats({order.user_id for order in orders if order.user_id})
        outbox = OutboxService(self.session, self.clock)
        await outbox.add_many([
            OutboxRow(order.user_id, OrderPoints(order_id=order.id, language=language),
                      f"order_points:{order.id}")
            for order in orders
            if order.user_id in private
        ])  # fmt: skip

    async def tell_refunded(self, order: Order, points: int, *, paid: bool) -> None:
        """Privately, once per refund, what it took: points paid (taken back), or pending ones
        the member was told of (cancelled). Points nobody announced go quietly, as they came;
        in the language of the note that told of them."""
        note = (
            await self.session.execute(
                select(OutboxMessage.status, OutboxMessage.payload).where(
                    OutboxMessage.key == f"order_points:{order.id}"
                )
            )
        ).one_or_none()
        if not paid and (note is None or note.status != "sent"):
            return  # the note is not out: it will show the order as it is then
        if order.user_id is None or not await self.private_chats({order.user_id}):
            return
        refunded = OrderRefunded(
            order_id=order.id, refunded_fen=order.refunded_fen, points=points, paid=paid,
            language=note.payload.get("language") if note else None,
        )  # fmt: skip
        await OutboxService(self.session, self.clock).add(
            order.user_id, refunded, f"order_refunded:{order.id}:{order.refunded_fen}"
        )

    async def private_chats(self, user_ids: set[int]) -> set[int]:
        """Those of the users who started the bot (their private chat is open)."""
        return set(
            await self.session.scalars(
                select(Chat.id).where(
                    Chat.id.in_(sorted(user_ids)), Chat.type == "private", Chat.active.is_(True)
                )
            )
        )
