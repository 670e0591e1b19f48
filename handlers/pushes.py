"""Targeted pushes (精准推送): `/push <segment|tier> <text>` (or as a reply, media and link
buttons kept) answers with the count and a Confirm button; members unsubscribe with the button
on every push or `/unsubscribe`."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from handlers.posts import message_content
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.replies import replied_message
from services.chats import ChatProfile
from services.posts import PostContent, PostInputError
from services.pushes import PushError, PushService, parse_audience
from services.tiers import TierService
from views.pushes import (
    PushButton,
    Unsubscribe,
    audience_name,
    budget_text,
    confirm_keyboard,
    nobody_text,
    reach_text,
    sent_text,
    subscribed_text,
    unknown_audience_text,
    unsubscribed_text,
)


def content_of(message: Message, command: CommandObject) -> tuple[PostContent, list[list[str]]]:
    """What a post would send (the replied-to message, else the text after the audience), and
    the replied-to message's link buttons."""
    args = command.args or ""
    rest = args.partition(" ")[2]  # after the audience
    text = rest.strip()
    content = message_content(message, command, text, len(args) - len(rest.lstrip()))
    source = replied_message(message)
    if text or source is None or source.reply_markup is None:
        return content, []
    buttons = [
        [button.text, button.url]
        for row in source.reply_markup.inline_keyboard
        for button in row
        if button.url
    ]
    return content, buttons


async def push_command(
    message: Message,
    command: CommandObject,
    pushes: PushService,
    tiers: TierService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> None:
    """/push <segment|tier> <text>, or in reply to the message to send."""
    word = (command.args or "").split(" ", 1)[0]
    if message.from_user is None or not chat_profile.is_group or not word:
        await message.reply(usage_reply("push"))
        return
    ladder = await tiers.ladder(chat_profile.program_id)
    audience = parse_audience(word, ladder)
    if audience is None:
        reason = unknown_audience_text(word, ladder, i18n.current_locale)
        await message.reply(problem_reply(reason, "push"))
        return
    try:
        content, buttons = content_of(message, command)
    except PostInputError as bad:
        reason = (
            _("A push needs a text, or a reply to the message to send.")
            if str(bad) == "content"
            else _("That is too long for one message.")
        )
        await message.reply(problem_reply(reason, "push"))
        return
    reach = await pushes.reach(chat_profile.program_id, audience, chat_profile.timezone)
    name = audience_name(audience, ladder, i18n.current_locale)
    if reach.count == 0:
        await message.reply(nobody_text(name, reach))
        return
    if reach.count > reach.left_today:
        await message.reply(budget_text(reach.count, reach.left_today))
        return
    push = await pushes.draft(
        chat_profile.program_id, message.from_user.id, audience, content, buttons
    )
    await message.reply(
        reach_text(name, reach), reply_markup=confirm_keyboard(push.id, reach.count)
    )


async def push_pressed(
    query: CallbackQuery,
    callback_data: PushButton,
    pushes: PushService,
    chat_profile: ChatProfile | None,
) -> None:
    message = query.message
    if chat_profile is None or message is None or isinstance(message, InaccessibleMessage):
        await query.answer(_("This button no longer works."))
        return
    if callback_data.action == "cancel":
        cancelled = await pushes.cancel(chat_profile.program_id, callback_data.id)
        if cancelled:
            await message.edit_text(_("✖️ Push cancelled."))
        await query.answer(_("Cancelled.") if cancelled else _("It was sent or cancelled before."))
        return
    try:
        push = await pushes.confirm(
            chat_profile.program_id, callback_data.id, chat_profile.timezone
        )
    except PushError as refused:
        text = {
            "done": _("It was sent or cancelled before."),
            "empty": _("Nobody can get it any more."),
        }.get(refused.reason) or budget_text(refused.count, refused.left)
        await query.answer(text, show_alert=refused.reason == "budget")
        return
    await message.edit_text(sent_text(push))
    await query.answer(_("Sent."))


async def push_not_admin(query: CallbackQuery) -> None:
    await query.answer(_("Only the group's admins can send or cancel a push."))


async def unsubscribe_pressed(
    query: CallbackQuery, callback_data: Unsubscribe, pushes: PushService
) -> None:
    changed = await pushes.subscribe(query.from_user.id, callback_data.chat, on=False)
    await query.answer(unsubscribed_text(changed), show_alert=True)


async def subscription_command(
    message: Message, command: CommandObject, pushes: PushService, chat_profile: ChatProfile
) -> None:
    """/unsubscribe or /subscribe: in a group, its program's pushes; privately, every one's."""
    if message.from_user is None:
        return
    on = command.command.lower() == "subscribe"
    chat_id = None if message.chat.type == "private" else chat_profile.program_id
    changed = await pushes.subscribe(message.from_user.id, chat_id, on=on)
    await message.reply(subscribed_text(changed) if on else unsubscribed_text(changed))


MEMBER_COMMANDS = (
    CommandSpec(
        "unsubscribe",
        __("No more pushes (here, or privately: from every group); /subscribe undoes it"),
        usage="/unsubscribe · /subscribe",
    ),
    CommandSpec("subscribe", __("Get the group's pushes again"), usage="/subscribe"),
)

ADMIN_COMMANDS = (
    CommandSpec(
        "push",
        __("Send a message privately to a segment or tier (精准推送), after a count to confirm"),
        usage=__(
            "/push <paying|lapsed|new|active|silent|core|kol|tier> <text> (or as a reply) · "
            "/push tag:<label> <text>"
        ),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="pushes")
    router.message.register(push_command, Command("push"), IsAdmin(), flags=ONCE)
    router.message.register(subscription_command, Command("unsubscribe", "subscribe"), flags=ONCE)
    router.callback_query.register(push_pressed, PushButton.filter(), IsAdmin())
    router.callback_query.register(push_not_admin, PushButton.filter())
    router.callback_query.register(unsubscribe_pressed, Unsubscribe.filter())
    return router
