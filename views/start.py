"""What a private /start says, by who sends it: someone the bot has not met hears what fanbot
is and how to add it; a member of a group sees their groups with their points and tier; an
admin of a group the bot is in sees how to set it up."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.member_card import GroupStanding
from views.numbers import number
from views.wording import labelled, listed


def unknown_link() -> str:
    return _("That link is old or not one I know.")


def stranger_text(name: str) -> str:
    return _(
        "👋 Hi {name}! I run fan groups: daily sign-in, points and VIP tiers, lucky draws, "
        "topics and scheduled posts.\n\n"
        "Add me to your group and make me an admin to get started. /help lists my commands."
    ).format(name=escape(name))


def member_text(name: str, groups: Sequence[GroupStanding], language: str) -> str:
    lines = [_("👋 Hi {name}! Your groups:").format(name=escape(name))]
    for group in groups:
        tier = escape(group.tier.label(language)) if group.tier else "—"
        standing = ngettext(
            "{points} point · {tier}", "{points} points · {tier}", group.points
        ).format(points=number(group.points), tier=tier)
        lines.append("📍 " + labelled(f"<b>{escape(group.title)}</b>", standing))
    lines += ["", _("/me shows your card, /mycoupons what you have redeemed. Sign in (签到) and "
                    "join draws in the group.")]  # fmt: skip
    return "\n".join(lines)


def operator_text(name: str, groups: Sequence[str], rights_missing: bool) -> str:
    """The set-up, for an admin of `groups`; its first step done when the bot already has
    the rights it needs in each."""
    titles = listed([f"<b>{escape(title)}</b>" for title in groups])
    return "\n".join(
        [
            _("👋 Hi {name}! You run {groups} with me. Setting up takes a minute:").format(
                name=escape(name), groups=titles
            ),
            _("1. Make me an admin there, with the right to delete messages, invite users and "
              "pin: I need them for points, welcomes and invite links.") if rights_missing
            else _("1. ✅ I'm an admin there with the rights I need."),
            _("2. In the group, send /settings: the time zone, the language, sign-in points "
              "and the daily posts, a button per section."),
            _("3. /help in the group lists what admins can do: /draw, /post, /reward, /stats."),
            _("4. Here, /console opens the web console: members, orders, settings and charts."),
        ]
    )  # fmt: skip


def add_to_group_keyboard(bot_username: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("➕ Add me to a group"), url=f"https://t.me/{bot_username}?startgroup=true"
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
