"""What a topic thread says: its opening, its summary at the close, the best photos' caption,
and links to it. Pure functions, called in the group's language."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Topic
from services.topic_specs import TopicSpec
from services.topics import ClosedTopic
from views.links import message_link
from views.numbers import MEDALS
from views.wording import sentences


def topic_link(chat_id: int, username: str | None, topic: Topic) -> str | None:
    """A t.me link to the forum topic or the anchor; basic groups have none."""
    target = topic.thread_id or topic.anchor_message_id
    return None if target is None else message_link(chat_id, target, username)


def linked_title(chat_id: int, username: str | None, topic: Topic) -> str:
    """The topic's title as HTML: a link to it where the group has links, else in bold."""
    link = topic_link(chat_id, username, topic)
    title = escape(topic.title)
    return f'<a href="{link}">{title}</a>' if link else f"<b>{title}</b>"


def opening_text(spec: TopicSpec, forum: bool, closes_at: datetime) -> str:
    show = spec.kind == "show"
    lines = [(_("📸 Show-off: {title}") if show else _("💬 Topic: {title}")).format(
        title=f"<b>{escape(spec.title)}</b>"
    )]  # fmt: skip
    if show:
        join = (
            _("Post a photo here to join.") if forum else _("Reply to this with a photo to join.")
        )
    else:
        join = _("Post here to join.") if forum else _("Reply to this message to join.")
    lines.append(join)
    if spec.reward > 0:
        earn = (
            ngettext(
                "+{reward} point a photo, for up to {cap} photos each.",
                "+{reward} points a photo, for up to {cap} photos each.",
                spec.reward,
            )
            if show
            else ngettext(
                "+{reward} point a reply of 5+ characters or a photo, for up to {cap} each.",
                "+{reward} points a reply of 5+ characters or a photo, for up to {cap} each.",
                spec.reward,
            )
        )
        lines.append(earn.format(reward=spec.reward, cap=spec.cap))
    prizes = " / ".join(f"+{bonus}" for bonus in spec.bonuses)
    closing = _("Closes {time}.").format(time=f"{closes_at:%m-%d %H:%M}")
    if any(spec.bonuses):
        closing = sentences(
            closing,
            _("The top {count} get {prizes}.").format(count=len(spec.bonuses), prizes=prizes),
        )
    if show:
        closing = sentences(closing, _("The most loved photos are shown at the close."))
    lines.append(closing)
    return "\n".join(lines)


def summary_text(closed: ClosedTopic) -> str:
    title = f"<b>{escape(closed.topic.title)}</b>"
    if closed.replies == 0:
        return _("🏁 {title} is closed. Nobody joined this time.").format(title=title)
    lines = [
        _("🏁 {title} is closed. Thank you all!").format(title=title),
        _("💬 Replies: {replies} · 👥 Members taking part: {participants}").format(
            replies=closed.replies, participants=closed.participants
        ),
    ]
    for medal, member in zip(MEDALS, closed.top, strict=False):
        line = ngettext(
            "{medal} {name}: {replies} reply, {received} received",
            "{medal} {name}: {replies} replies, {received} received",
            member.replies,
        ).format(
            medal=medal, name=escape(member.name), replies=member.replies, received=member.received
        )
        lines.append(f"{line} · +{member.bonus}" if member.bonus else line)
    return "\n".join(lines)


def photos_caption(closed: ClosedTopic) -> str:
    shown = [
        f"{medal} {escape(photo.name)} ❤️ {photo.reactions} · 💬 {photo.replies}"
        for medal, photo in zip(MEDALS, closed.photos, strict=False)
    ]
    return "\n".join([_("📸 The most loved photos"), *shown])
