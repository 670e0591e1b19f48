"""A router that sends each command and button press only to the features that may take it.

aiogram tries a router's sub-routers one after another, each running its handlers' filters, so
a command for the last feature first passed every other feature's Command filters (each parsing
the text again), and a button press every router's. `CommandTable` looks once instead: it
indexes its sub-routers by the command names and button prefixes their handlers declare, and
tries, in their order, only those that declare the update's command or prefix, and those it
cannot index (a handler with another kind of filter, or a pattern), which are always tried.

Why aiogram's private `Router._propagate_event` is overridden: aiogram has no public hook to
choose which sub-routers an update tries. A root filter on each feature's router (public API)
would still pay what this saves, a propagation per router (its outer middlewares wrapped, the
filter called), for most commands; and the sub-routers must stay included, so that the
dispatcher's and this router's middlewares wrap their handlers and their update types are
asked of Telegram. So the override is a copy of aiogram's body with the loop narrowed. aiogram
is pinned to the tested range (pyproject.toml), and tests/unit/test_aiogram_internals.py fails,
naming what changed, when that method's body, its parameters or its use by `propagate_event`
change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, Message, TelegramObject

Keys = frozenset[str] | None  # None: not indexed, always tried


class CommandTable(Router):
    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._index: dict[str, list[tuple[Router, Keys]]] = {}

    async def _propagate_event(
        self,
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        **kwargs: Any,
    ) -> Any:
        # Router._propagate_event, with the sub-routers narrowed to those that may take it.
        if observer:
            result, data = await observer.check_root_filters(event, **kwargs)
            if not result:
                return UNHANDLED
            kwargs.update(data)
            response = await observer.trigger(event, **kwargs)
            if response is REJECTED:
                return UNHANDLED
            if response is not UNHANDLED:
                return response
        response = UNHANDLED
        for router in self._candidates(update_type, event):
            response = await router.propagate_event(update_type=update_type, event=event, **kwargs)
            if response is not UNHANDLED:
                break
        return response

    def _candidates(self, update_type: str, event: TelegramObject) -> Iterator[Router]:
        key = update_key(event)
        if update_type not in self._index:
            self._index[update_type] = [
                (router, declared_keys(router, update_type)) for router in self.sub_routers
            ]
        for router, keys in self._index[update_type]:
            if keys is None or key is None or key in keys:
                yield router


def update_key(event: TelegramObject) -> str | None:
    """The command a message names ("help" of "/help@fanbot now"), or a button's prefix
    ("draw" of "draw:12"); None when there is none (every router is tried)."""
    if isinstance(event, Message):
        text = event.text or event.caption or ""
        if not text.startswith("/"):
            return None
        return Command.extract_command(text).command
    if isinstance(event, CallbackQuery) and event.data:
        return event.data.split(":", 1)[0]
    return None


def declared_keys(router: Router, update_type: str) -> Keys:
    """The command names (messages) or button prefixes (callback queries) that every handler
    under `router` for this update type declares, or None if one declares none of them."""
    keys: set[str] = set()
    for each in (router, *descendants(router)):
        observer = each.observers.get(update_type)
        if observer is None:
            continue
        for handler in observer.handlers:
            found = handler_keys(handler.filters or [])
            if found is None:
                return None
            keys |= found
    return frozenset(keys)


def handler_keys(filters: list[Any]) -> set[str] | None:
    for check in filters:
        callback = check.callback
        if isinstance(callback, Command):
            names = {name for name in callback.commands if isinstance(name, str)}
            if callback.ignore_case or len(names) < len(callback.commands):
                return None  # a pattern, or "/HELP" too: not indexed
            return names
        if isinstance(callback, CallbackQueryFilter):
            return {callback.callback_data.__prefix__}
    return None


def descendants(router: Router) -> Iterator[Router]:
    for sub in router.sub_routers:
        yield sub
        yield from descendants(sub)
