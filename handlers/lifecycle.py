"""The bot joining or leaving a group, members joining (welcomed, referrals noted) and leaving,
admins changing, and a group becoming a supergroup."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, Router
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.member_tags import retag_when_allowed
from infrastructure.admins import AdminCache
from infrastructure.chat_cache import ChatCache
from infrastructure.filters import refuses_chatter
from infrastructure.transactions import after_commit, forget_after_commit
from services import members
from services.channels import ChannelService
from services.chats import ChatProfile, ChatService
from services.clock import Clock
from services.member_tags import MemberTagService
from services.moderation import ModerationService
from services.outbox import OutboxService
from services.program_merge import ProgramJoin
from services.programs import ProgramService
from services.raids import RaidService
from services.referrals import ReferralService
from services.welcome_messages import Welcome
from workflows.raids import RaidGuard
from workflows.rights import RightsNotices
from workflows.verification import JoinVerification

ADMIN_STATUSES = ("administrator", "creator")
REPEAT_WINDOW = 300  # seconds: a member who comes back this soon is not welcomed again


@refuses_chatter
async def is_migration(message: Message) -> bool:
    return message.migrate_to_chat_id is not None


async def bot_added(
    event: ChatMemberUpdated,
    bot: Bot,
    chats: ChatService,
    admin_cache: AdminCache,
    notices: RightsNotices,
) -> None:
    """The bot was added to a group: say what it needs to do its job."""
    await admin_cache.invalidate(event.chat.id)
    await chats.set_active(event.chat.id, True)
    if event.chat.type not in ("group", "supergroup"):
        return
    await bot.send_message(
        event.chat.id, greeting(event, (await bot.me()).can_read_all_group_messages)
    )
    if event.new_chat_member.status == "administrator":  # else the greeting asked for it
        await notices.rights_changed(bot, event.chat.id, event.new_chat_member)


def greeting(event: ChatMemberUpdated, reads_all_messages: bool | None) -> str:
    hello = _("👋 Thanks for adding me! I run sign-ins, points, draws, topics and scheduled posts.")
    if event.new_chat_member.status == "administrator":
        return hello + "\n" + _("I'm ready. Send /help to see the commands.")
    if reads_all_messages:
        need = _(
            "Please make me an admin, so I can pin posts, delete spam and create invite links."
        )
    else:
        need = _(
            "To award points I must see messages: make me an admin, or turn privacy mode off "
            "in @BotFather (Bot Settings → Group Privacy → Turn off)."
        )
    return f"{hello}\n{need}"


async def bot_removed(
    event: ChatMemberUpdated,
    chats: ChatService,
    session: AsyncSession,
    chat_cache: ChatCache,
    admin_cache: AdminCache,
) -> None:
    """The bot was removed: stop posting there; every row stays."""
    await chats.set_active(event.chat.id, False)
    forget_after_commit(session, chat_cache, event.chat.id)
    await admin_cache.invalidate(event.chat.id)


async def touches_admin_rights(event: ChatMemberUpdated) -> bool:
    statuses = (event.old_chat_member.status, event.new_chat_member.status)
    return any(status in ADMIN_STATUSES for status in statuses)


async def admins_changed(event: ChatMemberUpdated, admin_cache: AdminCache) -> None:
    """Admin rights moved: ask Telegram for the admins again next time."""
    await admin_cache.invalidate(event.chat.id)


async def bot_rights_changed(
    event: ChatMemberUpdated,
    bot: Bot,
    admin_cache: AdminCache,
    notices: RightsNotices,
    member_tags: MemberTagService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> None:
    """The bot was promoted, demoted or given other rights: tell the admins what it lacks."""
    await admin_cache.invalidate(event.chat.id)
    await retag_when_allowed(event, member_tags, chat_profile, i18n)
    await notices.rights_changed(bot, event.chat.id, event.new_chat_member)


async def member_joined(
    event: ChatMemberUpdated,
    chat_profile: ChatProfile,
    referrals: ReferralService,
    admin_cache: AdminCache,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    verification: JoinVerification,
    moderation: ModerationService,
    member_tags: MemberTagService,
    raid_guard: RaidGuard,
    raids: RaidService,
    channels: ChannelService,
) -> None:
    """A person joined (or came back): count the join, hold them read-only during a raid (a
    surge of joins starts one), else verify them if the group asks it, welcome them with the
    others joining now (once verified), and note whose invite link brought them (a referral
    pays only once they stayed and talked: verified) or which channel's."""
    user = event.new_chat_member.user
    if await touches_admin_rights(event):
        await admin_cache.invalidate(event.chat.id)
    if user.is_bot or not chat_profile.is_group:
        return
    now = clock.now()
    counted = await members.member_joined(
        session, chat_profile.id, user.id, now, chat_profile.timezone
    )
    # One the bot let in (a verified join request) or an admin added needs no question.
    let_in = event.from_user.id == bot.id or (
        event.from_user.id != user.id
        and await admin_cache.is_admin(bot, event.chat, event.from_user, None)
    )
    # A raid's joiners get no question posted in the group and no welcome.
    held = not let_in and await raid_guard.joined(bot, raids, chat_profile, user.id, now)
    asked = (
        not let_in
        and not held
        and await verification.verify_join(bot, moderation, chat_profile, user)
    )
    if counted and not asked and not held:
        await welcome(session, clock, chat_profile, user, now, verified=True)
    await member_tags.joined(chat_profile.id, user.id)  # a tier they hold shows again
    if event.invite_link is not None:
        link = event.invite_link
        await referrals.joined(chat_profile.id, user.id, link.invite_link, chat_profile.timezone)
        await channels.joined(
            chat_profile.id, chat_profile.program_id, user.id, link.invite_link, link.name
        )


