"""What the shop's orders tell the features that follow them (commission, issue 39): an order
recorded or credited to a member, and a refund, in the transaction that changed it. The
follower keeps its own state keyed by the order, so being told twice changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from models import Order
from services.order_rules import OrderRules


class OrderEvents(Protocol):
    async def arrived(self, program_id: int, orders: Sequence[Order], rules: OrderRules) -> None:
        """New orders recorded, or orders credited to a member (`user_id` set) just now."""

    async def refunded(self, order: Order) -> None:
        """The order's `refunded_fen` grew (it is locked, and already written)."""
