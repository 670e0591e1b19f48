"""Around every command handler, in one layer (each layer is rebuilt per call): the sender-only
scope opens (`infrastructure/sender_only.py`), and a handler flagged `once` runs once per message.

Telegram redelivers an update the bot did not confirm; if the bot died after committing the
command's change, running it again would create a second draw or post, or claim a success
twice. The receipt is written in the update's transaction, so it commits with the change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from infrastructure.sender_only import for_sender, open_scope
from services.receipts import first_receipt

ONCE = {"once": True}  # handler flags: `router.message.register(..., flags=ONCE)`


class CommandMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        incoming = event if isinstance(event, Message) else None
        open_scope(
            data.get("chat_profile"),
            data.get("event_from_user"),
            admins=data.get("admin_cache"),
            incoming=incoming,
        )
        # An ephemeral command's message_id is 0 (and its ephemeral id is reused): it cannot
        # key a receipt, so it runs as sent (the commands registered ephemeral only show).
        if not get_flag(data, "once") or incoming is None or incoming.ephemeral_message_id:
            return await handler(event, data)
        command = (incoming.text or incoming.caption or "").split(maxsplit=1)
        if len(command) < 2:  # the bare command only shows or asks: nothing to repeat
            return await handler(event, data)
        name = command[0].lstrip("/").split("@")[0]
        if await first_receipt(
            data["session"], data["clock"], incoming.chat.id, incoming.message_id, name
        ):
            return await handler(event, data)
        await incoming.reply(for_sender(_("⏭ Already done: I handled this command before.")))
        return None
