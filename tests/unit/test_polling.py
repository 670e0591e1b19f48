"""The poller's order: a member's updates one after another, and a reply after the message it
answers (a reply to a topic reply must find that reply recorded)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram.types import Message, Update

from bot.polling import ConfirmingPoller
from tests.support.telegram import group, message_update, person, recording_bot


class SlowFirst:
    """Handles the first update slowly and notes when each starts and ends."""

    def __init__(self) -> None:
        self.log: list[str] = []

    async def feed_update(self, bot: Any, update: Update, **data: Any) -> None:
        assert update.message is not None
        self.log.append(f"start {update.message.text}")
        if update.message.text == "question":
            await asyncio.sleep(0.2)
        self.log.append(f"end {update.message.text}")


async def test_a_reply_waits_for_the_message_it_answers() -> None:
    chat, bob, carol, dan = group(), person(1, name="Bob"), person(2, name="Carol"), person(3)
    first = message_update(chat, bob, "question")
    assert first.message is not None
    answered = Message.model_validate(first.message.model_dump(exclude={"reply_to_message"}))
    reply = message_update(chat, carol, "answer", reply_to_message=answered)
    other = message_update(chat, dan, "chatter")
    dispatcher = SlowFirst()
    bot, _session = recording_bot()
    poller = ConfirmingPoller(dispatcher, bot, [])  # type: ignore[arg-type]
    for update in (first, reply, other):
        assert poller._start(update)
    await asyncio.sleep(0.4)
    assert dispatcher.log.index("end question") < dispatcher.log.index("start answer")
    assert dispatcher.log.index("start chatter") < dispatcher.log.index("end question")
