"""getUserChatBoosts: a user's boosts of a chat, for a bot that is an admin there."""

from __future__ import annotations

from typing import Any

from sandbox.botapi.core import BotApi, Params, method, user_of
from sandbox.engagement import boosts_of
from sandbox.errors import bad_request


@method("getUserChatBoosts")
async def get_user_chat_boosts(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if not isinstance(params.get("user_id"), int):
        raise bad_request("invalid user_id specified")
    user = user_of(api.world, params["user_id"])
    if chat.is_group and api.world.bot_membership(chat).status not in ("administrator", "creator"):
        raise bad_request("CHAT_ADMIN_REQUIRED")
    if not chat.is_group:
        raise bad_request("chat not found")
    return {"boosts": [dict(boost) for boost in boosts_of(chat, user.id)]}
