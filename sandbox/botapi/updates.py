"""getMe, getUpdates and webhooks."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from sandbox.botapi.core import BotApi, Params, method
from sandbox.errors import BotApiError, bad_request


@method("getMe")
async def get_me(api: BotApi, params: Params) -> Any:
    return {
        **api.world.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not api.world.privacy_mode,
        "supports_inline_queries": False,
    }


@method("getUpdates")
async def get_updates(api: BotApi, params: Params) -> Any:
    world = api.world
    if world.webhook is not None:
        raise BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    api._poll_generation += 1
    generation = api._poll_generation
    world.poke_updates()  # wakes an older long poll, which then sees it was superseded
    if "allowed_updates" in params and params["allowed_updates"] is not None:
        world.allowed_updates = list(params["allowed_updates"]) or None
    offset = params.get("offset")
    if isinstance(offset, int) and offset > 0:
        world.confirm(offset)
    limit = max(1, min(100, int(params.get("limit") or 100)))
    deadline = time.monotonic() + max(0, int(params.get("timeout") or 0))
    if world.polling_since is None:
        world.polling_since = time.time()
        world.record("polling")
    while not world.pending and time.monotonic() < deadline:
        signal = world.updates_signal
        try:
            await asyncio.wait_for(signal.wait(), deadline - time.monotonic())
        except TimeoutError:
            break
        finally:
            superseded = generation != api._poll_generation
        if superseded:
            raise BotApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
    return world.take_updates(limit)


@method("setWebhook")
async def set_webhook(api: BotApi, params: Params) -> Any:
    url = params.get("url") or ""
    if not url:
        api.world.webhook = None
        return True
    if not re.match(r"^https?://", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    if params.get("drop_pending_updates"):
        api.world.pending.clear()
    if params.get("allowed_updates") is not None:
        api.world.allowed_updates = list(params["allowed_updates"]) or None
    api.world.webhook = {"url": url, "secret_token": secret}
    api.world.poke_updates()
    api.world.record("webhook_set", url=url)
    return True


@method("deleteWebhook")
async def delete_webhook(api: BotApi, params: Params) -> Any:
    api.world.webhook = None
    if params.get("drop_pending_updates"):
        api.world.pending.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(api: BotApi, params: Params) -> Any:
    webhook = api.world.webhook or {}
    return {
        "url": webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(api.world.pending),
    }
