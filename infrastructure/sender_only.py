"""Replies that matter only to the member who asked: a sign-in answer, /me, a usage line, a
refusal, "too fast".

Each command opens a scope (`open_scope` in `CommandMiddleware`, with the chat's profile and
the sender) and such replies are marked in it as they are written (`for_sender`). In a group
`EphemeralAnswers` sends a marked reply as an ephemeral message (Bot API 10.2–10.3) that only
its sender's client shows: not in the group's history, not one of the group's 20 messages a
minute. Where the Bot API server has no ephemeral messages (decided once per process), the
reply goes to everyone as before, and in a quiet group it and its command are deleted a minute
later (`workflows/quiet.py`). Each update runs in a task of its own, so a scope never leaks to
another update.
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, EphemeralMessageParameters, Message, User

from services.chats import ChatProfile

logger = logging.getLogger(__name__)
TOAST = 200  # characters: what answerCallbackQuery shows; a longer answer is a message


@dataclass(slots=True)
class Scope:
    profile: ChatProfile | None
    sender_id: int | None = None  # None: no one to address (an anonymous admin, a channel)
    callback_query_id: str | None = None
    texts: set[str] = field(default_factory=set)


_scope: ContextVar[Scope | None] = ContextVar("sender_only", default=None)


def open_scope(
    profile: ChatProfile | None, sender: User | None = None, callback_query_id: str | None = None
) -> None:
    sender_id = sender.id if sender is not None and not sender.is_bot else None
    _scope.set(Scope(profile, sender_id, callback_query_id))


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


# A server that knows the parameter but will not send ephemeral messages says so; one that
# predates them ignores it (unknown parameters are ignored), which the result shows.
REFUSED = re.compile(r"ephemeral.*(not supported|unsupported|disabled|not allowed)", re.I)


class EphemeralSupport:
    """Whether this Bot API server sends ephemeral messages, found out by the first ephemeral
    send (the others wait for its answer), then decided for the process and logged once."""

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


class EphemeralAnswers(BaseRequestMiddleware):
    """Sends go through here before they are paced: a reply marked for its sender, in a group,
    goes as an ephemeral message to that member (paced as theirs, not the group's, once the
    server has shown it sends them)."""

    def __init__(self, support: EphemeralSupport) -> None:
        self.support = support

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        scope = marked_scope(method) if self.support.available else None
        if (
            scope is None
            or scope.sender_id is None
            or scope.profile is None
            or not scope.profile.is_group
            or "ephemeral_message_parameters" not in type(method).model_fields
            or getattr(method, "ephemeral_message_parameters", None) is not None  # aiogram's own
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

    async def _send(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        scope: Scope,
    ) -> Response[TelegramType]:
        assert scope.sender_id is not None  # checked by the caller
        parameters = EphemeralMessageParameters(
            receiver_user_id=scope.sender_id, callback_query_id=scope.callback_query_id
        )
        ephemeral = method.model_copy(update={"ephemeral_message_parameters": parameters})
        try:
            response = await make_request(bot, ephemeral)
        except TelegramBadRequest as error:
            if REFUSED.search(error.message):
                self.support.refuse(error.message)
            else:  # this member only (gone meanwhile, a press too old): answer as before
                logger.info("ephemeral answer refused (%s): sent to the group", error.message)
            return await make_request(bot, method)
        # aiogram hands the method's result down this chain, whatever the annotation says.
        sent: object = response.result if isinstance(response, Response) else response
        if is_ephemeral(sent):
            self.support.confirmed = True
        elif isinstance(sent, Message):
            # An older server ignored the parameter: this one went to everyone (quiet mode
            # cleans it up), and so will the next ones, without asking again.
            self.support.refuse("a send with ephemeral_message_parameters came back public")
        return response
