"""A scheduled post as Telegram is to show it: the admin's own text and entities (not HTML),
its photo, its link buttons, its forum thread."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity
from aiogram.utils.i18n import gettext as _

from models import ScheduledPost
from services.posts import WEEKDAYS, utf16_length
from views.wording import listed


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


def schedule_text(schedule: str) -> str:
    """A stored schedule as a person reads it: `daily 09:00` is "every day at 09:00" (每天
    09:00); a cron expression is shown as typed."""
    kind, _space, rest = schedule.partition(" ")
    if kind == "daily":
        return _("every day at {time}").format(time=rest)
    if kind == "weekly":
        days, _space, at = rest.partition(" ")
        names = weekday_names()
        return _("every {days} at {time}").format(
            days=listed([names[day] for day in days.split(",") if day in names]), time=at
        )
    if kind == "at":
        return _("once, at {time}").format(time=rest)
    return _("by cron {expression}").format(expression=f"<code>{escape(rest)}</code>")


def weekday_names() -> dict[str, str]:
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return dict(zip(WEEKDAYS, names, strict=True))
