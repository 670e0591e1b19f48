"""Topic threads: admins open (`/topic new`), close and queue them; members list the open ones
and react to show-off photos; `/settings daily_topic` lets the morning post open the next one.

Replies are rewarded by `bot/middlewares/counting.py`; topics close on time from
`scheduler/topics.py`, and the morning post opens the daily one.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Chat, Message, MessageReactionUpdated, ReplyParameters
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.refusal import admins_only
from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.settings_sections import SettingsSection
from models import Topic
from scheduler.core import Scheduler
from services.chats import ChatProfile
from services.topic_replies import TopicReplyService
from services.topic_rules import set_daily_topic
from services.topic_specs import TopicInputError, parse_topic
from services.topics import TopicService
from views.topics import linked_title, topic_link
from workflows.topics import ForumTopics, TopicRightsMissing

ADMIN_ACTIONS = ("new", "close", "queue")


async def is_admin_form(message: Message, command: CommandObject) -> bool:
    return (command.args or "").split(" ", 1)[0].lower() in ADMIN_ACTIONS


async def manage_topics(
    message: Message,
    command: CommandObject,
    topics: TopicService,
    chat_profile: ChatProfile,
    forum_topics: ForumTopics,
    scheduler: Scheduler,
    bot: Bot,
) -> None:
    """/topic new <title> [options] · /topic close [id] · /topic queue [add <title> | del <n>]"""
    action, _space, rest = (command.args or "").strip().partition(" ")
    rest = rest.strip()
    if not chat_profile.is_group or message.from_user is None:
        await message.reply(usage_reply("topic"))
        return
    if action.lower() == "new":
        await open_topic(message, rest, topics, chat_profile, forum_topics, scheduler, bot)
    elif action.lower() == "close":
        await close_topic(message, rest, topics, chat_profile, forum_topics, scheduler, bot)
    else:
        await queue_command(message, rest, topics, chat_profile)


async def open_topic(
    message: Message,
    args: str,
    topics: TopicService,
    profile: ChatProfile,
    host: ForumTopics,
    scheduler: Scheduler,
    bot: Bot,
) -> None:
    try:
        spec = parse_topic(args)
    except TopicInputError as bad:
        await message.reply(topic_problem(str(bad)))
        return
    forum = bool(message.chat.is_forum)
    if spec.icon_color is not None and not forum:
        await message.reply(_("Topic colours exist only in groups with topics (forums)."))
        return
    if await topics.by_command(profile.id, message.message_id) is not None:
        return  # this command was delivered before, and opened its topic then
    assert message.from_user is not None
    try:
        topic = await host.open(
            bot, profile, spec, forum=forum, created_by=message.from_user.id,
            source_message_id=message.message_id,
        )  # fmt: skip
    except TopicRightsMissing:
        await message.reply(
            _(
                "I can't create topics in this group. "
                "Give me the “Manage topics” right, then try again."
            )
        )
        return
    if topic is None:
        return
    await scheduler.reload()  # plans its close
    await message.reply(
        _("✅ Topic #{id} is open until {time}.").format(
            id=topic.id, time=local_time(topic, profile)
        )
        + link_suffix(message.chat, topic)
    )


async def close_topic(
    message: Message,
    args: str,
    topics: TopicService,
    profile: ChatProfile,
    host: ForumTopics,
    scheduler: Scheduler,
    bot: Bot,
) -> None:
    number = args.lstrip("#")
    if args and not number.isdigit():
        await message.reply(usage_reply("topic"))
        return
    open_now = [topic_id for topic_id, _closes in await topics.open_ids(profile.id)]
    if not args:
        if len(open_now) != 1:
            await message.reply(
                _("No topic is open.")
                if not open_now
                else _("Several topics are open: say which, such as /topic close {id}.").format(
                    id=open_now[0]
                )
            )
            return
        number = str(open_now[0])
    topic_id = int(number)
    if topic_id not in open_now:
        await message.reply(_("Topic #{id} is not open here.").format(id=topic_id))
        return
    closed = await host.close(bot, topic_id)
    if closed is None:
        await message.reply(_("Topic #{id} is not open here.").format(id=topic_id))
        return
    await scheduler.reload()
    await message.reply(_("✅ Topic #{id} closed.").format(id=topic_id))


async def queue_command(
    message: Message, args: str, topics: TopicService, profile: ChatProfile
) -> None:
    """/topic queue · /topic queue add <title> [options] · /topic queue del <n>"""
    action, _space, rest = args.partition(" ")
    rest = rest.strip()
    assert message.from_user is not None
    if action.lower() == "add":
        try:
            queued = await topics.enqueue(profile.id, message.from_user.id, parse_topic(rest))
        except TopicInputError as bad:
            await message.reply(topic_problem(str(bad)))
            return
        position = len(await topics.queued(profile.id))
        reply = _("✅ Queued as number {position}: {title}").format(
            position=position, title=escape(queued.title)
        )
        if not profile.topic_rules.daily:
            reply += "\n" + _("To open one each morning: /settings daily_topic on")
        await message.reply(reply)
        return
    if action.lower() == "del":
        number = rest.lstrip("#")
        dropped = await topics.drop_queued(profile.id, int(number)) if number.isdigit() else None
        if dropped is None:
            await message.reply(_("There is no such number in the queue. See /topic queue."))
            return
        await message.reply(
            _("🗑 Removed from the queue: {title}").format(title=escape(dropped.title))
        )
        return
    if action:
        await message.reply(usage_reply("topic"))
        return
    queue = await topics.queued(profile.id)
    if not queue:
        await message.reply(
            _("The topic queue is empty. Add one with {usage}.").format(
                usage=code("/topic queue add <title>")
            )
        )
        return
    daily = _("on") if profile.topic_rules.daily else _("off")
    lines = [_("🗂 <b>Topic queue</b> (daily topic: {daily})").format(daily=daily)]
    for position, topic in enumerate(queue, start=1):
        lines.append(f"{position}. {escape(topic.title)} · {terms(topic)}")
    await message.reply("\n".join(lines))


async def list_or_refuse(
    message: Message, command: CommandObject, topics: TopicService, chat_profile: ChatProfile
) -> None:
    """/topic: the open topics, with a link to each and the sender's rewarded replies."""
    if await is_admin_form(message, command):
        await admins_only(message)
        return
    found = await topics.of_chat(chat_profile.id) if chat_profile.is_group else []
    if not found:
        await message.reply(_("No topic is open right now."))
        return
    user = message.from_user
    mine = await topics.rewarded_counts([t.id for t in found], user.id) if user else {}
    lines = [_("💬 <b>Open topics</b>")]
    for topic in found:
        shown = linked_title(message.chat.id, message.chat.username, topic)
        lines.append(
            f"#{topic.id} {shown} · "
            + _("until {time}").format(time=local_time(topic, chat_profile))
            + f" · {terms(topic)}"
            + (" · " + _("you: {count}/{cap}").format(count=mine[topic.id], cap=topic.cap)
               if topic.id in mine else "")
        )  # fmt: skip
    # Basic groups have no message links: the list answers under the (first) topic's post.
    linked = topic_link(message.chat.id, message.chat.username, found[0]) is not None
    anchor = None if linked else found[0].anchor_message_id
    await message.answer(
        "\n".join(lines),
        reply_parameters=ReplyParameters(
            message_id=anchor or message.message_id, allow_sending_without_reply=True
        ),
    )


