"""What the bot says of reports: the reporter's answer in the group, and the admin's private
copy with its buttons (and what it says once an admin settled it)."""

from __future__ import annotations

from html import escape
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Report
from services.reports import REPORTS_AN_HOUR, Reported, ReportOutcome
from views.keyboards import Button
from views.links import message_link
from views.moderation import mention
from views.numbers import number

ReportAction = Literal["delete", "mute", "ban", "handled"]


class ReportButton(Button, prefix="report"):
    """An admin's answer to a report, pressed in their private chat."""

    report_id: int
    action: str


def reported_text(outcome: ReportOutcome) -> str:
    """The reporter's answer, in the group (for them only)."""
    if outcome.outcome is Reported.THROTTLED:
        return ngettext(
            "You've sent {n} report in the last hour: please wait before reporting more.",
            "You've sent {n} reports in the last hour: please wait before reporting more.",
            REPORTS_AN_HOUR,
        ).format(n=number(REPORTS_AN_HOUR))
    if outcome.outcome is Reported.AGAIN:
        return _("You reported this message already; the admins have it.")
    if outcome.outcome is Reported.NEW and outcome.told == 0:
        return _("✅ Reported. No admin has started a private chat with me yet, so none could "
                 "be told privately: mention one if it is urgent.")  # fmt: skip
    if outcome.outcome is Reported.ADDED:
        return ngettext(
            "✅ Reported to the admins ({n} member has reported this message).",
            "✅ Reported to the admins ({n} members have reported this message).",
            outcome.reporters,
        ).format(n=number(outcome.reporters))
    return _("✅ Reported to the admins.")


def not_reportable_text() -> str:
    return _("Admins' messages (and mine) can't be reported.")


def report_needs_reply_text() -> str:
    return _("Reply to the message you want to report.")


def report_notice_text(report: Report, group: str, reporter: str) -> str:
    """The admin's private copy of a report."""
    lines = [
        _("🚩 <b>Report in {group}</b>").format(group=escape(group)),
        _("{reporter} reported a message by {name}:").format(
            reporter=escape(reporter), name=mention(report.target_id, report.target_name)
        ),
    ]
    if report.excerpt:
        lines.append(f"<blockquote>{escape(report.excerpt)}</blockquote>")
    return "\n".join(lines)


def report_keyboard(report: Report) -> InlineKeyboardMarkup:
    def button(text: str, action: ReportAction) -> InlineKeyboardButton:
        data = ReportButton(report_id=report.id, action=action).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    rows = [
        [button(_("🗑 Delete"), "delete"), button(_("🔇 Mute 24 h"), "mute")],
        [button(_("⛔ Ban"), "ban"), button(_("✅ Handled"), "handled")],
    ]
    link = message_link(report.chat_id, report.message_id)
    if link is not None:
        rows.insert(0, [InlineKeyboardButton(text=_("↗️ Open the message"), url=link)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def report_settled_text(report: Report, group: str, admin: str) -> str:
    """The admin's copy once the report is settled: what was done, and by whom."""
    done = {
        "deleted": _("✅ {admin} deleted the message."),
        "muted": _("✅ {admin} muted {name} for 24 hours."),
        "banned": _("✅ {admin} banned {name}."),
        "handled": _("✅ {admin} marked it handled."),
    }[report.state]
    reporters = ngettext(
        "Reported by {n} member.", "Reported by {n} members.", report.reporters
    ).format(n=number(report.reporters))
    lines = [
        _("🚩 <b>Report in {group}</b>").format(group=escape(group)),
        done.format(admin=escape(admin), name=mention(report.target_id, report.target_name)),
        reporters,
    ]
    return "\n".join(lines)


def report_settled_before_toast() -> str:
    return _("Another admin settled this report already.")


def report_failed_toast() -> str:
    return _("I couldn't do that: I need the right to delete messages and ban users there.")


def report_not_admin_toast() -> str:
    return _("Only the group's admins can act on reports.")
