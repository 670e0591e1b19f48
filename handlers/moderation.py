"""Moderation commands (admins, as a reply or naming the member): /warn, /warns, /unwarn, /mute,
/unmute, /ban, /unban, /kick, /modlog, /filter, /filters, /link, /unlink; the newcomers'
verification buttons and join requests. The work is `workflows/moderation.py`'s (the actions)
and `workflows/verification.py`'s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, ChatJoinRequest, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.lifecycle import welcome
from handlers.targets import Target, target_of
from infrastructure.admins import AdminCache
from infrastructure.chat_cache import ChatCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.middlewares.services import UPDATE_SERVICES
from infrastructure.replies import replied_message
from infrastructure.sender_only import for_sender
from infrastructure.transactions import forget_after_commit
from services.chats import ChatProfile, ChatService
from services.clock import Clock, parse_duration
from services.guards import ACTIONS, BadRule
from services.members import display_names, known_name
from services.moderation import ModerationService
from services.moderation_settings import add_filter, delete_filter
from services.programs import ProgramService
from services.staff import StaffService
from views import moderation as view
from views.staff import console_log_text
from workflows.moderation import Moderator
from workflows.verification import JoinVerification

MUTE_RANGE = (timedelta(minutes=1), timedelta(days=366))


@dataclass(frozen=True, slots=True)
class MemberAction:
    """What the commands acting on a member work with, gathered once per command (`gather`)."""

    message: Message
    command: CommandObject
    bot: Bot
    session: AsyncSession
    admin_cache: AdminCache
    moderator: Moderator
    moderation: ModerationService
    profile: ChatProfile

    @property
    def words(self) -> list[str]:
        return (self.command.args or "").split()

    @property
    def actor(self) -> int | None:
        """The admin acting (None for an anonymous one)."""
        sender = self.message.from_user
        return sender.id if sender is not None and self.message.sender_chat is None else None

    async def target(self) -> tuple[Target, list[str]] | None:
        """The member meant and the words after; None once the reason was replied."""
        found = await target_of(self.message, self.words, self.session, self.command.command)
        if isinstance(found, str):
            await self.message.reply(found)
            return None
        return found

    async def acting_on(self) -> tuple[Target, list[str]] | None:
        """The target, once it is known not to be an admin (or the bot)."""
        found = await self.target()
        if found is None:
            return None
        if found[0].user_id == self.bot.id or await self.admin_cache.is_admin(
            self.bot, self.message.chat, found[0].as_user(), None
        ):
            await self.message.reply(view.not_on_admins_text())
            return None
        return found


async def gather(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    message: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Hands the moderation commands one `MemberAction` instead of eight arguments each."""
    if isinstance(message, Message) and "command" in data:
        data["acting"] = MemberAction(
            message, data["command"], data["bot"], data["session"], data["admin_cache"],
            data["moderator"], data[UPDATE_SERVICES].moderation, data["chat_profile"],
        )  # fmt: skip
    return await handler(message, data)


async def warn_command(message: Message, acting: MemberAction) -> None:
    """/warn <reason>, as a reply or with @user"""
    found = await acting.acting_on()
    if found is None:
        return
    target, rest = found
    text = await acting.moderator.warn(
        acting.bot, acting.moderation, acting.profile, target.as_user(), acting.actor,
        " ".join(rest) or None,
    )  # fmt: skip
    await acting.message.reply(text)


async def warns_command(message: Message, acting: MemberAction) -> None:
    """/warns: one's own; an admin's /warns @user (or as a reply): theirs."""
    sender = message.from_user
    if sender is None or not acting.profile.is_group:
        await message.reply(usage_reply("warns"))
        return
    target = Target(sender.id, sender.full_name)
    wants_other = bool(acting.words) or replied_message(message) is not None
    if wants_other and await acting.admin_cache.is_admin(acting.bot, message.chat, sender, message):
        found = await acting.target()
        if found is None:
            return
        target = found[0]
    warnings = await acting.moderation.warnings(acting.profile.id, target.user_id)
    zone, limit = ZoneInfo(acting.profile.timezone), acting.profile.moderation.warn_limit
    await message.reply(for_sender(view.warns_text(target.name, warnings, limit, zone)))


