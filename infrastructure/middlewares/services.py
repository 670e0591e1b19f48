"""Hands the handler about to run the domain services it declares (`points: PointsService`),
built for it then: most updates need one or two of them, or none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject

from services.factory import SERVICE_NAMES, UpdateServices

# Where the tracking middleware leaves the update's services (built on demand) for the
# middlewares that need one whatever the handler (counting, moderation's member actions).
UPDATE_SERVICES = "update_services"


class HandlerServicesMiddleware(BaseMiddleware):
    """An inner middleware: it runs once the filters chose a handler, which aiogram hands it as
    `data["handler"]` (its parameter names in `.params`). What a filter returned under a
    service's name is kept, as when the services were handed to every handler."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        services: UpdateServices | None = data.get(UPDATE_SERVICES)
        chosen: HandlerObject | None = data.get("handler")
        if services is not None and chosen is not None:
            wanted = SERVICE_NAMES if chosen.varkw else chosen.params  # `**kwargs`: all of them
            data.update(services.named(name for name in wanted if name not in data))
        return await handler(event, data)

    def register(self, dispatcher: Router) -> None:
        """On every observer of the dispatcher, whose inner middlewares wrap the handlers of
        all its sub-routers; not on `update`, whose one handler is aiogram's own."""
        for name, observer in dispatcher.observers.items():
            if name != "update":
                observer.middleware(self)
