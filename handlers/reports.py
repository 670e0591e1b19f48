"""Reports: `/report` as a reply (or a reply naming @admin) tells the group's admins privately,
once per message; the admins' buttons under their copy delete the message, mute or ban its
sender, or mark it handled. The rules are `services/reports.py`'s."""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import lazy_gettext as __

from handlers.refusal import unknown_button
from infrastructure.admins import AdminCache
from infrastructure.commands import CommandSpec, problem_reply
from infrastructure.middlewares.commands import CommandMiddleware
from infrastructure.replies import REAL_REPLY, replied_message
from infrastructure.sender_only import for_sender
from services.chats import ChatService
from services.moderation import ModerationService
from services.reports import ReportedMessage, ReportService
from views import reports as view
from workflows.moderation import Moderator

ADMIN_CALL = re.compile(r"(?i)(?:^|\s)@(?:admins?|管理员)(?:\s|$)")
REPORT_MUTE = timedelta(hours=24)
SETTLES = {"delete": "deleted", "mute": "muted", "ban": "banned", "handled": "handled"}


async def report_command(
    message: Message, bot: Bot, reports: ReportService, admin_cache: AdminCache
) -> None:
    """/report, as a reply (or a reply naming @admin): the admins are told privately"""
    replied, reporter = replied_message(message), message.from_user
    if replied is None or reporter is None or message.sender_chat is not None:
        await message.reply(problem_reply(view.report_needs_reply_text(), "report"))
        return
    target = replied.from_user
    if (
        target is None
        or target.is_bot
        or replied.sender_chat is not None
        or await admin_cache.is_admin(bot, message.chat, target, replied)
    ):
        await message.reply(for_sender(view.not_reportable_text()))
        return
    reported = ReportedMessage(
        message.chat.id, replied.message_id, target.id, target.full_name,
        replied.text or replied.caption or "",
    )  # fmt: skip
    admins = await admin_cache.admins_of(bot, message.chat.id)
    outcome = await reports.report(reported, reporter.id, admins)
    await message.reply(for_sender(view.reported_text(outcome)))


async def report_pressed(
    query: CallbackQuery,
    callback_data: view.ReportButton,
    bot: Bot,
    reports: ReportService,
    moderation: ModerationService,
    moderator: Moderator,
    chats: ChatService,
) -> None:
    """An admin's button under their copy of a report."""
    report = await reports.get(callback_data.report_id)
    state = SETTLES.get(callback_data.action)
    if report is None or state is None:
        await unknown_button(query)
        return
    if not await moderator.is_admin_of(bot, report.chat_id, query.from_user):
        await query.answer(view.report_not_admin_toast())
        return
    profile = await chats.profile(report.chat_id)
    settled = await reports.settle(report.id, query.from_user.id, state)
    if settled is None or profile is None:
        await query.answer(view.report_settled_before_toast())
        return
    actor, target = query.from_user.id, report.target_id
    if state == "deleted":
        done = await moderator.delete(bot, report.chat_id, report.message_id)
        if done:
            await moderator.record(moderation, profile, "delete", target, actor_id=actor)
    elif state == "muted":
        done = await moderator.mute(bot, moderation, profile, target, REPORT_MUTE, actor, None)
    elif state == "banned":
        done = bool(await moderator.ban(bot, moderation, profile, target, None, actor, None))
    else:
        done = True
    if not done:
        await reports.reopen(report.id)
        await query.answer(view.report_failed_toast(), show_alert=True)
        return
    await query.answer()
    if query.message is not None and isinstance(query.message, Message):
        link = view.report_keyboard(settled).inline_keyboard[0]
        markup = InlineKeyboardMarkup(inline_keyboard=[link]) if link[0].url else None
        text = view.report_settled_text(settled, profile.title, query.from_user.full_name)
        with suppress(TelegramAPIError):  # a copy too old to edit: the report is settled anyway
            await query.message.edit_text(text, reply_markup=markup)


COMMANDS = (
    CommandSpec(
        "report",
        __("Report a message to the admins (as a reply)"),
        usage=__("/report (as a reply) · @admin (in a reply)"),
    ),
)


def create_router() -> Router:
    router = Router(name="reports")
    router.message.register(report_command, Command("report"))
    router.callback_query.register(report_pressed, view.ReportButton.filter())
    return router


def create_mention_router() -> Router:
    """A reply naming @admin (a few percent of chatter is addressed: see handlers/routers.py)."""
    router = Router(name="report-mentions")
    router.message.middleware(CommandMiddleware())  # the answer is for the reporter, as /report's
    router.message.register(
        report_command, REAL_REPLY, F.text.regexp(ADMIN_CALL) | F.caption.regexp(ADMIN_CALL)
    )
    return router
