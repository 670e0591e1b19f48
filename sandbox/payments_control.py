"""What a member does with a Stars invoice, as a Telegram app would: pays a link (a
`pre_checkout_query` the bot must answer in time), the subscription's period renews (a recurring
`successful_payment`), the member cancels it in Telegram; and Telegram delivering a payment's
update once more, as after a bot that did not confirm it."""

from __future__ import annotations

from aiohttp import web

from sandbox.botapi import user_of
from sandbox.botapi.payments import ANSWER_WITHIN, charge, open_checkout, stars_of
from sandbox.control import body, world_of

routes = web.RouteTableDef()


@routes.post("/control/payments/pay")
async def pay(request: web.Request) -> web.Response:
    """`{"user_id", "link", "answer_within"?}`: the member opens the invoice link and pays."""
    world, data = world_of(request), await body(request)
    user = user_of(world, int(data["user_id"]))
    if str(data.get("link")) not in stars_of(world).invoices:
        raise web.HTTPBadRequest(text="no such invoice link")
    within = float(data.get("answer_within", ANSWER_WITHIN))
    return web.json_response({"query_id": open_checkout(world, user, str(data["link"]), within)})


def subscription_of(request: web.Request, charge_id: str) -> dict[str, object]:
    world = world_of(request)
    found = stars_of(world).subscriptions.get(charge_id)
    if found is None:
        raise web.HTTPBadRequest(text="no subscription begun by that charge")
    return found


@routes.post("/control/payments/{charge_id}/renew")
async def renew(request: web.Request) -> web.Response:
    """The subscription's period ends and Telegram charges the next: a recurring payment,
    unless the member or the bot cancelled it."""
    world, charge_id = world_of(request), request.match_info["charge_id"]
    held = subscription_of(request, charge_id)
    if held["user_canceled"] or held["bot_canceled"]:
        world.record("subscription_ended", charge_id=charge_id)
        return web.json_response({"renewed": False})
    stars = stars_of(world)
    link = str(held["link"])
    user = user_of(world, int(str(held["user_id"])))
    renewal = charge(world, user, stars.invoices[link], link, first=False, subscription=charge_id)
    return web.json_response({"renewed": True, "charge_id": renewal})


@routes.post("/control/payments/{charge_id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    """The member cancels the subscription in Telegram: it is not renewed (no update)."""
    held = subscription_of(request, request.match_info["charge_id"])
    held["user_canceled"] = True
    world_of(request).record("subscription_canceled", charge_id=request.match_info["charge_id"])
    return web.json_response({"canceled": True})


@routes.post("/control/payments/{charge_id}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    """The payment's `successful_payment` message delivered again, as a new update."""
    world = world_of(request)
    found = stars_of(world).charges.get(request.match_info["charge_id"])
    if found is None:
        raise web.HTTPBadRequest(text="no such charge")
    update = world.push_update("message", found["message"])
    return web.json_response({"update_id": update["update_id"] if update else None})


@routes.get("/control/payments")
async def payments(request: web.Request) -> web.Response:
    """Every charge: who paid what, and whether it was refunded."""
    stars = stars_of(world_of(request))
    return web.json_response({
        charge_id: {key: value for key, value in found.items() if key != "message"}
        for charge_id, found in stars.charges.items()
    })  # fmt: skip
