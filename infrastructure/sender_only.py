"""Replies that matter only to the member who asked: a sign-in answer, /me, a usage line, a
refusal, "too fast".

Each command opens a scope (`open_scope` in `CommandMiddleware`, with the chat's profile, the
sender and the message) and such replies are marked in it as they are written (`for_sender`).
In a group `EphemeralAnswers` sends a marked reply as an ephemeral message (Bot API 10.2–10.3)
that only its sender's client shows, when the Bot API lets this bot send one: it is the chat's
administrator (any time), or the reply answers a button press (its `callback_query_id`) or an
ephemeral command (`reply_parameters.ephemeral_message_id`), within 15 seconds. Otherwise, and
where the Bot API server has no ephemeral messages (decided once per process), the reply goes
to everyone as before, and in a quiet group it and its command are deleted a minute later
(`workflows/quiet.py`). Each update runs in a task of its own, so a scope never leaks to
another update.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    EphemeralMessageParameters,
    Message,
    ReplyParameters,
    User,
)

from infrastructure.admins import AdminCache
from services.chats import ChatProfile

logger = logging.getLogger(__name__)
TOAST = 200  # characters: what answerCallbackQuery shows; a longer answer is a message


@dataclass(slots=True)
class Scope:
    profile: ChatProfile | None
    sender_id: int | None = None  # None: no one to address (an anonymous admin, a channel)
    callback_query_id: str | None = None
    # The command came as an ephemeral message (a BotCommand registered `is_ephemeral`).
    ephemeral_message_id: int | None = None
    # Whether the bot is the chat's administrator (able to send ephemerally at any time).
    admins: AdminCache | None = None
    texts: set[str] = field(default_factory=set)


_scope: ContextVar[Scope | None] = ContextVar("sender_only", default=None)


def open_scope(
    profile: ChatProfile | None,
    sender: User | None = None,
    callback_query_id: str | None = None,
    *,
    admins: AdminCache | None = None,
    incoming: Message | None = None,
) -> None:
    sender_id = sender.id if sender is not None and not sender.is_bot else None
    ephemeral_id = incoming.ephemeral_message_id if incoming is not None else None
    _scope.set(Scope(profile, sender_id, callback_query_id, ephemeral_id, admins))


def for_sender(text: str) -> str:
    """Mark `text` as an answer for its sender only, and return it."""
    scope = _scope.get()
    if scope is not None:
        scope.texts.add(text)
    return text


def marked_scope(method: TelegramMethod[Any]) -> Scope | None:
    """The scope when `method` sends a text (or caption) marked for its sender, else None."""
    scope = _scope.get()
    text = getattr(method, "text", None) or getattr(method, "caption", None)
    if scope is None or not isinstance(text, str) or text not in scope.texts:
        return None
    return scope


def sender_only_profile(method: TelegramMethod[Any]) -> ChatProfile | None:
    """The chat's profile when `method` sends a reply marked for its sender, else None."""
    scope = marked_scope(method)
    return scope.profile if scope is not None else None


def is_ephemeral(sent: object) -> bool:
    """Whether a send's result is an ephemeral message (its `message_id` is 0)."""
    return isinstance(sent, Message) and sent.ephemeral_message_id is not None


async def answer_press(query: CallbackQuery, bot: Bot, profile: ChatProfile, text: str) -> None:
    """A button's answer: a toast when it fits one; a longer one is a message for the presser,
    ephemeral in a group (naming the press), so the group is not told."""
    if len(text) <= TOAST or query.message is None:
        await query.answer(text[:TOAST])
        return
    await query.answer()
    open_scope(profile, query.from_user, query.id)
    await bot.send_message(query.message.chat.id, for_sender(text))


NOT_FOUND = "message to be replied not found"


class EphemeralSupport:
    """Whether this Bot API server sends ephemeral messages, found out by the first ephemeral
    send (the others wait for its answer), then decided for the process and logged once. Only
    a send that comes back public (an older server ignores the parameter it does not know)
    decides "no": a 400 is about one chat or member (the bot is not an admin there, a press too
    old) and falls back for that answer only."""

    def __init__(self) -> None:
        self.confirmed = False  # an ephemeral message came back: paced as its member's
        self.refused: str | None = None
        self.probing = asyncio.Lock()

    @property
    def available(self) -> bool:
        return self.refused is None

    @property
    def decided(self) -> bool:
        return self.confirmed or self.refused is not None

    def refuse(self, reason: str) -> None:
        if self.refused is None:
            self.refused = reason
            logger.warning(
                "the Bot API server has no ephemeral messages (%s): answers for one member go "
                "to the group, and quiet mode deletes them",
                reason,
            )


