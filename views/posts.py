"""A scheduled post as Telegram is to show it: the admin's own text and entities (not HTML),
its photo, its link buttons, its forum thread."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity

from models import ScheduledPost
from services.posts import utf16_length


@dataclass(frozen=True, slots=True)
class PostMessage:
    chat_id: int
    text: str
    entities: list[MessageEntity] | None
    markup: InlineKeyboardMarkup | None
    photo_file_id: str | None
    thread_id: int | None


def post_message(post: ScheduledPost, preview: str = "") -> PostMessage:
    """The post's content, with `preview` above it (`/post test`): its entities move past it."""
    shift = utf16_length(preview)
    entities = [
        MessageEntity(**{**entity, "offset": entity["offset"] + shift}) for entity in post.entities
    ] or None
    markup = (
        InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t, url=u)] for t, u in post.buttons]
        )
        if post.buttons
        else None
    )
    return PostMessage(
        post.chat_id, preview + (post.text or ""), entities, markup, post.photo_file_id,
        post.thread_id,
    )  # fmt: skip
