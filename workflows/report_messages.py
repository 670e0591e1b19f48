"""An admin's private copy of a report (the payload: `services/report_messages.py`; the words:
`views/reports.py`)."""

from __future__ import annotations

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.members import known_name
from services.report_messages import ReportNotice
from views.reports import report_keyboard, report_notice_text
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(ReportNotice)
async def report_notice(
    context: RenderContext, profile: ChatProfile, notice: ReportNotice
) -> Delivery | None:
    """In the admin's private chat (`profile`), in the group's language; nothing once another
    admin settled the report."""
    background = context.background
    async with background.session_pool() as session:
        report = await background.services.reports(session).get(notice.report_id)
        if report is None:
            raise LookupError("no such report")
        group = await background.services.chats(session).profile(report.chat_id)
        reporter = await known_name(session, report.reported_by) or str(report.reported_by)
    if group is None:
        raise LookupError("no such group")
    if report.state != "open":
        return None
    language = reply_language(group, None, background.i18n.default_locale)
    with background.i18n.use_locale(language):
        return Delivery(
            report_notice_text(report, group.title, reporter), markup=report_keyboard(report)
        )