async def welcome(
    session: AsyncSession,
    clock: Clock,
    profile: ChatProfile,
    user: User,
    joined_at: datetime,
    *,
    verified: bool = False,
) -> None:
    """Queue the member's welcome with their join (the outbox gathers everyone who joins in
    the same few seconds into one). A join Telegram tells of twice counts, and welcomes, once;
    so does coming back within five minutes. In a group that verifies newcomers, only the
    verified are welcomed (the `chat_member` update decides; the service message waits)."""
    if not verified and profile.moderation.verify != "off":
        return
    if profile.welcome.enabled:
        moment = int(joined_at.timestamp()) // REPEAT_WINDOW
        await OutboxService(session, clock).add(
            profile.id, Welcome(user_id=user.id, name=user.full_name),
            f"welcome:{profile.id}:{user.id}:{moment}",
        )  # fmt: skip


async def member_left(
    event: ChatMemberUpdated,
    chat_profile: ChatProfile,
    referrals: ReferralService,
    admin_cache: AdminCache,
    session: AsyncSession,
    clock: Clock,
    channels: ChannelService,
) -> None:
    """A person left or was removed: count the leave (and the channel's that brought them);
    a referral still waiting for them never pays. A tag the bot gave them stays recorded:
    settled when they come back."""
    if await touches_admin_rights(event):
        await admin_cache.invalidate(event.chat.id)
    user = event.new_chat_member.user
    if not user.is_bot and chat_profile.is_group:
        await members.member_left(
            session, event.chat.id, user.id, clock.now(), chat_profile.timezone
        )
        await channels.left(event.chat.id, chat_profile.program_id, user.id)
    await referrals.left(event.chat.id, user.id)


@refuses_chatter
async def moves_members(message: Message) -> bool:
    return bool(message.new_chat_members) or message.left_chat_member is not None


async def members_moved(
    message: Message,
    chat_profile: ChatProfile,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    raids: RaidService,
) -> None:
    """The "joined" and "left" service messages: all a bot sees of joins and leaves when it
    is not an admin (an admin sees `chat_member` updates too; each move counts once). No
    welcome during a raid."""
    if not chat_profile.is_group:
        return
    now, timezone = clock.now(), chat_profile.timezone
    joined = [user for user in message.new_chat_members or () if not user.is_bot]
    quiet = bool(joined) and await raids.current(chat_profile.id) is not None
    for user in joined:
        if (
            await members.member_joined(session, chat_profile.id, user.id, now, timezone)
            and not quiet
        ):
            await welcome(session, clock, chat_profile, user, now)
    gone = message.left_chat_member
    if gone is not None and not gone.is_bot:
        await members.member_left(session, chat_profile.id, gone.id, now, timezone)


async def group_migrated(
    message: Message,
    chats: ChatService,
    session: AsyncSession,
    chat_cache: ChatCache,
    admin_cache: AdminCache,
    programs: ProgramService,
    program_join: ProgramJoin,
) -> None:
    """The group became a supergroup with a new id: move its rows to the new id (and its
    program's, when it founded one: every group of it then names the new id)."""
    new_id = message.migrate_to_chat_id
    assert new_id is not None
    await chats.migrate(message.chat.id, new_id)
    for chat_id in (message.chat.id, new_id):
        await admin_cache.invalidate(chat_id)
    program_id = await programs.program_of(new_id)
    others = await programs.groups(program_id, active_only=False)
    for chat_id in {message.chat.id, new_id, *others}:
        forget_after_commit(session, chat_cache, chat_id)
    after_commit(session, program_join.forget)


def create_router() -> Router:
    router = Router(name="lifecycle")
    router.my_chat_member.register(bot_added, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.my_chat_member.register(bot_removed, ChatMemberUpdatedFilter(LEAVE_TRANSITION))
    router.my_chat_member.register(bot_rights_changed, touches_admin_rights)
    router.chat_member.register(member_joined, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.chat_member.register(member_left, ChatMemberUpdatedFilter(LEAVE_TRANSITION))
    router.chat_member.register(admins_changed, touches_admin_rights)
    router.message.register(group_migrated, is_migration)
    router.message.register(members_moved, moves_members)
    return router
