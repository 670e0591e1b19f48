"""The command table (`infrastructure/table.py`): a command or button press is tried only by
the routers that declare it, in their order, and by those it cannot index; what handles it is
unchanged."""

from __future__ import annotations

from aiogram import Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message, Update

from infrastructure.table import CommandTable, update_key
from tests.support.telegram import group, message_update, person, recording_bot


class Press(CallbackData, prefix="press"):
    n: int


def table_with_routers(tried: list[str]) -> Dispatcher:
    def noting(name: str):  # a filter that notes which router's handler was asked
        async def check(_event: object) -> bool:
            tried.append(name)
            return True

        return check

    first, second, wild = Router(name="first"), Router(name="second"), Router(name="wild")

    @first.message(Command("a"), noting("first"))
    async def a(message: Message) -> None:
        tried.append("handled by first")

    @second.message(Command("b", "a2"), noting("second"))
    async def b(message: Message) -> None:
        tried.append("handled by second")

    @second.callback_query(Press.filter(), noting("second press"))
    async def press(query: CallbackQuery) -> None:
        tried.append("press handled")

    @wild.message(F.text.startswith("/"), noting("wild"))
    async def anything(message: Message) -> None:
        tried.append("handled by wild")

    table = CommandTable(name="commands")
    table.include_routers(first, second, wild)
    dispatcher = Dispatcher()
    dispatcher.include_router(table)
    return dispatcher


async def test_a_command_is_tried_only_where_it_is_declared() -> None:
    tried: list[str] = []
    dispatcher, (bot, _) = table_with_routers(tried), recording_bot()
    chat, alice = group(), person(1)
    await dispatcher.feed_update(bot, message_update(chat, alice, "/b now"))
    assert tried == ["second", "handled by second"]  # `first` was never asked
    tried.clear()
    await dispatcher.feed_update(bot, message_update(chat, alice, "/a"))
    assert tried == ["first", "handled by first"]
    tried.clear()
    await dispatcher.feed_update(bot, message_update(chat, alice, "/zzz"))
    assert tried == ["wild", "handled by wild"]  # not indexed: always tried


async def test_a_button_press_is_tried_only_by_its_prefix() -> None:
    tried: list[str] = []
    dispatcher, (bot, _) = table_with_routers(tried), recording_bot()
    chat, alice = group(), person(1)
    post = message_update(chat, alice, "a post").message
    query = CallbackQuery(
        id="1", from_user=alice, chat_instance="c", message=post, data=Press(n=3).pack()
    )
    await dispatcher.feed_update(bot, Update(update_id=10_000, callback_query=query))
    assert tried == ["second press", "press handled"]


def key_of(text: str) -> str | None:
    message = message_update(group(), person(1), text).message
    assert message is not None
    return update_key(message)


def test_the_key_is_read_as_aiogram_reads_a_command() -> None:
    assert key_of("/help") == "help"
    assert key_of("/top@fanbot week") == "top"
    assert key_of("/ help") == ""  # no command: aiogram's Command reads "" too
    assert key_of("hello") is None