def as_ephemeral(
    method: TelegramMethod[TelegramType], update: dict[str, Any] | None = None
) -> TelegramMethod[TelegramType]:
    """`method` (with `update` applied) as the Bot API allows an ephemeral send:
    `reply_parameters` without `chat_id` (not supported), `allow_sending_without_reply` (always
    False: left unset, not the bot's default True) and a quote (ignored)."""
    changes = dict(update or {})
    reply = changes.get("reply_parameters", getattr(method, "reply_parameters", None))
    if isinstance(reply, ReplyParameters):
        changes["reply_parameters"] = ReplyParameters(
            message_id=None if reply.ephemeral_message_id is not None else reply.message_id,
            ephemeral_message_id=reply.ephemeral_message_id,
            allow_sending_without_reply=None,
            quote_parse_mode=None,
        )
    if "allow_sending_without_reply" in type(method).model_fields:  # the pre-7.0 form
        changes["allow_sending_without_reply"] = None
    return method.model_copy(update=changes)


class EphemeralAnswers(BaseRequestMiddleware):
    """Sends go through here before they are paced: a reply marked for its sender, in a group,
    goes as an ephemeral message to that member where the Bot API allows the bot one (paced as
    theirs, not the group's, once the server has shown it sends them)."""

    def __init__(self, support: EphemeralSupport) -> None:
        self.support = support

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if getattr(method, "ephemeral_message_parameters", None) is not None:
            # aiogram's own (`message.reply()` to an ephemeral command) or a caller's.
            return self._sent(await make_request(bot, as_ephemeral(method)))
        scope = marked_scope(method) if self.support.available else None
        if (
            scope is None
            or scope.sender_id is None
            or scope.profile is None
            or not scope.profile.is_group
            or "ephemeral_message_parameters" not in type(method).model_fields
            or not await self._allowed(bot, scope)
        ):
            return await make_request(bot, method)
        if not self.support.decided:
            # A burst's first answer finds out (paced as the group's, in case it is one); the
            # rest wait for it rather than each go to an older server as an unpaced public send.
            async with self.support.probing:
                if not self.support.decided:
                    return await self._send(make_request, bot, method, scope)
        if not self.support.available:
            return await make_request(bot, method)
        return await self._send(make_request, bot, method, scope)

    @staticmethod
    async def _allowed(bot: Bot, scope: Scope) -> bool:
        """Whether the Bot API lets the bot send this member an ephemeral message now: it
        answers a press or an ephemeral command (both just now: the handler runs on the
        update), or the bot is the chat's administrator. That is read from `AdminCache` (the
        list `getChatAdministrators` gave, kept 5 minutes and dropped when the bot's own
        membership changes), not asked per answer."""
        if scope.callback_query_id is not None or scope.ephemeral_message_id is not None:
            return True
        if scope.admins is None or scope.profile is None:
            return False
        try:
            return bot.id in await scope.admins.admins_of(bot, scope.profile.id)
        except TelegramAPIError as error:
            logger.info(
                "chat %s: no admin list (%s): answered in the group", scope.profile.id, error
            )
            return False

    async def _send(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        scope: Scope,
    ) -> Response[TelegramType]:
        assert scope.sender_id is not None  # checked by the caller
        update: dict[str, Any] = {
            "ephemeral_message_parameters": EphemeralMessageParameters(
                receiver_user_id=scope.sender_id, callback_query_id=scope.callback_query_id
            )
        }
        if scope.ephemeral_message_id is not None:  # the reply goes to the client that asked
            update["reply_parameters"] = ReplyParameters(
                ephemeral_message_id=scope.ephemeral_message_id
            )
        ephemeral = as_ephemeral(method, update)
        try:
            try:
                response = await make_request(bot, ephemeral)
            except TelegramBadRequest as error:
                reply = getattr(ephemeral, "reply_parameters", None)
                if NOT_FOUND not in error.message or reply is None or reply.message_id is None:
                    raise
                # The command was deleted meanwhile: an ephemeral send cannot go without its
                # reply (allow_sending_without_reply is always False), so it goes unattached.
                response = await make_request(
                    bot, ephemeral.model_copy(update={"reply_parameters": None})
                )
        except TelegramBadRequest as error:
            # This chat or member only (the bot no longer an admin, the member gone, a press
            # too old): this answer goes to the group, and the bot's status is asked anew.
            logger.info("ephemeral answer refused (%s): sent to the group", error.message)
            if scope.admins is not None and scope.profile is not None:
                await scope.admins.invalidate(scope.profile.id)
            return await make_request(bot, method)
        return self._sent(response)

    def _sent(self, response: Response[TelegramType]) -> Response[TelegramType]:
        # aiogram hands the method's result down this chain, whatever the annotation says.
        sent: object = response.result if isinstance(response, Response) else response
        if is_ephemeral(sent):
            self.support.confirmed = True
        elif isinstance(sent, Message):
            # An older server ignored the parameter: this one went to everyone (quiet mode
            # cleans it up), and so will the next ones, without asking again.
            self.support.refuse("a send with ephemeral_message_parameters came back public")
        return response
