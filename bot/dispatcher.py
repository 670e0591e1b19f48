"""aiogram's Dispatcher with a lane of its own for plain chatter.

Most updates in a fan group are members talking: no command, no sign-in word, no reply or
question for the bot, nothing a guard must act on. No handler takes such a message; all fanbot
does with it is count it. Through aiogram that costs eight middleware layers (each rebuilt per
call) and a walk through every router's filters, several times what counting costs. So the
dispatcher first asks, with cheap checks on what it already holds in memory, whether the update
is plain chatter in the steady state (the chat's profile cached and fresh, the member sighted
lately, no open topic in the chat); if so it counts the message straight away, exactly as the
counting middleware would have after no handler took it. Anything else, or anything in doubt,
takes aiogram's path, middlewares and routers as before.

The lane holds only while no handler could take plain chatter: every message handler sits
behind a command filter or one marked `refuses_chatter`. A router added without one (a feature
that reads plain messages) closes the lane, so it can never hide a message from a handler.
A router's own filters (`router.message.filter(...)`) have no public reader in aiogram: they are
read where `filter()` puts them, which tests/unit/test_aiogram_internals.py checks (aiogram is
pinned to the range it passes on).
"""

from __future__ import annotations

from typing import Any, TypeVar

from aiogram import Bot, Dispatcher, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Command
from aiogram.types import ErrorEvent, Message, Update
from aiohttp import web

from bot.counting import counted_message
from infrastructure.chat_cache import ChatCache
from infrastructure.filters import REFUSING_CHATTER, addressed
from services.chats import ChatProfile
from services.event_draws import EventWords
from services.message_tally import MessageTally
from services.messages import ChatMessage
from workflows.spam_guard import SpamGuard

GROUPS = ("group", "supergroup")
T = TypeVar("T")


class FanbotDispatcher(Dispatcher):
    def __init__(
        self, *, chat_cache: ChatCache, tally: MessageTally, spam_guard: SpamGuard, **data: Any
    ) -> None:
        super().__init__(chat_cache=chat_cache, tally=tally, spam_guard=spam_guard, **data)
        self.chat_cache, self.tally, self.spam_guard = chat_cache, tally, spam_guard
        self._lane_open: bool | None = None  # decided at the first update, routers included
        self._shared: dict[web.AppKey[Any], Any] = {}

    def share(self, key: web.AppKey[T], value: T) -> None:
        """Something the handlers use (`value`) that the web takes too, under its typed key."""
        self._shared[key] = value

    def share_with(self, app: web.Application) -> None:
        """Sets on the web's application what `share` was given (see `bot/serve.py`)."""
        for key, value in self._shared.items():
            app[key] = value

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        if self._lane_open is None:
            self._lane_open = not takes_chatter(self)
        counted = self.chatter(update) if self._lane_open else None
        if counted is None:
            return await super().feed_update(bot, update, **kwargs)
        try:
            await self.tally.record(counted)  # an earning message waits for its commit
        except Exception as error:  # noqa: BLE001 - told like any handler's failure
            event = ErrorEvent(update=update, exception=error)
            await self.errors.trigger(event, **{**self.workflow_data, **kwargs, "bot": bot})
        return UNHANDLED

    def chatter(self, update: Update) -> ChatMessage | None:
        """The message as counting sees it, when the update is plain chatter no handler
        takes and nothing is in doubt; else None (aiogram's path decides)."""
        message = update.message
        if message is None or message.chat.type not in GROUPS:
            return None
        profile = self.chat_cache.cached(message.chat.id)
        user = message.from_user
        if profile is None or profile.open_topics or user is None:
            return None
        if self.chat_cache.needs_sighting(profile.id, user.id) or not is_plain(message, profile):
            return None
        if self.spam_guard.suspicion(message, profile) is not None:
            return None  # the guard decides, on aiogram's path (asking again is safe)
        return counted_message(message, profile)


def is_plain(message: Message, profile: ChatProfile) -> bool:
    """Not for any handler: no sign-in word, nothing addressed to the bot, no U+0000 to mend
    first (commands and service messages are refused by `counted_message`, asked last)."""
    text = message.text or message.caption or ""
    return (
        not profile.checkin_rules.is_keyword(text)
        and not addressed(message)
        and "\x00" not in text
        and not profile.rules(EventWords).is_keyword(text)
    )


def takes_chatter(router: Router) -> bool:
    """Whether some message handler under `router` could take plain chatter."""
    if refusing(router.message._handler.filters):
        return False
    if any(not refusing(handler.filters) for handler in router.message.handlers):
        return True
    return any(takes_chatter(sub) for sub in router.sub_routers)


def refusing(filters: list[FilterObject] | None) -> bool:
    return any(
        isinstance(check.callback, Command) or check.callback in REFUSING_CHATTER
        for check in filters or ()
    )
