"""What the bot says about points that expire: the setting, the private warning, the line of
/me."""

from __future__ import annotations

from datetime import date
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.chats import ChatProfile
from services.points_expiry import Expiring, ExpiryRules
from views.numbers import number


def expiry_settings(profile: ChatProfile) -> list[str]:
    days = profile.rules(ExpiryRules).days
    if not days:
        return [_("Points never expire")]
    return [
        ngettext(
            "Points expire {days} day after they are earned, oldest first",
            "Points expire {days} days after they are earned, oldest first",
            days,
        ).format(days=number(days))
    ]


def expiry_set(days: int) -> str:
    if not days:
        return _("✅ Points no longer expire.")
    return ngettext(
        "✅ Points now expire {days} day after they are earned, oldest first; members are "
        "warned privately 30 and 7 days before.",
        "✅ Points now expire {days} days after they are earned, oldest first; members are "
        "warned privately 30 and 7 days before.",
        days,
    ).format(days=number(days))


def expiry_in_joined_group() -> str:
    return _("This group uses its program's points: set their expiry in the program's first group.")


def expiry_warning(points: int, group_title: str, by: date) -> str:
    return ngettext(
        "⏳ {points} of your points in {group} expires by {date}. Use it before then.",
        "⏳ {points} of your points in {group} expire by {date}. Use them before then.",
        points,
    ).format(points=number(points), group=escape(group_title), date=by.isoformat())


def expiring_line(expiring: Expiring | None) -> str | None:
    """The /me line: what expires next and when (None: nothing)."""
    if expiring is None:
        return None
    return ngettext(
        "{points} point expires on {date}",
        "{points} points expire on {date}",
        expiring.points,
    ).format(points=number(expiring.points), date=expiring.on.isoformat())
