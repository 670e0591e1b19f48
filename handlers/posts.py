"""Scheduled posts: admins schedule (`/post`), list (`/posts`), pause, resume, delete and test.

The posts go out from `scheduler/posts.py`.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.replies import replied_message
from infrastructure.transactions import after_commit
from models import ScheduledPost
from scheduler.core import Scheduler
from services.chats import ChatProfile
from services.clock import Clock
from services.posts import (
    PostContent,
    PostInputError,
    PostRequest,
    PostService,
    Schedule,
    parse_post,
    utf16_length,
)
from services.programs import ProgramService
from services.tiers import TierService
from views.posts import post_message, schedule_text
from workflows.outbox import send_post

ACTIONS = ("del", "pause", "resume", "test")


async def post(
    message: Message,
    command: CommandObject,
    posts: PostService,
    chat_profile: ChatProfile,
    scheduler: Scheduler,
    clock: Clock,
    bot: Bot,
    tiers: TierService,
    programs: ProgramService,
) -> None:
    """/post <schedule> [options] <text>, or as a reply; /post del|pause|resume|test <id>"""
    args = (command.args or "").strip()
    words, user = args.split(), message.from_user
    if not chat_profile.is_group or not words or user is None:
        await message.reply(usage_reply("post"))
        return
    if words[0].lower() in ACTIONS:
        await act_on_post(message, words, posts, chat_profile, scheduler, bot)
        return
    try:
        request = parse_post(args, clock.now(), chat_profile.timezone)
        content = content_of(message, request, command)
        if request.options.thread_id is not None:
            await check_thread(bot, chat_profile.id, request.options.thread_id)
        early_tier = None
        if request.options.early is not None:
            ladder = await tiers.ladder(chat_profile.program_id)
            named = request.options.early[0]
            tier = next((tier for tier in ladder if tier.answers_to(named)), None)
            if tier is None:
                raise PostInputError("early")
            early_tier = tier.key
        groups = [chat_profile.id]
        if request.options.everywhere:  # this group first, then the program's others
            others = await programs.groups(chat_profile.program_id)
            groups += [group for group in others if group != chat_profile.id]
        made = [
            await posts.create(group, user.id, request, content, early_tier) for group in groups
        ]
    except PostInputError as bad:
        await message.reply(post_problem(str(bad)))
        return
    after_commit(posts.session, scheduler.reload_soon)
    scheduled = made[0]
    if len(made) > 1:
        await message.reply(posted_everywhere(made, chat_profile.timezone, clock))
        return
    await message.reply(
        _("✅ Post #{id} scheduled: {schedule}. Next: {next}.").format(
            id=scheduled.id, schedule=schedule_text(scheduled.schedule),
            next=next_run(scheduled, chat_profile.timezone, clock),
        )
    )  # fmt: skip


def content_of(message: Message, request: PostRequest, command: CommandObject) -> PostContent:
    """The replied-to message's content, else the text after the options (entities kept)."""
    return message_content(message, command, request.text, request.text_start)


def message_content(
    message: Message, command: CommandObject, text: str, text_start: int
) -> PostContent:
    """What a command sends on (a post, a push): the replied-to message when the command has
    no `text` of its own, else that text (starting at `text_start` in the arguments) with its
    entities; PostInputError when there is nothing or too much."""
    source = replied_message(message)
    if source is not None and not text:
        photo = source.photo[-1].file_id if source.photo else None
        entities = source.caption_entities if photo else source.entities
        content = PostContent(
            source.caption if photo else source.text,
            [entity.model_dump(exclude_none=True) for entity in entities or ()],
            photo,
        )
    else:
        # The command's text is "/post@bot args": entities count UTF-16 units from its start.
        prefix = (message.text or "")[: len(message.text or "") - len(command.args or "")]
        start = utf16_length(prefix + (command.args or "")[:text_start])
        end = start + utf16_length(text)
        content = PostContent(
            text or None,
            [
                {**entity.model_dump(exclude_none=True), "offset": entity.offset - start}
                for entity in message.entities or ()
                if entity.offset >= start and entity.offset + entity.length <= end
            ],
        )
    content.check()
    return content


async def check_thread(bot: Bot, chat_id: int, thread_id: int) -> None:
    """A forum topic that does not exist is refused now, not at 9 am tomorrow."""
    try:
        await bot.send_chat_action(chat_id, "typing", message_thread_id=thread_id)
    except TelegramBadRequest:
        raise PostInputError("thread") from None


