"""The Bot API methods fanbot uses, answered as Telegram answers them."""

from sandbox.botapi import (
    admin_tools,
    boosts,
    chats,
    ephemeral,
    games,  # polls and dice
    members,
    messages,
    tags,
    updates,
)
from sandbox.botapi.core import API, BotApi, user_of

__all__ = [
    "API", "BotApi", "admin_tools", "boosts", "chats", "ephemeral", "games", "members", "messages",
    "tags", "updates", "user_of",
]  # fmt: skip