async def unwarn_command(message: Message, acting: MemberAction) -> None:
    """/unwarn, as a reply or with @user: lifts the newest warning"""
    found = await acting.target()
    if found is None:
        return
    target = found[0]
    left = await acting.moderation.unwarn(acting.profile.id, target.user_id)
    if left is not None:
        await acting.moderator.record(
            acting.moderation, acting.profile, "unwarn", target.user_id, actor_id=acting.actor
        )
    await acting.message.reply(view.unwarned_text(target.name, left))


async def mute_command(message: Message, acting: MemberAction) -> None:
    """/mute <10m|2h|1d> [reason], as a reply or with @user"""
    found = await acting.acting_on()
    if found is None:
        return
    target, rest = found
    length = parse_duration(rest[0]) if rest else None
    if length is None or not MUTE_RANGE[0] <= length <= MUTE_RANGE[1]:
        reason = _("Say for how long: 10m, 2h or 1d (1 minute to 366 days).")
        await acting.message.reply(problem_reply(reason, "mute"))
        return
    why = " ".join(rest[1:]) or None
    if not await acting.moderator.mute(
        acting.bot, acting.moderation, acting.profile, target.user_id, length, acting.actor, why
    ):
        await acting.message.reply(view.no_rights_text())
        return
    await acting.message.reply(view.muted_text(target.name, int(length.total_seconds()), why))


async def unmute_command(message: Message, acting: MemberAction) -> None:
    """/unmute, as a reply or with @user"""
    found = await acting.acting_on()
    if found is None:
        return
    target = found[0]
    if not await acting.moderator.unmute(
        acting.bot, acting.moderation, acting.profile, target.user_id, acting.actor or 0
    ):
        await acting.message.reply(view.no_rights_text())
        return
    await acting.message.reply(view.unmuted_text(target.name))


async def ban_command(message: Message, acting: MemberAction) -> None:
    """/ban [duration] [reason] [refund], as a reply or with @user or an id"""
    found = await acting.acting_on()
    if found is None:
        return
    target, rest = found
    refund = bool(rest) and rest[-1].lower() == "refund"
    rest = rest[:-1] if refund else rest
    length = parse_duration(rest[0]) if rest else None
    if length is not None:
        rest = rest[1:]
        if not MUTE_RANGE[0] <= length <= MUTE_RANGE[1]:
            reason = _("A ban lasts 1 minute to 366 days, or leave the time out for good.")
            await acting.message.reply(problem_reply(reason, "ban"))
            return
    why = " ".join(rest) or None
    taken = 0
    if refund:  # keyed by the command: a redelivered /ban takes back nothing more
        key = f"ban:{acting.message.chat.id}:{acting.message.message_id}"
        taken = await acting.moderation.take_back_day(
            acting.profile.id, target.user_id, acting.actor or 0, key
        )
    groups = await acting.moderator.ban(
        acting.bot, acting.moderation, acting.profile, target.user_id, length, acting.actor, why
    )
    seconds = int(length.total_seconds()) if length else None
    await acting.message.reply(view.banned_text(target.name, seconds, why, len(groups), taken))


async def unban_command(message: Message, acting: MemberAction) -> None:
    """/unban @user or id: here and in every linked group"""
    found = await acting.target()
    if found is None:
        return
    target = found[0]
    groups = await acting.moderator.unban(
        acting.bot, acting.moderation, acting.profile, target.user_id, acting.actor or 0
    )
    await acting.message.reply(view.unbanned_text(target.name, len(groups)))


async def kick_command(message: Message, acting: MemberAction) -> None:
    """/kick [reason], as a reply or with @user"""
    found = await acting.acting_on()
    if found is None:
        return
    target, rest = found
    if not await acting.moderator.kick(acting.bot, acting.profile.id, target.user_id):
        await acting.message.reply(view.no_rights_text())
        return
    await acting.moderator.record(
        acting.moderation, acting.profile, "kick", target.user_id, actor_id=acting.actor,
        reason=" ".join(rest) or None,
    )  # fmt: skip
    await acting.message.reply(view.kicked_text(target.name))


