"""The welcome text and the group rules: /setwelcome, /setrules, /rules, and the Rules button.

The welcome itself is queued when members join (`handlers/lifecycle.py`) and posted by the
outbox sender (`workflows/outbox.py`).
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.replies import replied_message
from infrastructure.transactions import forget_after_commit
from services.chat_settings import BadSetting
from services.chats import ChatProfile, ChatService
from services.clock import parse_duration
from services.welcome import Welcome, set_rules, set_welcome, set_welcome_deletion
from views.wording import duration


async def change_welcome(
    message: Message,
    command: CommandObject,
    chat_profile: ChatProfile,
    session: AsyncSession,
    chat_cache: ChatCache,
) -> None:
    """/setwelcome <text with {name} {group} {count}> · off|on · delete <10m|off>"""
    text = (command.args or "").strip()
    words = text.split()
    deletion = None
    if len(words) == 2 and words[0].lower() == "delete":
        delay = parse_duration(words[1]) if words[1].lower() != "off" else timedelta(0)
        deletion = None if delay is None else int(delay.total_seconds())
    if not text or (words[0].lower() == "delete" and len(words) <= 2 and deletion is None):
        await message.reply(usage_reply("setwelcome"))
        return
    try:
        if deletion is not None:
            await set_welcome_deletion(session, chat_profile.id, deletion)
            reply = (
                _("✅ Welcomes are deleted {delay} after they are posted.").format(
                    delay=duration(deletion)
                )
                if deletion
                else _("✅ Welcomes stay; they are not deleted.")
            )
        elif text.lower() in ("off", "on"):
            await set_welcome(session, chat_profile.id, None, enabled=text.lower() == "on")
            reply = (
                _("✅ Welcome messages are on.")
                if text.lower() == "on"
                else _("✅ Welcome messages are off.")
            )
        else:
            await set_welcome(session, chat_profile.id, text)
            reply = _("✅ New members will be welcomed with:") + "\n" + escape(text)
    except BadSetting as bad:
        reply = setting_problem(str(bad))
    else:
        forget_after_commit(session, chat_cache, chat_profile.id)
    await message.reply(reply)


async def change_rules(
    message: Message,
    command: CommandObject,
    chat_profile: ChatProfile,
    session: AsyncSession,
    chat_cache: ChatCache,
) -> None:
    """/setrules <text>, or as a reply to the message that holds them."""
    replied = replied_message(message)
    text = (command.args or "").strip() or (
        (replied.text or replied.caption or "") if replied else ""
    )
    if not text:
        await message.reply(usage_reply("setrules"))
        return
    try:
        await set_rules(session, chat_profile.id, text)
    except BadSetting as bad:
        await message.reply(setting_problem(str(bad)))
        return
    forget_after_commit(session, chat_cache, chat_profile.id)
    await message.reply(_("✅ The group rules are saved. Members see them with /rules."))


async def show_rules(message: Message, chat_profile: ChatProfile) -> None:
    """/rules in the group."""
    await message.reply(render_rules(chat_profile))


async def rules_by_link(message: Message, command: CommandObject, chats: ChatService) -> None:
    """The Rules button on a welcome opens a private chat with /start rules<chat id>."""
    chat_id = (command.args or "").removeprefix("rules")
    profile = await chats.profile(int(chat_id)) if chat_id.lstrip("-").isdigit() else None
    if profile is None:
        await message.answer(_("I don't know that group."))
        return
    await message.answer(render_rules(profile))


def render_rules(profile: ChatProfile) -> str:
    rules = profile.welcome.rules
    if rules is None:
        return _("{group} has no rules yet.").format(group=escape(profile.title))
    return (
        _("📜 <b>Rules of {group}</b>").format(group=escape(profile.title)) + "\n" + escape(rules)
    )


def setting_problem(reason: str) -> str:
    if reason == "delete_after":
        low, high = Welcome.DELETE_AFTER
        return _("The delay must be between {low} and {high}, or off.").format(
            low=duration(low), high=duration(high)
        )
    if reason == "empty":
        return _("The text is empty.")
    if reason == "long":
        return _("That is too long: a welcome takes up to {max} characters, rules {rules}.").format(
            max=Welcome.MAX_TEXT, rules=Welcome.MAX_RULES
        )
    unknown = escape(reason.removeprefix("placeholder:"))
    return _("Unknown placeholder {{{name}}}: use {{name}}, {{group}} or {{count}}.").format(
        name=unknown
    )


RULES = CommandSpec("rules", __("The group rules"), usage="/rules")

SETWELCOME = CommandSpec(
    "setwelcome",
    __("Set the welcome for new members, or turn it off"),
    usage=(
        __(
            "/setwelcome <text with {name} {group} {count}> · "
            "/setwelcome off|on · "
            "/setwelcome delete 10m|off"
        )
    ),
    admin=True,
)

SETRULES = CommandSpec(
    "setrules",
    __("Set the group rules (as a reply to the message that holds them, or inline)"),
    usage=__("/setrules <text>"),
    admin=True,
)


def create_router() -> Router:
    router = Router(name="welcome")
    router.message.register(
        rules_by_link, CommandStart(deep_link=True, magic=F.args.startswith("rules"))
    )
    router.message.register(change_welcome, Command("setwelcome"), IsAdmin(), flags=ONCE)
    router.message.register(change_rules, Command("setrules"), IsAdmin(), flags=ONCE)
    router.message.register(show_rules, Command("rules"))
    return router
