"""A test's hands for Telegram Stars (`sandbox/payments_control.py`): a member pays an invoice
link, the subscription renews, the member cancels it, Telegram redelivers a payment."""

from __future__ import annotations

from typing import Any

from sandbox.client import SandboxClient, User


async def pay(
    sandbox: SandboxClient, user: User, link: str, answer_within: float | None = None
) -> str:
    """The member pays the link: the pre-checkout query's id (the charge follows the bot's ok;
    `answer_within` 0: Telegram has given up before the bot could answer)."""
    payload: dict[str, Any] = {"user_id": user.id, "link": link}
    if answer_within is not None:
        payload["answer_within"] = answer_within
    found = await sandbox.request("POST", "/control/payments/pay", payload)
    return str(found["query_id"])


async def renew(sandbox: SandboxClient, charge_id: str) -> dict[str, Any]:
    """The period ends: the subscription begun by `charge_id` is charged again (or ends)."""
    found: dict[str, Any] = await sandbox.request("POST", f"/control/payments/{charge_id}/renew")
    return found


async def cancel_in_telegram(sandbox: SandboxClient, charge_id: str) -> None:
    await sandbox.request("POST", f"/control/payments/{charge_id}/cancel")


async def redeliver(sandbox: SandboxClient, charge_id: str) -> None:
    await sandbox.request("POST", f"/control/payments/{charge_id}/redeliver")


async def charges(sandbox: SandboxClient) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = await sandbox.request("GET", "/control/payments")
    return found
