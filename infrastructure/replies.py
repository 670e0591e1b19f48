"""What a message really replies to. In a forum topic, Telegram sets `reply_to_message` of a
message that answers nothing in particular to the topic's opening service message
(`forum_topic_created`): that is no reply, and a command typed so acts on nothing."""

from __future__ import annotations

from aiogram import F
from aiogram.types import Message, User


def replied_message(message: Message) -> Message | None:
    """The message this one answers, or None: no reply, or only the topic it was posted in."""
    parent = message.reply_to_message
    if parent is None or parent.forum_topic_created is not None:
        return None
    if message.is_topic_message and parent.message_id == message.message_thread_id:
        return None  # the topic's opening message, sent to us without its service field
    return parent


def replied_sender(message: Message) -> User | None:
    """Who sent the message this one answers (the member a command as a reply is about)."""
    replied = replied_message(message)
    return replied.from_user if replied is not None else None


# For routers' filters: a message that really replies to another (`F.reply_to_message` is true
# for every message posted in a forum topic).
REAL_REPLY = F.func(replied_message)
