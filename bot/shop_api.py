"""`POST /shop/orders`: the shop's system posts each order (or its refund) as signed JSON.

Checked before anything is read: the size (64 KB), the timestamp (5 minutes either way) and
the HMAC-SHA256 signature over `<timestamp>.<body>` (`services/shop_signature.signature`). A
new order and the same order again get the same answer, so a caller learns nothing of which ids
exist.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from services.order_files import MAX_POSTED_BYTES, posted_order
from services.shop_signature import signed_in_time
from services.untrusted import json_value
from workflows.orders import OrderIntake

logger = logging.getLogger(__name__)
PATH = "/shop/orders"
ORDER_INTAKE = web.AppKey(
    "order_intake", OrderIntake
)  # set by the composition root (`bot/serve.py`)
TIMESTAMP, SIGNATURE = "X-Fanbot-Timestamp", "X-Fanbot-Signature"


def refused(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


class ShopOrders:
    def __init__(self, secret: str, intake: OrderIntake) -> None:
        self.secret = secret
        self.intake = intake

    def register(self, app: web.Application) -> None:
        app.router.add_post(PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_POSTED_BYTES:
            return refused(413, "body over 64 KB")
        body = await request.content.read(MAX_POSTED_BYTES + 1)
        if len(body) > MAX_POSTED_BYTES:
            return refused(413, "body over 64 KB")
        stamp, given = request.headers.get(TIMESTAMP), request.headers.get(SIGNATURE)
        if not signed_in_time(self.secret, stamp, given, body, time.time()):
            return refused(401, "unsigned, badly signed or more than 5 minutes old")
        try:
            payload = json_value(body)
        except ValueError:
            return refused(400, "bad JSON")
        try:
            group, line = posted_order(payload, "UTC")  # bad fields refused before a lookup
            tally = await self.intake.post(group, payload)
        except ValueError as error:
            return refused(400, f"bad field: {error}")
        except LookupError:
            return refused(404, "no such group")
        if tally.conflicts:
            logger.warning(
                "shop order %s of chat %s: another amount, refused", line.order_id, group
            )
            return refused(409, "this order id was recorded with another amount")
        return web.json_response({"ok": True})
