"""Quick answers (FAQ): admins keep them with /faq; a member's question naming a keyword gets one.

A message counts as a question when it ends in ? or ？ or mentions the bot; each keyword is
answered at most once per `REPEAT_SECONDS` per chat (per process), so a busy group asking the
same thing gets one answer, not twenty.
"""

from __future__ import annotations

import time
from functools import partial
from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.refusal import admins_only
from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.transactions import forget_after_commit
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.faq import Faq, add_faq, delete_faq

REPEAT_SECONDS = 300.0


async def manage_faq(
    message: Message,
    command: CommandObject,
    chat_profile: ChatProfile,
    session: AsyncSession,
    chat_cache: ChatCache,
) -> None:
    """/faq add <keywords> | <answer>, /faq del <id>"""
    action, _space, rest = (command.args or "").strip().partition(" ")
    try:
        if action.lower() == "add":
            entry = await add_faq(session, chat_profile.id, rest)
            reply = _("✅ FAQ #{id} saved for: {keywords}").format(
                id=entry.id, keywords=escape(", ".join(entry.keywords))
            )
        elif action.lower() == "del" and rest.strip().isdigit():
            if not await delete_faq(session, chat_profile.id, int(rest)):
                await message.reply(_("There is no FAQ #{id}.").format(id=rest.strip()))
                return
            reply = _("🗑 FAQ #{id} deleted.").format(id=rest.strip())
        else:
            await message.reply(usage_reply("faq"))
            return
    except BadSetting as bad:
        await message.reply(faq_problem(str(bad)))
        return
    forget_after_commit(session, chat_cache, chat_profile.id)
    await message.reply(reply)


async def is_change(message: Message, command: CommandObject) -> bool:
    return bool(command.args)


async def list_faq(message: Message, chat_profile: ChatProfile) -> None:
    """/faq: every entry with its keywords."""
    entries = chat_profile.faq.entries
    if not entries:
        await message.reply(_("No FAQ entries yet."))
        return
    lines = [_("❓ <b>FAQ</b>")]
    lines += [
        f"#{entry.id} {escape(', '.join(entry.keywords))} → {escape(entry.answer[:80])}"
        for entry in entries
    ]
    await message.reply("\n".join(lines))


async def looks_like_question(message: Message, chat_profile: ChatProfile, bot: Bot) -> bool:
    """Cheap checks first: most messages are not questions, and most groups have no FAQ."""
    text = (message.text or message.caption or "").strip()
    if not chat_profile.faq.entries or not text or text.startswith("/"):
        return False
    if text.endswith(("?", "？")):
        return True
    me = await bot.me()
    return bool(me.username) and f"@{me.username}".casefold() in text.casefold()


async def answer_question(
    message: Message, chat_profile: ChatProfile, answered: dict[tuple[int, str], float]
) -> None:
    """`answered`: when each (chat, keyword) was last answered, kept by the router."""
    found = chat_profile.faq.answer_for(message.text or message.caption or "")
    if found is None:
        return
    entry, keyword = found
    key, now = (chat_profile.id, keyword.casefold()), time.monotonic()
    if now - answered.get(key, -REPEAT_SECONDS) < REPEAT_SECONDS:
        return
    answered[key] = now
    await message.reply(escape(entry.answer))


def faq_problem(reason: str) -> str:
    if reason == "keyword":
        return _("Each keyword needs 2 to 30 characters.")
    if reason == "long":
        return _("An answer takes up to {max} characters.").format(max=Faq.MAX_ANSWER)
    if reason == "full":
        return _("This group has {max} FAQ entries already; delete one first.").format(
            max=Faq.MAX_ENTRIES
        )
    return usage_reply("faq")


COMMANDS = (
    CommandSpec(
        "faq",
        __("Quick answers; admins add and delete them"),
        usage=__("/faq · /faq add <keyword, keyword> | <answer> · /faq del <id>"),
    ),
)


def create_router() -> Router:
    """Commands; `create_question_router` takes the questions (plain messages)."""
    router = Router(name="faq")
    router.message.register(manage_faq, Command("faq"), is_change, IsAdmin(), flags=ONCE)
    router.message.register(admins_only, Command("faq"), is_change)
    router.message.register(list_faq, Command("faq"))
    return router


def create_question_router() -> Router:
    router = Router(name="faq_questions")
    answered: dict[tuple[int, str], float] = {}
    router.message.register(partial(answer_question, answered=answered), looks_like_question)
    return router