async def act_on_post(
    message: Message,
    words: list[str],
    posts: PostService,
    chat_profile: ChatProfile,
    scheduler: Scheduler,
    bot: Bot,
) -> None:
    action = words[0].lower()
    if len(words) != 2 or not words[1].lstrip("#").isdigit():
        await message.reply(usage_reply("post"))
        return
    post_id = int(words[1].lstrip("#"))
    if action == "test":
        found = await posts.get(chat_profile.id, post_id)
        if found is None:
            await message.reply(_("There is no post #{id} here.").format(id=post_id))
            return
        preview = _("👁 Preview of post #{id}").format(id=post_id) + "\n"
        await send_post(bot, post_message(found, preview=preview))
        return
    changed = await posts.set_state(chat_profile.id, post_id, action)
    if changed is None:
        await message.reply(_("There is no post #{id} here.").format(id=post_id))
        return
    after_commit(posts.session, scheduler.reload_soon)
    replies = {
        "del": _("🗑 Post #{id} deleted."),
        "pause": _("⏸ Post #{id} paused."),
        "resume": _("▶️ Post #{id} resumed."),
    }
    await message.reply(replies[action].format(id=post_id))


async def list_posts(
    message: Message, posts: PostService, chat_profile: ChatProfile, clock: Clock
) -> None:
    """/posts: each post with its schedule and next run, in the chat's time zone."""
    found = await posts.of_chat(chat_profile.id)
    if not found:
        await message.reply(_("No scheduled posts. Add one with /post."))
        return
    lines = [_("🗓 <b>Scheduled posts</b> ({timezone})").format(timezone=chat_profile.timezone)]
    for item in found:
        summary = escape((item.text or _("(photo)")).replace("\n", " ")[:40])
        state = next_run(item, chat_profile.timezone, clock) if item.enabled else _("paused")
        lines.append(f"#{item.id} · {schedule_text(item.schedule)} · {state} · {summary}")
    await message.reply("\n".join(lines))


def next_run(post: ScheduledPost, timezone: str, clock: Clock) -> str:
    if not post.enabled:
        return _("off")
    upcoming = Schedule(post.schedule).next_after(clock.now(), timezone)
    if upcoming is None:
        return _("done")
    return upcoming.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def posted_everywhere(made: list[ScheduledPost], timezone: str, clock: Clock) -> str:
    first = made[0]
    return ngettext(
        "✅ Posts {ids} scheduled in {n} group: {schedule}. Next: {next}.",
        "✅ Posts {ids} scheduled in {n} groups: {schedule}. Next: {next}.",
        len(made),
    ).format(
        ids=", ".join(f"#{post.id}" for post in made), n=len(made),
        schedule=schedule_text(first.schedule), next=next_run(first, timezone, clock),
    )  # fmt: skip


def post_problem(reason: str) -> str:
    problems = {
        "time": _("The time must be HH:MM, from 00:00 to 23:59."),
        "date": _("The date must be a real YYYY-MM-DD HH:MM within a year."),
        "past": _("That time has passed."),
        "cron": _('A cron expression has five fields: "minute hour day month weekday".'),
        "never": _("That cron expression never fires (within a year)."),
        "buttons": _('Buttons are "Text|https://…" (or tg://…), up to 6, separated by ;.'),
        "thread": _("There is no such topic in this group."),
        "content": _("Nothing to post: add the text, or send /post as a reply to the message."),
        "long": _("That is too long for one message (4,096 characters; a caption 1,024)."),
        "early": _("early= is a tier and how much earlier, up to 24h: early=Gold:2h (see /tiers)."),
        "groups": _("groups=all posts in every group of the program (and takes no thread=)."),
    }
    return problems.get(reason) or usage_reply("post")


COMMANDS = (
    CommandSpec(
        "post",
        __("Schedule a post (as a reply, or with its text); pause, resume, delete, test"),
        usage=__(
            '/post daily 09:00 | weekly mon,thu 20:00 | at 2026-12-01 10:00 | cron "0 9 * * 1-5"'
            ' [pin] [thread=<id>] [buttons="Shop|https://…"] [early=Gold:2h] [groups=all] [text] · '
            "/post del|pause|resume|test <id>"
        ),
        admin=True,
    ),
    CommandSpec("posts", __("The scheduled posts and their next runs"), usage="/posts", admin=True),
)


def create_router() -> Router:
    router = Router(name="posts")
    router.message.register(post, Command("post"), IsAdmin(), flags=ONCE)
    router.message.register(list_posts, Command("posts"), IsAdmin())
    return router