async def modlog_command(
    message: Message,
    command: CommandObject,
    moderation: ModerationService,
    staff: StaffService,
    programs: ProgramService,
    session: AsyncSession,
    chat_profile: ChatProfile,
) -> None:
    """/modlog: the last 15 actions; /modlog console: the last 15 changes made through the web
    console, in any group of the program"""
    section = (command.args or "").strip().lower()
    if section not in ("", "console"):
        await message.reply(usage_reply("modlog"))
        return
    if section == "console":
        groups = await programs.groups(chat_profile.program_id, active_only=False)
        changes = await staff.changes(groups or [chat_profile.id], limit=15)
        actors = {e.actor_id for e in changes if e.actor_id is not None}
        who = {user: await known_name(session, user) or str(user) for user in actors}
        titles = await staff.titles(groups) if len(groups) > 1 else {}
        await message.reply(console_log_text(changes, who, titles, ZoneInfo(chat_profile.timezone)))
        return
    entries = await moderation.recent(chat_profile.id, limit=15)
    people = {who for e in entries for who in (e.target_id, e.actor_id) if who is not None}
    names = await display_names(session, chat_profile.id, people)
    await message.reply(view.modlog_text(entries, names, ZoneInfo(chat_profile.timezone)))


async def filter_command(
    message: Message,
    command: CommandObject,
    chat_profile: ChatProfile,
    session: AsyncSession,
    chat_cache: ChatCache,
) -> None:
    """/filter add <word or phrase> [delete|warn|mute|ban] · /filter del <number|word>"""
    verb, _space, rest = (command.args or "").strip().partition(" ")
    rest = rest.strip()
    if verb.lower() not in ("add", "del") or not rest:
        await message.reply(usage_reply("filter"))
        return
    if verb.lower() == "del":
        gone = await delete_filter(session, chat_profile.id, rest.removeprefix("#"))
        if gone is None:
            await message.reply(_("There is no such filter: see /filters."))
            return
        forget_after_commit(session, chat_cache, chat_profile.id)
        await message.reply(view.filter_deleted_text(gone))
        return
    word, _space, last = rest.rpartition(" ")
    action = last.lower() if word and last.lower() in ACTIONS else "delete"
    word = word if word and last.lower() in ACTIONS else rest
    try:
        added = await add_filter(session, chat_profile.id, word, action)
    except BadRule as bad:
        reasons = {
            "short": _("That is too short to filter: at least two letters or characters."),
            "long": _("A filter is at most 60 characters."),
            "full": _("This group has its 100 filters: delete one first."),
            "twice": _("That word is filtered already: see /filters."),
        }
        await message.reply(problem_reply(reasons.get(str(bad), str(bad)), "filter"))
        return
    forget_after_commit(session, chat_cache, chat_profile.id)
    await message.reply(view.filter_added_text(added))


async def filters_command(message: Message, chat_profile: ChatProfile) -> None:
    """/filters"""
    await message.reply(view.filters_text(chat_profile.moderation.filters))


async def link_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    moderator: Moderator,
    moderation: ModerationService,
    chats: ChatService,
    chat_profile: ChatProfile,
) -> None:
    """/link: how to; /link <other group's id>: share bans with it (an admin of both)"""
    raw = (command.args or "").strip()
    if not raw:
        await message.reply(view.link_howto_text(chat_profile.id))
        return
    if not raw.lstrip("-").isdigit() or int(raw) == chat_profile.id or message.from_user is None:
        await message.reply(usage_reply("link"))
        return
    other_id = int(raw)
    other = await chats.profile(other_id)
    if other is None or not other.is_group or not other.active:
        await message.reply(problem_reply(_("I'm not in that group."), "link"))
        return
    if message.sender_chat is not None or not await moderator.is_admin_of(
        bot, other_id, message.from_user
    ):
        await message.reply(_("Only an admin of both groups can link them."))
        return
    groups = await moderation.link(chat_profile.id, other_id, message.from_user.id)
    await message.reply(view.linked_text(len(groups)))


async def unlink_command(
    message: Message, moderation: ModerationService, chat_profile: ChatProfile
) -> None:
    """/unlink: this group keeps its own ban list again"""
    if await moderation.unlink(chat_profile.id):
        await message.reply(_("✅ Unlinked: bans here are this group's own again."))
    else:
        await message.reply(_("This group is not linked to another."))


