"""What fanbot relies on of aiogram beyond its public API, checked so that an upgrade which
changes it fails here, saying what changed, instead of the command table or the chatter lane
going wrong in silence. aiogram is pinned to the tested range (pyproject.toml); to move the pin,
make these pass on the new version (and update the copies they name).

- `infrastructure/table.py`: `CommandTable` overrides `Router._propagate_event`, a copy of its
  body with the loop over the sub-routers narrowed.
- `bot/dispatcher.py`: the chatter lane reads a router's own filters where `observer.filter()`
  puts them (`observer._handler.filters`).
- `infrastructure/middlewares/services.py`: an inner middleware is handed the chosen handler as
  `data["handler"]`, whose `.params` and `.varkw` say what it takes (documented, checked too).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
from typing import Any

import aiogram
from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command
from aiogram.types import Message, TelegramObject

from tests.support.telegram import group, message_update, person, recording_bot

# The shape of `Router._propagate_event`'s body in aiogram 3.31 (its AST, so comments and
# formatting do not count), which `CommandTable._propagate_event` copies.
PROPAGATE_EVENT_SHAPE = "d1986b8f3307bd91"


def shape(function: Any) -> str:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:16]


def test_router_propagate_event_is_the_one_the_command_table_copies() -> None:
    assert shape(Router._propagate_event) == PROPAGATE_EVENT_SHAPE, (
        f"aiogram {aiogram.__version__} changed Router._propagate_event: "
        "CommandTable._propagate_event (infrastructure/table.py) is a copy of it with the "
        "sub-routers narrowed; compare the two, bring the copy up to date, then the shape here"
    )
    parameters = list(inspect.signature(Router._propagate_event).parameters)
    assert parameters == ["self", "observer", "update_type", "event", "kwargs"], (
        f"aiogram {aiogram.__version__} changed Router._propagate_event's parameters to "
        f"{parameters}: CommandTable._propagate_event (infrastructure/table.py) overrides it"
    )


async def test_routing_still_goes_through_the_overridden_propagate_event() -> None:
    called: list[str] = []

    class Spy(Router):
        async def _propagate_event(
            self,
            observer: TelegramEventObserver | None,
            update_type: str,
            event: TelegramObject,
            **kwargs: Any,
        ) -> Any:
            called.append(update_type)
            return await super()._propagate_event(observer, update_type, event, **kwargs)

    dispatcher = Dispatcher()
    dispatcher.include_router(Spy())
    bot, _telegram = recording_bot()
    await dispatcher.feed_update(bot, message_update(group(), person(1), "hello"))
    assert called == ["message"], (
        f"aiogram {aiogram.__version__} no longer routes an update through a sub-router's "
        "_propagate_event: CommandTable (infrastructure/table.py) would never narrow anything"
    )


def test_a_routers_own_filters_are_where_the_chatter_lane_reads_them() -> None:
    async def is_command(message: Message) -> bool:
        return True

    router = Router()
    router.message.filter(is_command)
    found = getattr(getattr(router.message, "_handler", None), "filters", None)
    assert isinstance(found, list), (
        f"aiogram {aiogram.__version__} keeps a router's own filters elsewhere than "
        "observer._handler.filters: the chatter lane (bot/dispatcher.py, `takes_chatter`) reads "
        "them there to know that no handler takes plain chatter"
    )
    assert [type(check) for check in found] == [FilterObject]
    assert found[0].callback is is_command, (
        f"aiogram {aiogram.__version__} wraps a filter otherwise: the chatter lane compares "
        "FilterObject.callback with the filters marked `refuses_chatter`"
    )


async def test_an_inner_middleware_is_handed_the_chosen_handler() -> None:
    seen: list[HandlerObject] = []
    router = Router()

    @router.message(Command("probe"))
    async def probe(message: Message, points: object = None) -> None:
        pass

    async def note(handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        seen.append(data["handler"])
        return await handler(event, data)

    dispatcher = Dispatcher()
    dispatcher.message.middleware(note)
    dispatcher.include_router(router)
    bot, _telegram = recording_bot()
    await dispatcher.feed_update(bot, message_update(group(), person(1), "/probe"))
    [chosen] = seen
    assert isinstance(chosen, HandlerObject), (
        f"aiogram {aiogram.__version__} no longer hands a dispatcher's inner middleware the "
        "handler of a sub-router: HandlerServicesMiddleware (infrastructure/middlewares/"
        "services.py) builds each handler's services from it"
    )
    assert chosen.params == {"message", "points"}
    assert not chosen.varkw
