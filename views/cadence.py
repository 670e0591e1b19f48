"""The daily cadence's posts: the morning post, the sign-in reminder and the evening digest.
Pure functions of the day's figures, called in the group's language."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Topic
from services.chats import ChatProfile
from services.digest import DayFigures
from views.keyboards import checkin_keyboard
from views.numbers import MEDALS, number
from views.topics import linked_title


def render(
    part: str,
    profile: ChatProfile,
    fire_time: datetime,
    signed: int,
    figures: DayFigures | None,
    topic: Topic | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    local = fire_time.astimezone(ZoneInfo(profile.timezone))
    if part == "morning":
        lines = [
            _("☀️ Good morning, {group}! Today is {day}.").format(
                group=escape(profile.title), day=f"{local:%Y-%m-%d}"
            ),
            _("Sign in for today's points: say 签到 or press the button."),
        ]
        if topic is not None:
            title = linked_title(profile.id, None, topic)
            lines.append(_("💬 Today's topic: {title}. Join in!").format(title=title))
        return "\n".join(lines), checkin_keyboard()
    if part == "reminder":
        text = _("⏰ {count} signed in today. Not yet? Say 签到 or press the button.").format(
            count=number(signed)
        )
        return text, checkin_keyboard()
    assert figures is not None
    return render_digest(profile, figures), None


def render_digest(profile: ChatProfile, figures: DayFigures) -> str:
    lines = [
        _("🌙 <b>Today in {group}</b>").format(group=escape(profile.title)),
        _("👋 New members: {count}").format(count=number(figures.new_members)),
        _("💬 Messages: {count} from {active} members").format(
            count=number(figures.messages), active=number(figures.active_members)
        ),
        _("✅ Sign-ins: {count}").format(count=number(figures.sign_ins)),
        _("🪙 Points issued: {count}").format(count=number(figures.points_issued)),
        _("🎁 Draws ended: {count}").format(count=number(figures.draws_ended)),
    ]
    if figures.top_earners:
        earners = " ".join(
            f"{medal} {escape(row.name or str(row.user_id))} +{number(row.points)}"
            for medal, row in zip(MEDALS, figures.top_earners, strict=False)
        )
        lines.append(_("🏆 Top earners: {earners}").format(earners=earners))
    for when, post in figures.tomorrow[:5]:
        lines.append(
            _("🗓 Tomorrow {time}: post #{id} {text}").format(
                time=f"{when:%H:%M}", id=post.id, text=escape((post.text or "")[:30])
            )
        )
    for when, post in figures.skipped:
        lines.append(
            _("⚠️ Post #{id} of {time} was skipped: the bot was down.").format(
                id=post.id, time=f"{when:%H:%M}"
            )
        )
    if figures.announcements_skipped:
        lines.append(
            ngettext(
                "⚠️ {count} announcement was too late to post and was skipped.",
                "⚠️ {count} announcements were too late to post and were skipped.",
                figures.announcements_skipped,
            ).format(count=figures.announcements_skipped)
        )
    return "\n".join(lines)
