"""Knows the chat and the member behind each update, writing only what changed, and starts
the update's services (`UPDATE_SERVICES`: each built when first asked for)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from infrastructure.chat_cache import ChatCache
from infrastructure.middlewares.services import UPDATE_SERVICES
from infrastructure.transactions import after_commit
from services.chats import ChatProfile
from services.clock import Clock
from services.factory import ServiceFactory, UpdateServices
from services.members import Sighting, record_sightings


class TrackingMiddleware(BaseMiddleware):
    def __init__(self, chat_cache: ChatCache, services: ServiceFactory) -> None:
        self.chat_cache = chat_cache
        self.services = services
        self.clock: Clock = services.clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = data["session"]
        services = data[UPDATE_SERVICES] = self.services.for_update(session)
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if chat is not None:
            profile = self.chat_cache.profile(chat.id)
            if profile is None:
                generation = self.chat_cache.generation(chat.id)
                title = chat.title or chat.full_name
                profile = await services.chats.ensure(chat.id, chat.type, title)
                after_commit(session, partial(self.chat_cache.remember, profile, generation))
            data["chat_profile"] = profile
            data["program_profile"] = await self._program_profile(profile, services)
            if user is not None and self._is_member(chat, user):
                await record_sightings(
                    session,
                    [
                        Sighting(
                            chat_id=chat.id,
                            user_id=user.id,
                            username=user.username,
                            display_name=user.full_name,
                            seen_at=self.clock.now(),
                            program_id=profile.joined_program,
                        )
                    ],
                )
                after_commit(session, partial(self.chat_cache.sighted, chat.id, user.id))
        return await handler(event, data)

    async def _program_profile(self, profile: ChatProfile, services: UpdateServices) -> ChatProfile:
        """The profile of the group whose settings are the program's (its tiers basis, order
        rules): the group's own unless it joined another group's program."""
        if profile.joined_program is None:
            return profile
        program_id = profile.joined_program
        found = self.chat_cache.profile(program_id)
        if found is None:
            generation = self.chat_cache.generation(program_id)
            found = await services.chats.profile(program_id)
            if found is None:  # the founding group's row went: its own settings stand in
                return profile
            after_commit(services.session, partial(self.chat_cache.remember, found, generation))
        return found

    def _is_member(self, chat: Chat, user: User) -> bool:
        if user.is_bot or chat.type in ("channel", "private"):  # a private chat is no group
            return False
        return self.chat_cache.needs_sighting(chat.id, user.id)
