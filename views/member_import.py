"""What `/import members` says: the dry run's figures and refusals by line, its buttons, and
what applying did."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.member_files import MemberFileError
from services.member_import import ImportPlan
from views.keyboards import Button
from views.numbers import number
from views.orders import refused_lines


class ImportButton(Button, prefix="mimport"):
    """Import (`go`) or Cancel under a dry run; the file is the message the dry run answers."""

    go: bool


def import_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("Import"), callback_data=ImportButton(go=True).pack()),
                InlineKeyboardButton(text=_("Cancel"), callback_data=ImportButton(go=False).pack()),
            ]
        ]
    )


def member_file_problem(error: MemberFileError) -> str:
    if error.reason == "columns":
        return _(
            "The file has no column for: {fields}. fanbot reads user_id or username, points "
            "(or 用户ID/用户名, 积分), and optionally lifetime, tier, joined, streak."
        ).format(fields=", ".join(error.missing))
    if error.reason == "mixed encoding":
        return _("Line {line} is not {encoding} like the lines before it: save the whole "
                 "file in one encoding (UTF-8) and send it again.").format(
            line=error.line, encoding=error.encoding)  # fmt: skip
    return {
        "too big": _("The file is over 20 MB; split it."),
        "not text": _("That file is not text: send the member list as CSV (UTF-8 or GBK)."),
        "empty": _("The file is empty."),
        "too many rows": _("The file has over 100,000 members; split it."),
    }.get(error.reason, _("I couldn't read that file; send it again."))


def member_refusal(reason: str) -> str:
    return {
        "member": _("no user id or @username"),
        "unknown username": _("unknown @username (never seen in the group)"),
        "points": _("points not a whole number"),
        "out of range": _("points out of range"),
        "lifetime": _("lifetime not a whole number"),
        "tier": _("no such tier"),
        "joined": _("joined not a date"),
        "streak": _("streak not a whole number"),
        "twice": _("the member again"),
        "too long": _("a field too long"),
    }.get(reason, reason)


def plan_text(plan: ImportPlan, *, applied: bool) -> str:
    """The dry run (`applied` False) or what applying did."""
    title = _("<b>Members imported</b>") if applied else _("<b>Dry run: nothing changed yet</b>")
    lines = [
        title
        + " "
        + ngettext("({rows} row)", "({rows} rows)", plan.rows).format(rows=number(plan.rows)),
        ngettext(
            "👤 {matched} member matched, {new} new by id",
            "👤 {matched} members matched, {new} new by id",
            plan.matched,
        ).format(matched=number(plan.matched), new=number(plan.new)),
    ]
    if applied:
        lines.append(
            ngettext(
                "💰 {n} member's points carried over", "💰 {n} members' points carried over",
                plan.applied,
            ).format(n=number(plan.applied))
        )  # fmt: skip
    lines.append(
        ngettext("💰 {n} point to add", "💰 {n} points to add", plan.points).format(
            n=number(plan.points)
        )
        if not applied
        else ngettext("💰 {n} point added", "💰 {n} points added", plan.points).format(
            n=number(plan.points)
        )
    )
    if plan.unchanged:
        lines.append(
            ngettext(
                "↩️ {n} member already imported as the file says",
                "↩️ {n} members already imported as the file says",
                plan.unchanged,
            ).format(n=number(plan.unchanged))
        )
    refused = sorted((line.line, member_refusal(line.reason)) for line in plan.refused)
    lines += refused_lines(refused)
    if not applied:
        lines.append(_("Press Import to apply, or send /import members go with the file."))
    return "\n".join(lines)
