"""Payments in Telegram Stars, as the Bot API documents them: `createInvoiceLink` (with a
subscription period), the `pre_checkout_query` a bot must answer within 10 seconds
(`answerPreCheckoutQuery`; unanswered or refused, nothing is charged), the
`successful_payment` message (first and recurring), `refundStarPayment` (its
`refunded_payment` message) and `editUserStarSubscription`. What a member does (pays a link,
the period renews, cancels) is in `sandbox/payments_control.py`."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sandbox.botapi.core import BotApi, Params, method, user_of
from sandbox.errors import bad_request
from sandbox.world import SandboxUser, World

PERIOD = 2_592_000  # "Currently, it must always be 2592000 (30 days) if specified."
ANSWER_WITHIN = 10.0  # seconds the bot has to answer a pre-checkout query
TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class Stars:
    """One sandbox's invoices, open pre-checkout queries, charges and subscriptions."""

    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # link -> invoice
    queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # first charge ->
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


_STARS: WeakKeyDictionary[World, Stars] = WeakKeyDictionary()


def stars_of(world: World) -> Stars:
    found = _STARS.get(world)
    if found is None:
        found = _STARS[world] = Stars()
    return found


def flag(value: Any) -> bool:
    """A boolean as JSON or as a form field."""
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def whole(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise bad_request(f"invalid value for parameter {name}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid value for parameter {name}") from None


@method("createInvoiceLink")
async def create_invoice_link(api: BotApi, params: Params) -> Any:
    title, description = str(params.get("title") or ""), str(params.get("description") or "")
    payload, currency = str(params.get("payload") or ""), str(params.get("currency") or "")
    if not 1 <= len(title) <= 32:
        raise bad_request("TITLE_INVALID")
    if not 1 <= len(description) <= 255:
        raise bad_request("DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    prices = params.get("prices")
    prices = json.loads(prices) if isinstance(prices, str) else prices
    if not isinstance(prices, list) or not prices:
        raise bad_request("can't parse prices JSON object")
    period = params.get("subscription_period")
    if currency == "XTR":
        # "Must contain exactly one item for payments in Telegram Stars"; the token is empty.
        if len(prices) != 1 or params.get("provider_token"):
            raise bad_request("STARS_INVOICE_INVALID")
    elif not params.get("provider_token"):
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    if period is not None and (currency != "XTR" or whole(period, "subscription_period") != PERIOD):
        raise bad_request("SUBSCRIPTION_PERIOD_INVALID")
    amount = whole(prices[0].get("amount"), "prices")
    if amount <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    stars = stars_of(api.world)
    link = f"https://t.me/$invoice{next(stars.numbers)}"
    stars.invoices[link] = {
        "title": title, "payload": payload, "currency": currency, "amount": amount,
        "subscription_period": PERIOD if period is not None else None,
    }  # fmt: skip
    api.world.record("invoice_link", link=link, amount=amount, payload=payload)
    return link


def open_checkout(world: World, user: SandboxUser, link: str, within: float) -> str:
    """The member pressed Pay: a `pre_checkout_query` the bot must answer within `within`."""
    stars = stars_of(world)
    invoice = stars.invoices.get(link)
    if invoice is None:
        raise bad_request("INVOICE_INVALID")
    query_id = str(next(stars.numbers) * 1_000_033)
    stars.queries[query_id] = {
        "user_id": user.id, "link": link, "deadline": time.time() + within, "answered": False,
    }  # fmt: skip
    world.private_chat(user)
    user.started_bot = True  # the payment's messages are in the member's chat with the bot
    world.push_update("pre_checkout_query", {
        "id": query_id, "from": user.to_api(), "currency": invoice["currency"],
        "total_amount": invoice["amount"], "invoice_payload": invoice["payload"],
    })  # fmt: skip
    world.record("pre_checkout", query_id=query_id, user_id=user.id)
    return query_id


@method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(api: BotApi, params: Params) -> Any:
    stars = stars_of(api.world)
    query_id = str(params.get("pre_checkout_query_id") or "")
    query = stars.queries.get(query_id)
    if query is None or query["answered"]:
        raise bad_request(TOO_OLD)
    ok = flag(params.get("ok"))
    if not ok and not params.get("error_message"):
        raise bad_request("ERROR_MESSAGE_EMPTY")
    query["answered"] = True
    if time.time() > query["deadline"]:  # Telegram gave up: the member was never charged
        api.world.record("checkout_expired", query_id=query_id, user_id=query["user_id"])
        raise bad_request(TOO_OLD)
    if not ok:
        api.world.record("checkout_refused", query_id=query_id, error=params["error_message"])
        return True
    user = user_of(api.world, query["user_id"])
    invoice = stars.invoices[query["link"]]
    charge(api.world, user, invoice, query["link"], first=True)
    return True


def charge(
    world: World, user: SandboxUser, invoice: dict[str, Any], link: str, *, first: bool,
    subscription: str | None = None,
) -> str:  # fmt: skip
    """Take the Stars and tell the bot: a `successful_payment` in the member's private chat."""
    stars = stars_of(world)
    charge_id = f"stxCHARGE{next(stars.numbers):06d}"
    paid: dict[str, Any] = {
        "currency": invoice["currency"], "total_amount": invoice["amount"],
        "invoice_payload": invoice["payload"], "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": "",
    }  # fmt: skip
    if invoice["subscription_period"]:
        key = subscription or charge_id
        held = stars.subscriptions.setdefault(key, {
            "user_id": user.id, "link": link, "expires": time.time(), "user_canceled": False,
            "bot_canceled": False,
        })  # fmt: skip
        # A first payment runs from now; a renewal from the end of the period it follows.
        held["expires"] = (time.time() if first else held["expires"]) + invoice[
            "subscription_period"
        ]
        paid |= {"subscription_expiration_date": int(held["expires"]), "is_recurring": True}
        if first:
            paid["is_first_recurring"] = True
    chat = world.private_chat(user)
    message = world.new_message(chat, user, successful_payment=paid)
    stars.charges[charge_id] = {
        "user_id": user.id, "amount": invoice["amount"], "payload": invoice["payload"],
        "refunded": False, "subscription": (subscription or charge_id)
        if invoice["subscription_period"] else None, "message": message,
    }  # fmt: skip
    world.emit_message(chat, message)
    world.record("star_payment", charge_id=charge_id, user_id=user.id, amount=invoice["amount"],
                 first=first)  # fmt: skip
    return charge_id


def users_charge(world: World, params: Params) -> tuple[SandboxUser, str, dict[str, Any]]:
    user = user_of(world, whole(params.get("user_id"), "user_id"))
    charge_id = str(params.get("telegram_payment_charge_id") or "")
    found = stars_of(world).charges.get(charge_id)
    if found is None or found["user_id"] != user.id:
        raise bad_request("CHARGE_NOT_FOUND")
    return user, charge_id, found


@method("refundStarPayment")
async def refund_star_payment(api: BotApi, params: Params) -> Any:
    user, charge_id, found = users_charge(api.world, params)
    if found["refunded"]:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    found["refunded"] = True  # the documentation says no more: the subscription still renews
    chat = api.world.private_chat(user)
    message = api.world.new_message(chat, user, refunded_payment={
        "currency": "XTR", "total_amount": found["amount"], "invoice_payload": found["payload"],
        "telegram_payment_charge_id": charge_id,
    })  # fmt: skip
    api.world.emit_message(chat, message)
    api.world.record("star_refund", charge_id=charge_id, user_id=user.id, amount=found["amount"])
    return True


@method("editUserStarSubscription")
async def edit_user_star_subscription(api: BotApi, params: Params) -> Any:
    user, charge_id, found = users_charge(api.world, params)
    subscription = stars_of(api.world).subscriptions.get(found["subscription"] or "")
    if subscription is None:
        raise bad_request("SUBSCRIPTION_NOT_FOUND")
    if "is_canceled" not in params:
        raise bad_request("parameter is_canceled is required")
    subscription["bot_canceled"] = flag(params["is_canceled"])
    api.world.record("subscription_edited", charge_id=charge_id, user_id=user.id,
                     is_canceled=subscription["bot_canceled"])  # fmt: skip
    return True
