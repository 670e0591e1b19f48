"""Keeping the group clean, with Telegram: the guards every member message passes before it is
handled or counted (flood, word filter, newcomers' links), the actions (mute, ban across linked
groups, kick, delete), join verification, and the keeper that removes the unverified when
their time is up and closes and opens groups for the night.

Every action is written to the log (`mod_actions`) in the transaction that decides it, and to
the group's log channel through the outbox. The bot's own notices go away a minute later.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import Chat, ChatPermissions, Message, MessageEntity, User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.admins import AdminCache
from infrastructure.background import Background
from infrastructure.periodic import every
from infrastructure.transactions import commit_so_far
from models import Chat as ChatRow
from models import Member, Verification
from services.chats import ChatProfile
from services.factory import UpdateServices
from services.guards import (
    LIMIT_MUTE,
    NEWCOMER_HOURS,
    NEWCOMER_MESSAGES,
    FloodWatch,
    ModerationRules,
    WordFilter,
    new_challenge,
)
from services.moderation import FOREVER, ModerationService
from services.moderation_messages import ModLog
from services.moderation_settings import set_night_closed
from services.outbox import OutboxService
from services.receipts import first_receipt
from views import moderation as view
from views.rights import DELETE, RESTRICT
from workflows.quiet import QuietMode
from workflows.rights import RightsNotices

logger = logging.getLogger(__name__)
KEEP_EVERY = 5.0  # seconds between the keeper's looks
NOTICE_EVERY = 3600.0  # one link notice per member per hour
NIGHT_EVERY = 10.0  # seconds between looks at the groups' nights (one query)
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
# A group's morning permissions when its evening ones were not read: members talk and invite.
MORNING = ChatPermissions(**{**FREE.model_dump(), "can_change_info": False, "can_edit_tag": False,
                             "can_pin_messages": False, "can_manage_topics": False})  # fmt: skip


def links_in(message: Message, rules: ModerationRules) -> bool:
    """A link to a domain not allowed, a forward from a channel, or a mention of a bot."""
    if message.forward_origin is not None and message.forward_origin.type == "channel":
        return True
    text = message.text or message.caption or ""
    entities: Sequence[MessageEntity] = message.entities or message.caption_entities or ()
    for entity in entities:
        if entity.type in ("url", "text_link"):
            link = entity.url if entity.type == "text_link" else entity.extract_from(text)
            if not rules.allows_domain(host_of(link or "")):
                return True
        elif entity.type == "mention" and entity.extract_from(text).lower().endswith("bot"):
            return True  # every bot's username ends in "bot"
    return False


class Suspicion(NamedTuple):
    flooding: bool
    matched: WordFilter | None
    linked: bool


def host_of(link: str) -> str:
    rest = link.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].lower().removeprefix("www.")


class Moderator:
    def __init__(
        self,
        background: Background,
        notices: RightsNotices,
        admin_cache: AdminCache,
        quiet: QuietMode,
    ) -> None:
        self.background = background
        self.notices = notices
        self.admin_cache = admin_cache
        self.quiet = quiet
        self.flood = FloodWatch()
        self._noticed: OrderedDict[tuple[int, int], float] = OrderedDict()
        self._next_night_look = 0.0

    # -- the guards, before a member's message is handled or counted ------------------------

    async def guard(
        self,
        bot: Bot,
        message: Message,
        profile: ChatProfile,
        services: UpdateServices,
    ) -> bool:
        """True when the message was spam and is dealt with (it is neither handled nor
        counted). The cheap checks come first; the admin check only once one matched (and the
        moderation service is built only then)."""
        user = message.from_user
        suspicion = self.suspicion(message, profile)
        if user is None or suspicion is None:
            return False
        flooding, matched, _ = suspicion
        rules = profile.moderation
        if await self.admin_cache.is_admin(bot, message.chat, user, message):
            return False
        session = services.session
        if not (matched or flooding) and not await self.is_newcomer(session, profile.id, user.id):
            return False  # a link from a member who is past their first day and messages
        moderation, clock = services.moderation, self.background.clock
        if not await first_receipt(session, clock, profile.id, message.message_id, "guard"):
            return True  # delivered again: dealt with already, never warned twice
        if matched is not None:
            await self.delete(bot, profile.id, message.message_id)
            rule = f"filter:{matched.id}"
            await self.record(moderation, profile, "delete", user.id, rule=rule)
            if matched.action == "warn":
                await self.warn(bot, moderation, profile, user, None, None, rule=rule)
            elif matched.action == "mute":
                await self.mute(bot, moderation, profile, user.id, LIMIT_MUTE, None, None, rule)
            elif matched.action == "ban":
                await self.ban(bot, moderation, profile, user.id, None, None, None, rule)
            await self.notice(bot, profile, view.filtered_notice(user.id, user.full_name,
                                                                 matched.action))  # fmt: skip
            return True
        if flooding:
            mute = timedelta(seconds=rules.flood_mute)
            if await self.mute(bot, moderation, profile, user.id, mute, None, None, "flood"):
                await self.notice(bot, profile, view.flood_notice(user.id, user.full_name,
                                                                  rules.flood_mute))  # fmt: skip
            return True
        await self.delete(bot, profile.id, message.message_id)
        await self.record(moderation, profile, "delete", user.id, rule="links")
        if self._notice_due(profile.id, user.id):
            await self.notice(bot, profile, view.links_notice(user.id, user.full_name))
        return True

    def suspicion(self, message: Message, profile: ChatProfile) -> Suspicion | None:
        """What the cheap checks (no database, no Telegram) find in a member's message: None
        when no guard has anything to do with it. Asking twice of one message is safe."""
        user = message.from_user
        if user is None or user.is_bot or message.sender_chat is not None:
            return None
        rules = profile.moderation
        now = time.monotonic()
        flooding = self.flood.floods(profile.id, user.id, message.message_id, now, rules)
        matched = rules.matching_filter(message.text or message.caption or "")
        linked = rules.links and links_in(message, rules)
        if not (flooding or matched or linked):
            return None
        return Suspicion(flooding, matched, linked)

    async def is_newcomer(self, session: AsyncSession, chat_id: int, user_id: int) -> bool:
        """In their first day here, or before their fifth counted message."""
        row = (
            await session.execute(
                select(Member.joined_at, Member.last_join_at, Member.message_count).where(
                    Member.chat_id == chat_id, Member.user_id == user_id
                )
            )
        ).one_or_none()
        if row is None:
            return True
        joined_at, last_join_at, count = row
        joined = last_join_at or joined_at
        recent = joined is not None and joined > self.background.clock.now() - timedelta(
            hours=NEWCOMER_HOURS
        )
        return recent or count < NEWCOMER_MESSAGES

    def _notice_due(self, chat_id: int, user_id: int) -> bool:
        now, key = time.monotonic(), (chat_id, user_id)
        last = self._noticed.get(key)
        if last is not None and now - last < NOTICE_EVERY:
            return False
        self._noticed[key] = now
        self._noticed.move_to_end(key)
        if len(self._noticed) > 10_000:
            self._noticed.popitem(last=False)
        return True

    async def notice(self, bot: Bot, profile: ChatProfile, text: str) -> None:
        """A short notice in the group, deleted a minute later."""
        try:
            with self.background.speaking(profile):
                sent = await bot.send_message(profile.id, text)
        except TelegramAPIError as error:
            logger.info("chat %s: notice not sent: %s", profile.id, error)
            return
        await self.quiet.clean_up(profile.id, sent.message_id)

    # -- actions ------------------------------------------------------------------------------

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

    async def _restrict(
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
        if not await self._restrict(bot, profile.id, user_id, SILENT, int(until.timestamp())):
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
        if not await self._restrict(bot, profile.id, user_id, FREE, 0):
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

    # -- join verification --------------------------------------------------------------------

    async def verify_join(
        self, bot: Bot, moderation: ModerationService, profile: ChatProfile, user: User
    ) -> bool:
        """A newcomer joined: banned in a linked group → banned here too; else restricted and
        asked to press or solve. False when they need no verification (it is off)."""
        rules = profile.moderation
        if rules.verify == "off":
            return False
        if await moderation.banned(profile.id, user.id) is not None:
            await self.record(moderation, profile, "ban", user.id, rule="network")
            await commit_so_far(moderation.session)
            try:
                await bot.ban_chat_member(profile.id, user.id)
            except TelegramAPIError as error:
                await self.notices.failed(bot, profile.id, RESTRICT, "ban a member", error)
            return True
        challenge = new_challenge(rules.verify)
        await moderation.challenge(
            profile.id, user.id, "join", user.full_name, challenge.answer, rules.verify_seconds
        )
        await commit_so_far(moderation.session)  # the challenge stands before it is asked
        if not await self._restrict(bot, profile.id, user.id, SILENT, 0):
            await moderation.settle(profile.id, user.id, "passed")  # nothing to lift later
            return False
        with self.background.speaking(profile):
            text = view.challenge_text(
                user.full_name, user.id, challenge, rules.verify_seconds, profile.title
            )
            markup = view.challenge_keyboard(profile.id, user.id, challenge)
        try:
            sent = await bot.send_message(profile.id, text, reply_markup=markup)
        except TelegramAPIError as error:
            logger.info("chat %s: challenge not sent: %s", profile.id, error)
            return True
        await moderation.asked(profile.id, user.id, sent.message_id)
        return True

    async def verify_request(
        self,
        bot: Bot,
        moderation: ModerationService,
        profile: ChatProfile,
        user: User,
        user_chat_id: int,
    ) -> None:
        """A join request: refused if banned in a linked group, else asked privately (in the
        update's language: the group's, or the asker's own)."""
        rules = profile.moderation
        if await moderation.banned(profile.id, user.id) is not None:
            await self.record(moderation, profile, "decline", user.id, rule="network")
            await commit_so_far(moderation.session)
            await self._answer_request(bot, profile.id, user.id, approve=False)
            return
        challenge = new_challenge("math" if rules.verify == "math" else "button")
        await moderation.challenge(
            profile.id, user.id, "request", user.full_name, challenge.answer, rules.verify_seconds
        )
        await commit_so_far(moderation.session)
        text = view.challenge_text(
            user.full_name, user.id, challenge, rules.verify_seconds, profile.title
        )
        markup = view.challenge_keyboard(profile.id, user.id, challenge)
        try:
            sent = await bot.send_message(user_chat_id, text, reply_markup=markup)
        except TelegramAPIError as error:
            logger.info("join request of %s: challenge not sent: %s", user.id, error)
            return
        await moderation.asked(profile.id, user.id, sent.message_id)

    async def answered(
        self,
        bot: Bot,
        moderation: ModerationService,
        profile: ChatProfile,
        user: User,
        answer: str,
    ) -> tuple[str, Verification | None]:
        """A newcomer pressed an answer: (the toast, the verification when it passed)."""
        pending = await moderation.pending(profile.id, user.id)
        if pending is None:
            return view.expired_toast(), None
        right = pending.answer is None or pending.answer == answer
        settled = await moderation.settle(profile.id, user.id, "passed" if right else "failed")
        if settled is None:
            return view.expired_toast(), None
        await self.record(
            moderation, profile, "verify" if right else "verify_fail", user.id, rule="verify"
        )
        await commit_so_far(moderation.session)
        await self._finish(bot, settled, passed=right)
        if not right:
            return view.wrong_answer_toast(), None
        if settled.kind == "request":
            return view.request_approved_text(profile.title), settled
        return view.verified_toast(), settled

    async def _finish(self, bot: Bot, verification: Verification, *, passed: bool) -> None:
        """Let the newcomer in (or out), and take the question away."""
        chat_id, user_id = verification.chat_id, verification.user_id
        if verification.kind == "request":
            await self._answer_request(bot, chat_id, user_id, approve=passed)
            where = user_id
        else:
            if passed:
                await self._restrict(bot, chat_id, user_id, FREE, 0)
            else:
                await self.kick(bot, chat_id, user_id)
            where = chat_id
        if verification.message_id is not None:
            try:
                await bot.delete_message(where, verification.message_id)
            except TelegramAPIError as error:
                logger.info("challenge %s stays: %s", verification.message_id, error)

    async def _answer_request(self, bot: Bot, chat_id: int, user_id: int, *, approve: bool) -> None:
        try:
            if approve:
                await bot.approve_chat_join_request(chat_id, user_id)
            else:
                await bot.decline_chat_join_request(chat_id, user_id)
        except TelegramBadRequest as error:  # answered by an admin meanwhile
            logger.info("join request of %s in %s: %s", user_id, chat_id, error)

    # -- the keeper -----------------------------------------------------------------------------

    async def run(self, bot: Bot) -> None:
        await every(KEEP_EVERY, lambda: self.keep(bot), "remove the unverified and keep nights")

    async def keep(self, bot: Bot) -> None:
        await self.expire(bot)
        await self.keep_nights(bot)

    async def expire(self, bot: Bot) -> int:
        """Newcomers whose time is up are removed (a join request declined); once each."""
        async with self.background.session_pool() as session, session.begin():
            moderation = self.background.services.moderation(session)
            failed = await moderation.due()
            chats = self.background.services.chats(session)
            for verification in failed:
                profile = await chats.profile(verification.chat_id)
                if profile is not None:
                    action = "decline" if verification.kind == "request" else "verify_fail"
                    await self.record(
                        moderation, profile, action, verification.user_id, rule="verify"
                    )
        for verification in failed:
            await self._finish(bot, verification, passed=False)
        return len(failed)

    async def keep_nights(self, bot: Bot) -> None:
        """Close the groups whose night began, and open those whose morning came (one look at
        the groups' settings; a group switches under its row's lock, so once)."""
        if time.monotonic() < self._next_night_look:
            return
        self._next_night_look = time.monotonic() + NIGHT_EVERY
        now = self.background.clock.now()
        async with self.background.session_pool() as session:
            rows = (
                await session.execute(
                    select(ChatRow.id, ChatRow.timezone, ChatRow.settings).where(
                        ChatRow.active.is_(True), ChatRow.type == "supergroup"
                    )
                )
            ).all()
        due = []
        for chat_id, timezone, settings in rows:
            night = ModerationRules.from_settings(settings or {}).night
            zone = timezone or self.background.default_timezone
            wanted = night is not None and is_night(now, zone, night.start, night.end)
            if wanted != bool((settings or {}).get("night_closed")):
                due.append((chat_id, wanted))
        for chat_id, wanted in due:
            evening = await self._permissions_of(bot, chat_id) if wanted else None
            async with self.background.session_pool() as session, session.begin():
                chats = self.background.services.chats(session)
                switched = await set_night_closed(session, chat_id, wanted, evening)
                if switched is None:
                    continue  # another worker switched it
                profile = await chats.profile(chat_id)
                assert profile is not None
                moderation = self.background.services.moderation(session)
                await self.record(moderation, profile, "night" if wanted else "morning", None,
                                  rule="night")  # fmt: skip
            morning = ChatPermissions(**switched) if switched else MORNING
            await self._switch_night(bot, profile, SILENT if wanted else morning, closed=wanted)

    async def _permissions_of(self, bot: Bot, chat_id: int) -> dict[str, bool] | None:
        """The group's permissions before the night closes it, to give back in the morning."""
        try:
            chat = await bot.get_chat(chat_id)
        except TelegramAPIError as error:
            logger.info("chat %s: permissions not read: %s", chat_id, error)
            return None
        if chat.permissions is None:
            return None
        return chat.permissions.model_dump(exclude_none=True)

    async def _switch_night(
        self, bot: Bot, profile: ChatProfile, permissions: ChatPermissions, *, closed: bool
    ) -> None:
        night = profile.moderation.night
        try:
            await bot.set_chat_permissions(
                profile.id, permissions, use_independent_chat_permissions=True
            )
        except TelegramBadRequest as error:
            if "not modified" not in str(error).lower():
                await self.notices.failed(bot, profile.id, RESTRICT, "close the group", error)
                return
        with self.background.speaking(profile):
            text = (
                view.night_closed_text(night.end if night else "")
                if closed
                else view.night_opened_text()
            )
        try:
            await bot.send_message(profile.id, text)
        except TelegramAPIError as error:
            logger.info("chat %s: night notice not sent: %s", profile.id, error)

    async def is_admin_of(self, bot: Bot, chat_id: int, user: User) -> bool:
        """Whether `user` is an admin of another group (asked of Telegram, cached)."""
        try:
            chat = Chat(id=chat_id, type="supergroup")
            return await self.admin_cache.is_admin(bot, chat, user, None)
        except TelegramAPIError:
            return False


def is_night(now: datetime, timezone: str, start: str, end: str) -> bool:
    """Whether the local time is within [start, end), a window that may cross midnight."""
    local = now.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    if start < end:
        return start <= local < end
    return local >= start or local < end