async def reacted(
    reaction: MessageReactionUpdated, topic_replies: TopicReplyService, chat_profile: ChatProfile
) -> None:
    """A member's reaction to a message: kept for topic replies (show-offs rank photos by them)."""
    if not chat_profile.open_topics or reaction.user is None or reaction.user.is_bot:
        return
    await topic_replies.react(
        reaction.chat.id, reaction.message_id, reaction.user.id, bool(reaction.new_reaction)
    )


def terms(topic: Topic) -> str:
    kind = "📸 " if topic.kind == "show" else ""
    return f"{kind}{topic.hours}h · +{topic.reward}×{topic.cap}"


def local_time(topic: Topic, profile: ChatProfile) -> str:
    if topic.closes_at is None:
        return "—"
    return f"{topic.closes_at.astimezone(ZoneInfo(profile.timezone)):%m-%d %H:%M}"


def link_suffix(chat: Chat, topic: Topic) -> str:
    link = topic_link(chat.id, chat.username, topic)
    if link is None:
        return ""
    label = _("Open it")
    return f' <a href="{link}">{label}</a>'


def code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def topic_problem(reason: str) -> str:
    problems = {
        "long": _("A title takes up to 128 characters."),
        "hours": _("hours=… is 1 to 168."),
        "reward": _("reward=… is 0 to 1000 points."),
        "cap": _("cap=… is 1 to 100 rewarded replies per member."),
        "kind": _("kind=… is talk or show (photos only)."),
        "color": _("color=… is blue, yellow, violet, green, rose or red."),
        "bonus": _("bonus=… is up to three numbers, such as bonus=20,10,5."),
        "full": _("The queue holds 50 topics; remove some with {usage}.").format(
            usage=code("/topic queue del <n>")
        ),
    }
    return problems.get(reason) or usage_reply("topic")


async def change_daily_topic(message: Message, setting: list[str], session: AsyncSession) -> bool:
    """/settings daily_topic on|off"""
    if len(setting) != 2 or setting[1].lower() not in ("on", "off"):
        await message.reply(usage_reply("settings", "daily_topic"))
        return False
    daily = setting[1].lower() == "on"
    await set_daily_topic(session, message.chat.id, daily)
    await message.reply(
        _("✅ The morning post now opens the next queued topic (see /topic queue).")
        if daily
        else _("✅ The morning post no longer opens a topic.")
    )
    return True


def daily_topic_settings(profile: ChatProfile) -> list[str]:
    daily = _("on") if profile.topic_rules.daily else _("off")
    return [_("Daily topic from the queue: {daily}").format(daily=daily)]


SETTINGS_SECTION = SettingsSection(
    ("daily_topic",),
    change_daily_topic,
    daily_topic_settings,
    usage=("/settings daily_topic on|off",),
    title=__("Daily topic"),
)


COMMANDS = (
    CommandSpec(
        "topic",
        __("Open topics and how to join them; admins open, close and queue topics"),
        usage=__(
            "/topic · "
            "/topic new <title> [hours=24] [reward=2] [cap=10] [kind=show] [color=blue] "
            "[bonus=20,10,5] · "
            "/topic close [id] · "
            "/topic queue [add <title> | del <n>]"
        ),
    ),
)


def create_router() -> Router:
    router = Router(name="topics")
    router.message.register(manage_topics, Command("topic"), is_admin_form, IsAdmin(), flags=ONCE)
    router.message.register(list_or_refuse, Command("topic"))
    # Under the `commands` parent, whose filter is on messages only: reactions reach it, and
    # plain chatter does not pay one more router's propagation.
    router.message_reaction.register(reacted)
    return router
