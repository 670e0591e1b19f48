"""Moderation's actions, with Telegram: warn, mute, ban across linked groups, kick, delete,
and the log of each. The guards (`workflows/spam_guard.py`), join verification
(`workflows/verification.py`) and night mode (`workflows/night_mode.py`) act through them.

Every action is written to the log (`mod_actions`) in the transaction that decides it, and to
the group's log channel through the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, ChatPermissions, User

from infrastructure.admins import AdminCache
from infrastructure.background import Background
from infrastructure.transactions import commit_so_far
from services.chats import ChatProfile
from services.guards import LIMIT_MUTE
from services.moderation import FOREVER, ModerationService
from services.moderation_messages import ModLog
from services.outbox import OutboxService
from views import moderation as view
from views.rights import DELETE, RESTRICT
from workflows.rights import RightsNotices

SILENT = ChatPermissions(
    can_send_messages=False, can_send_audios=False, can_send_documents=False,
    can_send_photos=False, can_send_videos=False, can_send_video_notes=False,
    can_send_voice_notes=False, can_send_polls=False, can_send_other_messages=False,
    can_add_web_page_previews=False, can_react_to_messages=False,
)  # fmt: skip
# Every permission: what lifts a member's own restriction (the group's defaults apply again).
FREE = ChatPermissions(
    can_send_messages=True, can_send_audios=True, can_send_documents=True,
    can_send_photos=True, can_send_videos=True, can_send_video_notes=True,
    can_send_voice_notes=True, can_send_polls=True, can_send_other_messages=True,
    can_add_web_page_previews=True, can_react_to_messages=True, can_edit_tag=True,
    can_invite_users=True, can_change_info=True, can_pin_messages=True, can_manage_topics=True,
)  # fmt: skip


class Moderator:
    def __init__(
        self, background: Background, notices: RightsNotices, admin_cache: AdminCache
    ) -> None:
        self.background = background
        self.notices = notices
        self.admin_cache = admin_cache

    async def record(
        self,
        moderation: ModerationService,
        profile: ChatProfile,
        action: str,
        target_id: int | None,
        *,
        actor_id: int | None = None,
        rule: str | None = None,
        reason: str | None = None,
        until: datetime | None = None,
    ) -> None:
        """Log the action, and post it to the group's log channel (through the outbox)."""
        entry = await moderation.log(
            profile.id, action, target_id, actor_id=actor_id, rule=rule, reason=reason,
            until=until,
        )  # fmt: skip
        if profile.moderation.log_channel is not None:
            await OutboxService(moderation.session, self.background.clock).add(
                profile.id, ModLog(action_id=entry.id), f"modlog:{entry.id}"
            )

    async def delete(self, bot: Bot, chat_id: int, message_id: int) -> bool:
        try:
            await bot.delete_message(chat_id, message_id)
        except TelegramAPIError as error:
            await self.notices.failed(bot, chat_id, DELETE, "delete a message", error)
            return False
        return True

    async def restrict(
        self, bot: Bot, chat_id: int, user_id: int, permissions: ChatPermissions, until: int
    ) -> bool:
        try:
            await bot.restrict_chat_member(
                chat_id, user_id, permissions, use_independent_chat_permissions=True,
                until_date=until or None,
            )  # fmt: skip
        except TelegramAPIError as error:
            await self.notices.failed(bot, chat_id, RESTRICT, "restrict a member", error)
            return False
        return True

    async def warn(
        self,
        bot: Bot,
        moderation: ModerationService,
        profile: ChatProfile,
        user: User,
        actor_id: int | None,
        reason: str | None,
        rule: str | None = None,
    ) -> str:
        """One warning; at the limit, its action. What the group is told."""
        rules = profile.moderation
        warned = await moderation.warn(profile.id, user.id, actor_id, reason, rules.warn_limit)
        await self.record(
            moderation, profile, "warn", user.id, actor_id=actor_id, rule=rule, reason=reason
        )
        if not warned.reached:
            return view.warned_text(user.full_name, warned.count, rules.warn_limit, reason)
        if rules.warn_action == "ban":
            await self.ban(bot, moderation, profile, user.id, None, None, None, "warns")
        else:
            await self.mute(bot, moderation, profile, user.id, LIMIT_MUTE, None, None, "warns")
        return view.limit_reached_text(user.full_name, rules.warn_limit, rules.warn_action)

    async def mute(
        self,
        bot: Bot,
        moderation: ModerationService,
        profile: ChatProfile,
        user_id: int,
        length: timedelta,
        actor_id: int | None,
        reason: str | None,
        rule: str | None = None,
    ) -> bool:
        until = self.background.clock.now() + length
        if not await self.restrict(bot, profile.id, user_id, SILENT, int(until.timestamp())):
            return False  # nothing happened: nothing logged
        await moderation.silence([profile.id], user_id, until)
        await self.record(
            moderation, profile, "mute", user_id, actor_id=actor_id, rule=rule, reason=reason,
            until=until,
        )  # fmt: skip
        return True

    async def unmute(
        self, bot: Bot, moderation: ModerationService, profile: ChatProfile, user_id: int,
        actor_id: int,
    ) -> bool:  # fmt: skip
        if not await self.restrict(bot, profile.id, user_id, FREE, 0):
            return False
        await moderation.unsilence([profile.id], user_id)
        await self.record(moderation, profile, "unmute", user_id, actor_id=actor_id)
        return True

    async def ban(
        self,
        bot: Bot,
        moderation: ModerationService,
        profile: ChatProfile,
        user_id: int,
        length: timedelta | None,
        actor_id: int | None,
        reason: str | None,
        rule: str | None = None,
    ) -> list[int]:
        """Ban here and in every linked group the bot is in: the groups."""
        until = self.background.clock.now() + length if length else None
        groups = await moderation.ban(profile.id, user_id, until, reason)
        await self.record(
            moderation, profile, "ban", user_id, actor_id=actor_id, rule=rule, reason=reason,
            until=until or FOREVER,
        )  # fmt: skip
        await commit_so_far(moderation.session)  # the bans stand before Telegram hears of them
        for group in groups:
            try:
                await bot.ban_chat_member(
                    group, user_id, until_date=int(until.timestamp()) if until else None
                )
            except TelegramAPIError as error:
                await self.notices.failed(bot, group, RESTRICT, "ban a member", error)
        return groups

    async def unban(
        self, bot: Bot, moderation: ModerationService, profile: ChatProfile, user_id: int,
        actor_id: int,
    ) -> list[int]:  # fmt: skip
        groups = await moderation.unban(profile.id, user_id)
        await self.record(moderation, profile, "unban", user_id, actor_id=actor_id)
        await commit_so_far(moderation.session)
        for group in groups:
            try:
                await bot.unban_chat_member(group, user_id, only_if_banned=True)
            except TelegramAPIError as error:
                await self.notices.failed(bot, group, RESTRICT, "unban a member", error)
        return groups

    async def kick(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        """Remove, free to come back: a ban, then its lifting."""
        try:
            await bot.ban_chat_member(chat_id, user_id)
            await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)
        except TelegramAPIError as error:
            await self.notices.failed(bot, chat_id, RESTRICT, "remove a member", error)
            return False
        return True

    async def is_admin_of(self, bot: Bot, chat_id: int, user: User) -> bool:
        """Whether `user` is an admin of another group (asked of Telegram, cached)."""
        try:
            chat = Chat(id=chat_id, type="supergroup")
            return await self.admin_cache.is_admin(bot, chat, user, None)
        except TelegramAPIError:
            return False
