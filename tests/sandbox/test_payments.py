"""Payments in Telegram Stars as the Bot API documents them: an invoice link with a subscription
(XTR, one price, 30 days only), a pre-checkout query that charges only when answered ok in time,
a renewal as a recurring payment, a refund once, a subscription cancelled by the bot."""

from __future__ import annotations

from typing import Any

from sandbox.vip_client import cancel_in_telegram, charges, pay, renew
from tests.sandbox.test_server import call

INVOICE: dict[str, Any] = {
    "title": "Gold Club", "description": "Monthly", "payload": "vip:1", "currency": "XTR",
    "prices": [{"label": "Gold Club", "amount": 100}], "subscription_period": 2_592_000,
}  # fmt: skip


async def test_an_invoice_link_takes_what_the_docs_allow(server) -> None:
    url, _sandbox = server
    status, made = await call(url, "createInvoiceLink", **INVOICE)
    assert status == 200
    assert made["result"].startswith("https://t.me/$")
    weekly = await call(url, "createInvoiceLink", **{**INVOICE, "subscription_period": 604_800})
    assert weekly[1]["description"] == "Bad Request: SUBSCRIPTION_PERIOD_INVALID"
    two: list[Any] = [{"label": "a", "amount": 1}, {"label": "b", "amount": 2}]
    priced = await call(url, "createInvoiceLink", **{**INVOICE, "prices": two})
    assert priced[1]["description"] == "Bad Request: STARS_INVOICE_INVALID"
    in_dollars = await call(url, "createInvoiceLink", **{**INVOICE, "currency": "USD",
                                                         "provider_token": "t"})  # fmt: skip
    assert in_dollars[1]["description"] == "Bad Request: SUBSCRIPTION_PERIOD_INVALID"


async def test_a_payment_is_charged_only_when_answered_in_time(server) -> None:
    url, sandbox = server
    bob = await sandbox.create_user("Bob")
    link = (await call(url, "createInvoiceLink", **INVOICE))[1]["result"]
    late = await pay(sandbox, bob, link, answer_within=0)
    refused = await call(url, "answerPreCheckoutQuery", pre_checkout_query_id=late, ok=True)
    assert refused[1]["description"].startswith("Bad Request: query is too old")
    no_reason = await call(url, "answerPreCheckoutQuery", pre_checkout_query_id=late, ok=False)
    assert no_reason[0] == 400
    assert await charges(sandbox) == {}

    query = await pay(sandbox, bob, link)
    assert (await call(url, "answerPreCheckoutQuery", pre_checkout_query_id=query, ok=True))[
        0
    ] == 200
    (first,) = (await charges(sandbox)).keys()
    renewed = await renew(sandbox, first)
    assert renewed["renewed"] is True
    updates = (await call(url, "getUpdates"))[1]["result"]
    paid = [u["message"]["successful_payment"] for u in updates if "message" in u]
    assert [(p["is_recurring"], p.get("is_first_recurring")) for p in paid] == [
        (True, True), (True, None),
    ]  # fmt: skip
    assert paid[1]["subscription_expiration_date"] - paid[0]["subscription_expiration_date"] == (
        2_592_000
    )

    refund = {"user_id": bob.id, "telegram_payment_charge_id": renewed["charge_id"]}
    assert (await call(url, "refundStarPayment", **refund))[1]["result"] is True
    again = await call(url, "refundStarPayment", **refund)
    assert again[1]["description"] == "Bad Request: CHARGE_ALREADY_REFUNDED"
    unknown = await call(url, "refundStarPayment", user_id=bob.id, telegram_payment_charge_id="x")
    assert unknown[1]["description"] == "Bad Request: CHARGE_NOT_FOUND"
    # A refund is of one payment: the subscription goes on unless the bot cancels it.
    assert (await renew(sandbox, first))["renewed"] is True


async def test_a_cancelled_subscription_is_not_renewed(server) -> None:
    url, sandbox = server
    bob = await sandbox.create_user("Bob")
    link = (await call(url, "createInvoiceLink", **INVOICE))[1]["result"]
    query = await pay(sandbox, bob, link)
    await call(url, "answerPreCheckoutQuery", pre_checkout_query_id=query, ok=True)
    (first,) = (await charges(sandbox)).keys()
    edit = {"user_id": bob.id, "telegram_payment_charge_id": first}
    assert (await call(url, "editUserStarSubscription", **edit, is_canceled=True))[0] == 200
    assert (await renew(sandbox, first))["renewed"] is False
    assert (await call(url, "editUserStarSubscription", **edit, is_canceled=False))[0] == 200
    assert (await renew(sandbox, first))["renewed"] is True
    await cancel_in_telegram(sandbox, first)  # the member's own cancelling: the bot cannot undo
    await call(url, "editUserStarSubscription", **edit, is_canceled=False)
    assert (await renew(sandbox, first))["renewed"] is False