async def verify_pressed(
    query: CallbackQuery,
    callback_data: view.VerifyButton,
    bot: Bot,
    verification: JoinVerification,
    moderation: ModerationService,
    chats: ChatService,
    session: AsyncSession,
    clock: Clock,
) -> None:
    """A newcomer's answer, in the group (after a join) or privately (a join request)."""
    if query.from_user.id != callback_data.user_id:
        await query.answer(view.not_yours_toast())
        return
    profile = await chats.profile(callback_data.chat_id)
    if profile is None:
        await query.answer(view.expired_toast())
        return
    toast, passed = await verification.answered(
        bot, moderation, profile, query.from_user, callback_data.answer
    )
    if passed is not None and passed.kind == "join":
        await welcome(session, clock, profile, query.from_user, clock.now(), verified=True)
    await query.answer(toast, show_alert=passed is not None and passed.kind == "request")


async def join_requested(
    request: ChatJoinRequest,
    bot: Bot,
    verification: JoinVerification,
    moderation: ModerationService,
    chat_profile: ChatProfile,
) -> None:
    """A join request, in a group that verifies: asked privately, approved once answered."""
    if chat_profile.moderation.verify == "off":
        return  # the admins approve requests themselves
    await verification.verify_request(
        bot, moderation, chat_profile, request.from_user, request.user_chat_id
    )


MEMBER_COMMANDS = (
    CommandSpec(
        "warns",
        __("Your warnings here; admins see a member's"),
        usage=__("/warns · /warns @user (admins)"),
        ephemeral=True,
    ),
)

ADMIN_COMMANDS = (
    CommandSpec(
        "warn",
        __("Warn a member (as a reply or naming them); the limit mutes or bans"),
        usage=__("/warn [@user|id] <reason>"),
        admin=True,
    ),
    CommandSpec(
        "unwarn", __("Lift a member's newest warning"), usage=__("/unwarn [@user|id]"), admin=True
    ),
    CommandSpec(
        "mute",
        __("Mute a member for a while"),
        usage=__("/mute [@user|id] <10m|2h|1d> [reason]"),
        admin=True,
    ),
    CommandSpec(
        "unmute", __("Let a muted member post again"), usage=__("/unmute [@user|id]"), admin=True
    ),
    CommandSpec(
        "ban",
        __("Ban a member, here and in linked groups; refund takes back their last day's points"),
        usage=__("/ban [@user|id] [duration] [reason] [refund]"),
        admin=True,
    ),
    CommandSpec(
        "unban", __("Lift a ban everywhere it applies"), usage=__("/unban <@user|id>"), admin=True
    ),
    CommandSpec(
        "kick",
        __("Remove a member (they may join again)"),
        usage=__("/kick [@user|id] [reason]"),
        admin=True,
    ),
    CommandSpec(
        "modlog",
        __("The last moderation actions; console: the last changes made in the web console"),
        usage="/modlog · /modlog console",
        admin=True,
    ),
    CommandSpec(
        "filter",
        __("Filter a word or phrase (made for Chinese: spaces and full-width forms caught)"),
        usage=__("/filter add <word or phrase> [delete|warn|mute|ban] · /filter del <number|word>"),
        admin=True,
    ),
    CommandSpec("filters", __("The word filters"), usage="/filters", admin=True),
    CommandSpec(
        "link",
        __("Share bans with another group you admin"),
        usage=__("/link · /link <other group's id>"),
        admin=True,
    ),
    CommandSpec("unlink", __("Stop sharing bans"), usage="/unlink", admin=True),
)


def create_router() -> Router:
    router = Router(name="moderation")
    router.message.middleware(gather)
    admin = {"flags": ONCE}
    for name, handler in (
        ("warn", warn_command), ("unwarn", unwarn_command), ("mute", mute_command),
        ("unmute", unmute_command), ("ban", ban_command), ("unban", unban_command),
        ("kick", kick_command), ("filter", filter_command), ("link", link_command),
        ("unlink", unlink_command),
    ):  # fmt: skip
        router.message.register(handler, Command(name), IsAdmin(), **admin)
    router.message.register(modlog_command, Command("modlog"), IsAdmin())
    router.message.register(filters_command, Command("filters"), IsAdmin())
    router.message.register(warns_command, Command("warns"))
    router.callback_query.register(verify_pressed, view.VerifyButton.filter())
    router.chat_join_request.register(join_requested)
    return router
