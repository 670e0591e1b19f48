"""What the bot says of a brand's program: its groups, joining two, and what a join did."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.program_merge import JoinPreview, MergeReport
from views.keyboards import Button
from views.numbers import number


class JoinButton(Button, prefix="pjoin"):
    into: int  # the program that stays
    merged: int  # the program that joins it
    go: bool


def program_text(name: str, groups: list[str], accounts: int, program_id: int) -> str:
    """/program: the brand's groups and accounts, and how to add a group."""
    listed = "\n".join(f"• {escape(title)}" for title in groups)
    return "\n".join([
        _("🏷 Program: <b>{name}</b>").format(name=escape(name)),
        ngettext("{n} group shares its members' accounts:", "{n} groups share their members' "
                 "accounts:", len(groups)).format(n=len(groups)),
        listed,
        ngettext("{n} member account", "{n} member accounts", accounts).format(n=number(accounts)),
        _("To add a group: in that group, an admin of both sends <code>/program join {id}</code>.")
        .format(id=program_id),
    ])  # fmt: skip


def join_preview_text(preview: JoinPreview, here: str, there: str) -> str:
    """What joining this group's program into the other's would do, before it is confirmed."""
    return "\n".join([
        _("Join <b>{here}</b> into the program of <b>{there}</b>?").format(
            here=escape(here), there=escape(there)),
        ngettext("• {n} member account moves in with its points, lifetime, tier and streak",
                 "• {n} member accounts move in with their points, lifetime, tiers and streaks",
                 preview.accounts).format(n=number(preview.accounts)),
        ngettext("• {n} member has an account in both: they are added up",
                 "• {n} members have an account in both: they are added up",
                 preview.shared).format(n=number(preview.shared)),
        _("• the shop, orders and nickname bindings become the program's; the ladder of {there} "
          "applies").format(there=escape(there)),
        _("• welcome, rules, moderation, topics and message points stay each group's own"),
        _("This cannot be undone."),
    ])  # fmt: skip


def join_keyboard(into: int, merged: int) -> InlineKeyboardMarkup:
    def button(text: str, go: bool) -> InlineKeyboardButton:
        data = JoinButton(into=into, merged=merged, go=go)
        return InlineKeyboardButton(text=text, callback_data=data.pack())

    return InlineKeyboardMarkup(inline_keyboard=[[button(_("✅ Join"), True),
                                                  button(_("✖️ Cancel"), False)]])  # fmt: skip


def joined_text(report: MergeReport, groups: int) -> str:
    lines = [
        ngettext("✅ Joined: {n} group now shares one program.",
                 "✅ Joined: {n} groups now share one program.", groups).format(n=groups),
        ngettext("{n} account moved in ({points} points).", "{n} accounts moved in ({points} "
                 "points).", report.accounts).format(n=number(report.accounts),
                                                     points=number(report.points)),
    ]  # fmt: skip
    if report.duplicate_bindings:
        lines.append(
            ngettext(
                "⚠️ {n} nickname is bound to different members in the two: settle it with "
                "/unbind and /bind: {names}",
                "⚠️ {n} nicknames are bound to different members in the two: settle them with "
                "/unbind and /bind: {names}",
                len(report.duplicate_bindings),
            ).format(
                n=len(report.duplicate_bindings),
                names=", ".join(escape(d["nickname"]) for d in report.duplicate_bindings[:10]),
            )
        )
    if report.duplicate_orders:
        lines.append(
            ngettext("⚠️ {n} order number was in both; the joining group's copy stays apart.",
                     "⚠️ {n} order numbers were in both; the joining group's copies stay apart.",
                     len(report.duplicate_orders)).format(n=len(report.duplicate_orders))
        )  # fmt: skip
    return "\n".join(lines)


def cannot_join_text(reason: str) -> str:
    return {
        "same": _("These groups already share one program."),
        "unknown": _("I'm not in that group."),
        "admin": _("Only an admin of both groups, and of each brand's first group, can join them."),
        "cancelled": _("Cancelled: the groups keep their own programs."),
        "moved": _("One of the groups has joined another program since: send /program join again."),
    }.get(reason, _("These groups can't be joined."))
