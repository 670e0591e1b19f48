"""The Bot API methods fanbot uses, answered as Telegram answers them."""

import sandbox.botapi.event_cards  # editMessageCaption: registers on import
import sandbox.botapi.games  # polls and dice: its methods register on import
import sandbox.botapi.payments  # noqa: F401  # Telegram Stars: its methods register on import
from sandbox.botapi import admin_tools, boosts, chats, ephemeral, members, messages, tags, updates
from sandbox.botapi.core import API, BotApi, user_of

__all__ = [
    "API", "BotApi", "admin_tools", "boosts", "chats", "ephemeral", "members", "messages",
    "tags", "updates", "user_of",
]  # fmt: skip
