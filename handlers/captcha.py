"""The brand question: admins write them (`/captcha add|list|del`), and someone who asked to
join answers theirs by typing it in the private chat (a plain message, so a router of its own
outside the commands). Asking and settling: `workflows/verification.py`."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin, refuses_chatter
from infrastructure.middlewares.commands import ONCE
from infrastructure.transactions import forget_after_commit
from models import Verification
from services.captcha import CaptchaQuestions, add_question, delete_question, question_waiting
from services.chat_settings import BadSetting
from services.chats import ChatProfile, ChatService
from services.clock import Clock
from services.moderation import ModerationService
from services.receipts import first_receipt
from views import captcha as view
from workflows.verification import JoinVerification


async def captcha_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    chat_profile: ChatProfile,
    chat_cache: ChatCache,
) -> None:
    """/captcha list · /captcha add <question> = <answer>|<another> · /captcha del <n>"""
    verb, _space, rest = (command.args or "").strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb in ("", "list"):
        questions = chat_profile.rules(CaptchaQuestions).questions
        asking = chat_profile.moderation.verify == "question"
        await message.reply(view.questions_text(questions, asking))
    elif verb == "add" and rest:
        try:
            added = await add_question(session, chat_profile.id, rest)
        except BadSetting as bad:
            reasons = {
                "form": _("Write the question, then = and its answers, separated by |."),
                "long": _("A question is at most 200 characters, an answer at most 60."),
                "full": _("This group has its 20 questions: delete one first."),
            }
            await message.reply(problem_reply(reasons[str(bad)], "captcha", "add"))
            return
        forget_after_commit(session, chat_cache, chat_profile.id)
        await message.reply(view.question_added_text(added))
        with suppress(TelegramAPIError):  # its answer should not stay in the group's history
            await bot.delete_message(message.chat.id, message.message_id)
    elif verb == "del" and rest.removeprefix("#").isdigit():
        gone = await delete_question(session, chat_profile.id, int(rest.removeprefix("#")))
        if gone is None:
            await message.reply(view.no_such_question_text())
            return
        forget_after_commit(session, chat_cache, chat_profile.id)
        await message.reply(view.question_deleted_text(gone))
    else:
        await message.reply(usage_reply("captcha", verb or None))


@refuses_chatter
async def answers_a_question(message: Message, session: AsyncSession) -> bool | dict[str, Any]:
    """A plain private message from someone with a brand question waiting: their answer."""
    if message.chat.type != "private" or message.from_user is None or not message.text:
        return False
    if message.text.startswith("/"):
        return False
    waiting = await question_waiting(session, message.from_user.id)
    return False if waiting is None else {"waiting": waiting}


async def question_answered(
    message: Message,
    waiting: Verification,
    bot: Bot,
    verification: JoinVerification,
    moderation: ModerationService,
    chats: ChatService,
    session: AsyncSession,
    clock: Clock,
) -> None:
    """Right, they are let in; wrong, they try again (three times in all). A message Telegram
    delivers twice is one answer."""
    assert message.from_user is not None
    assert message.text is not None
    profile = await chats.profile(waiting.chat_id)
    if profile is None or not await first_receipt(
        session, clock, message.chat.id, message.message_id, "captcha"
    ):
        return
    said = await verification.answered_question(
        bot, moderation, profile, message.from_user, message.text
    )
    await message.reply(said)


ADMIN_COMMANDS = (
    CommandSpec(
        "captcha",
        __("Brand questions someone asking to join must answer privately"),
        usage=__("/captcha list · /captcha add <question> = <answer>|<another> · /captcha del <n>"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="captcha")
    router.message.register(captcha_command, Command("captcha"), IsAdmin(), flags=ONCE)
    return router


def create_answer_router() -> Router:
    """Typed answers: a plain private message, so outside the commands router."""
    router = Router(name="captcha-answers")
    router.message.register(question_answered, answers_a_question)
    return router
