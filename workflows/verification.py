"""Join verification: a newcomer (or a join request) is restricted and asked to press or solve;
banned in a linked group, they are refused at once; one who never answers is removed when
their time is up (`expire`, a background check of the scheduler's). In `question` mode a join
request is asked one of the admins' brand questions privately and answers by typing
(`services/captcha.py`); a newcomer who joined without a request gets the sum in the group.

Approving or declining a request can fail: an admin answered it meanwhile
(`HIDE_REQUESTER_MISSING`), the requester got in another way (`USER_ALREADY_PARTICIPANT`), or the
bot lost `can_invite_users`. The requester is then told what happened instead of a false
"approved", the admins are told of a missing right once (`workflows/rights.py`), and a decline
is logged only once Telegram took it.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import User

from infrastructure.transactions import commit_so_far
from models import Verification
from services.captcha import (
    QUESTION_SECONDS,
    QUESTION_TRIES,
    CaptchaQuestions,
    missed,
)
from services.chats import ChatProfile
from services.guards import new_challenge
from services.moderation import JoinRequestAnswer, ModerationService
from views import captcha as captcha_view
from views import moderation as view
from views.rights import INVITE, RESTRICT
from workflows.moderation import FREE, SILENT, Moderator

logger = logging.getLogger(__name__)


class JoinVerification:
    def __init__(self, moderator: Moderator) -> None:
        self.moderator = moderator
        self.background = moderator.background

    async def verify_join(
        self, bot: Bot, moderation: ModerationService, profile: ChatProfile, user: User
    ) -> bool:
        """A newcomer joined: banned in a linked group → banned here too; else restricted and
        asked to press or solve. False when they need no verification (it is off)."""
        rules = profile.moderation
        if rules.verify == "off":
            return False
        if await moderation.banned(profile.id, user.id) is not None:
            await self.moderator.record(moderation, profile, "ban", user.id, rule="network")
            await commit_so_far(moderation.session)
            try:
                await bot.ban_chat_member(profile.id, user.id)
            except TelegramAPIError as error:
                await self.moderator.notices.failed(
                    bot, profile.id, RESTRICT, "ban a member", error
                )
            return True
        # A brand question would be answered in front of everyone: a direct join gets the sum.
        challenge = new_challenge("math" if rules.verify == "question" else rules.verify)
        await moderation.challenge(
            profile.id, user.id, "join", user.full_name, challenge.answer, rules.verify_seconds
        )
        await commit_so_far(moderation.session)  # the challenge stands before it is asked
        if not await self.moderator.restrict(bot, profile.id, user.id, SILENT, 0):
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
            declined = await self._answer_request(bot, profile.id, user.id, approve=False)
            if declined is JoinRequestAnswer.DONE:
                await self.moderator.record(moderation, profile, "decline", user.id, rule="network")
            return
        question = profile.rules(CaptchaQuestions).pick() if rules.verify == "question" else None
        markup = None
        answer: str | None  # None: a button, any press passes
        if question is not None:  # typed back in the private chat (`answered_question`)
            answer, seconds = question.asked_as, QUESTION_SECONDS
            text = captcha_view.question_text(
                user.full_name, profile.title, question.text, QUESTION_TRIES, QUESTION_SECONDS
            )
        else:
            challenge = new_challenge("math" if rules.verify == "math" else "button")
            answer, seconds = challenge.answer, rules.verify_seconds
            text = view.challenge_text(user.full_name, user.id, challenge, seconds, profile.title)
            markup = view.challenge_keyboard(profile.id, user.id, challenge)
        await moderation.challenge(profile.id, user.id, "request", user.full_name, answer, seconds)
        await commit_so_far(moderation.session)  # the question stands before it is asked
        try:
            sent = await bot.send_message(user_chat_id, text, reply_markup=markup)
        except TelegramAPIError as error:
            logger.info("join request of %s: not asked: %s", user.id, error)
            return
        await moderation.asked(profile.id, user.id, sent.message_id)

    async def answered_question(
        self,
        bot: Bot,
        moderation: ModerationService,
        profile: ChatProfile,
        user: User,
        answer: str,
    ) -> str:
        """A requester typed an answer to their brand question: what they are told. Right, the
        request is approved; wrong `QUESTION_TRIES` times, declined."""
        pending = await moderation.pending(profile.id, user.id)
        question = None if pending is None else profile.rules(CaptchaQuestions).asked(pending)
        if pending is None or question is None:
            return view.expired_toast()
        if question.accepts(answer):
            settled = await moderation.settle(profile.id, user.id, "passed")
            if settled is None:
                return view.expired_toast()
            await self.moderator.record(moderation, profile, "verify", user.id, rule="verify")
            await commit_so_far(moderation.session)
            approved = await self._finish(bot, settled, passed=True)
            if approved is not JoinRequestAnswer.DONE:
                return view.request_unanswered_text(approved, profile.title, approving=True)
            return view.request_approved_text(profile.title)
        tries = await missed(moderation.session, profile.id, user.id)
        if tries is None:
            return view.expired_toast()
        if tries < QUESTION_TRIES:
            return captcha_view.try_again_text(QUESTION_TRIES - tries)
        settled = await moderation.settle(profile.id, user.id, "failed")
        if settled is None:
            return view.expired_toast()
        await commit_so_far(moderation.session)  # settled once before Telegram hears of it
        declined = await self._finish(bot, settled, passed=False)
        if declined is not JoinRequestAnswer.DONE:
            return view.request_unanswered_text(declined, profile.title, approving=False)
        await self.moderator.record(moderation, profile, "decline", user.id, rule="verify")
        await commit_so_far(moderation.session)  # logged before the requester hears of it
        return captcha_view.declined_text(profile.title)

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
        request = settled.kind == "request"
        if right or not request:  # a request's decline is logged once Telegram took it
            await self.moderator.record(
                moderation, profile, "verify" if right else "verify_fail", user.id, rule="verify"
            )
        await commit_so_far(moderation.session)
        answered = await self._finish(bot, settled, passed=right)
        if request and answered is not JoinRequestAnswer.DONE:
            said = view.request_unanswered_text(answered, profile.title, approving=right)
            return said, settled if right else None
        if not right:
            if request:
                await self.moderator.record(moderation, profile, "decline", user.id, rule="verify")
                await commit_so_far(moderation.session)
            return view.wrong_answer_toast(), None
        if request:
            return view.request_approved_text(profile.title), settled
        return view.verified_toast(), settled

    async def _finish(
        self, bot: Bot, verification: Verification, *, passed: bool
    ) -> JoinRequestAnswer:
        """Let the newcomer in (or out), and take the question away; what came of a request
        (a join's failures are the moderator's to tell)."""
        chat_id, user_id = verification.chat_id, verification.user_id
        answered = JoinRequestAnswer.DONE
        if verification.kind == "request":
            answered = await self._answer_request(bot, chat_id, user_id, approve=passed)
            where = user_id
        else:
            if passed:
                await self.moderator.restrict(bot, chat_id, user_id, FREE, 0)
            else:
                await self.moderator.kick(bot, chat_id, user_id)
            where = chat_id
        if verification.message_id is not None:
            try:
                await bot.delete_message(where, verification.message_id)
            except TelegramAPIError as error:
                logger.info("challenge %s stays: %s", verification.message_id, error)
        return answered

    async def _answer_request(
        self, bot: Bot, chat_id: int, user_id: int, *, approve: bool
    ) -> JoinRequestAnswer:
        what = "approve a join request" if approve else "decline a join request"
        try:
            if approve:
                await bot.approve_chat_join_request(chat_id, user_id)
            else:
                await bot.decline_chat_join_request(chat_id, user_id)
        except TelegramAPIError as error:
            # Telegram's own codes, passed on by every Bot API server (tdlib's check of the
            # right comes first, in its own words: hence asking whether the right is missing).
            if "USER_ALREADY_PARTICIPANT" in error.message:
                logger.info("chat %s: %s is in already: %s", chat_id, user_id, error)
                return JoinRequestAnswer.MEMBER
            if "HIDE_REQUESTER_MISSING" in error.message:
                logger.info("chat %s: request of %s answered already", chat_id, user_id)
                return JoinRequestAnswer.GONE
            if await self.moderator.notices.failed(bot, chat_id, INVITE, what, error):
                return JoinRequestAnswer.NO_RIGHT
            return JoinRequestAnswer.FAILED
        return JoinRequestAnswer.DONE

    async def expire(self, bot: Bot) -> int:
        """Newcomers whose time is up are removed (a join request declined); once each."""
        async with self.background.session_pool() as session, session.begin():
            moderation = self.background.services.moderation(session)
            failed = await moderation.due()
            await self._log(moderation, [v for v in failed if v.kind == "join"], "verify_fail")
        declined = [
            verification
            for verification in failed
            if await self._finish(bot, verification, passed=False) is JoinRequestAnswer.DONE
            and verification.kind == "request"
        ]
        if declined:  # only what Telegram declined: an admin may have let them in meanwhile
            async with self.background.session_pool() as session, session.begin():
                moderation = self.background.services.moderation(session)
                await self._log(moderation, declined, "decline")
        return len(failed)

    async def _log(
        self, moderation: ModerationService, verifications: list[Verification], action: str
    ) -> None:
        chats = self.background.services.chats(moderation.session)
        for verification in verifications:
            profile = await chats.profile(verification.chat_id)
            if profile is not None:
                await self.moderator.record(
                    moderation, profile, action, verification.user_id, rule="verify"
                )
