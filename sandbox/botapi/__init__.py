"""The Bot API methods fanbot uses, answered as Telegram answers them."""

from sandbox.botapi import boosts, chats, ephemeral, members, messages, tags, updates
from sandbox.botapi.core import API, BotApi, user_of

__all__ = [
    "API", "BotApi", "boosts", "chats", "ephemeral", "members", "messages", "tags", "updates",
    "user_of",
]  # fmt: skip
