"""Labels and notes (客户标签): admins label members (`/tag @user 高潜 复购`, `/untag`), write
notes (`/note @user …`) and read them (`/tags`, `/tags @user`). The program's, so a label given
in one group of a brand is seen in the others; the answers are the admin's (`for_sender`), and
notes are only ever shown in the admin's private chat.

Not Telegram's member tags (`handlers/member_tags.py`): those show beside a member's name."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.targets import Target, target_of
from infrastructure.commands import CommandSpec, problem_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.replies import replied_message
from infrastructure.sender_only import for_sender
from services.chats import ChatProfile, ChatService
from services.labels import MAX_NOTE, LabelError, LabelService, normalise
from views import labels as view
from views.exports import private_chat_keyboard


def actor_of(message: Message) -> int | None:
    """The admin acting (None for an anonymous one, who has no private chat either)."""
    sender = message.from_user
    return sender.id if sender is not None and message.sender_chat is None else None


async def member_and_rest(
    message: Message, command: CommandObject, session: AsyncSession
) -> tuple[Target, str] | None:
    """The member meant (a reply, or `@user`/an id first) and the text after; None once the
    reason was replied."""
    args = command.args or ""
    words = args.split()
    found = await target_of(message, words, session, command.command)
    if isinstance(found, str):
        await message.reply(for_sender(found))
        return None
    target, rest = found
    if len(rest) == len(words):  # a reply: every word is the text
        return target, args.strip()
    after = args.strip().split(None, 1)  # the member named first
    return target, after[1] if len(after) > 1 else ""


async def tag_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    labels: LabelService,
    chat_profile: ChatProfile,
) -> None:
    """/tag @user 高潜 复购 (or as a reply: /tag 高潜)"""
    found = await member_and_rest(message, command, session)
    if found is None:
        return
    target, rest = found
    try:
        given = [normalise(word) for word in rest.split()]
    except LabelError as bad:
        await message.reply(problem_reply(view.label_problem_text(bad), "tag"))
        return
    if not given:
        await message.reply(problem_reply(view.no_labels_text(), "tag"))
        return
    tagged = await labels.add(chat_profile.program_id, target.user_id, given, actor_of(message))
    await message.reply(for_sender(view.tagged_text(target.name, tagged)))


async def untag_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    labels: LabelService,
    chat_profile: ChatProfile,
) -> None:
    """/untag @user 高潜, /untag @user all (or as a reply)"""
    found = await member_and_rest(message, command, session)
    if found is None:
        return
    target, rest = found
    words = rest.split()
    everything = [word.lower() for word in words] in (["all"], ["全部"])
    try:
        taken = None if everything else [normalise(word) for word in words]
    except LabelError as bad:
        await message.reply(problem_reply(view.label_problem_text(bad), "untag"))
        return
    if taken == []:
        await message.reply(problem_reply(view.no_labels_text(), "untag"))
        return
    removed = await labels.remove(chat_profile.program_id, target.user_id, taken)
    await message.reply(for_sender(view.untagged_text(target.name, removed)))


async def note_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    labels: LabelService,
    chats: ChatService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/note @user <text> (or as a reply): saved for the admins; the command itself is deleted,
    as the group could read it (unless it came as an ephemeral command)."""
    found = await member_and_rest(message, command, session)
    if found is None:
        return
    target, text = found
    if not text:
        await message.reply(problem_reply(view.note_empty_text(), "note"))
        return
    if len(text) > MAX_NOTE:
        await message.reply(problem_reply(view.note_too_long_text(len(text)), "note"))
        return
    actor = actor_of(message)
    await labels.add_note(chat_profile.program_id, target.user_id, text, actor)
    private = actor is not None and await chats.started_privately(actor)
    await message.reply(
        for_sender(view.note_saved_text(target.name, private)),
        reply_markup=await _start_button(bot, private),
    )
    if message.ephemeral_message_id is not None:
        return  # only the bot saw it
    try:  # after the answer, which replies to it
        await bot.delete_message(message.chat.id, message.message_id)
    except TelegramAPIError:
        await message.reply(for_sender(view.note_left_in_group_text()))


async def tags_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    labels: LabelService,
    chats: ChatService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/tags: the program's labels and how many carry each; /tags @user (or as a reply): the
    member's labels here, their notes privately."""
    if not command.args and replied_message(message) is None:
        counts = await labels.counts(chat_profile.program_id)
        await message.reply(for_sender(view.program_labels_text(counts)))
        return
    found = await member_and_rest(message, command, session)
    if found is None:
        return
    target = found[0]
    program = chat_profile.program_id
    lines = [view.member_labels_text(target.name, await labels.of_member(program, target.user_id))]
    notes, total = await labels.notes(program, target.user_id)
    actor = actor_of(message)
    private = actor is not None and await chats.started_privately(actor)
    if total == 0:
        lines.append(view.notes_text(target.name, notes, total, chat_profile.timezone))
    elif private and actor is not None:
        try:
            await bot.send_message(
                actor, view.notes_text(target.name, notes, total, chat_profile.timezone)
            )
            lines.append(view.notes_sent_text(total))
        except TelegramAPIError:  # blocked since
            private = False
    if total and not private:
        lines.append(view.needs_private_text())
    await message.reply(
        for_sender("\n".join(lines)), reply_markup=await _start_button(bot, private or not total)
    )


async def _start_button(bot: Bot, private: bool) -> InlineKeyboardMarkup | None:
    if private:
        return None
    me = await bot.me()
    return private_chat_keyboard(me.username or "")


COMMANDS = (
    CommandSpec(
        "tag",
        __("Label a member (客户标签), for admins only"),
        usage=__("/tag [@user|id] <label> [label …]"),
        admin=True,
        ephemeral=True,
    ),
    CommandSpec(
        "untag",
        __("Take labels off a member"),
        usage=__("/untag [@user|id] <label>|all"),
        admin=True,
        ephemeral=True,
    ),
    CommandSpec(
        "note",
        __("A note on a member, for admins only"),
        usage=__("/note [@user|id] <text>"),
        admin=True,
        ephemeral=True,
    ),
    CommandSpec(
        "tags",
        __("The labels; a member's labels and notes"),
        usage=__("/tags · /tags [@user|id]"),
        admin=True,
        ephemeral=True,
    ),
)


def create_router() -> Router:
    router = Router(name="labels")
    router.message.register(tag_command, Command("tag"), IsAdmin(), flags=ONCE)
    router.message.register(untag_command, Command("untag"), IsAdmin(), flags=ONCE)
    router.message.register(note_command, Command("note"), IsAdmin(), flags=ONCE)
    router.message.register(tags_command, Command("tags"), IsAdmin())
    return router
