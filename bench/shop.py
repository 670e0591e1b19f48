"""The shop under a rush: 500 members press Confirm on one reward with 100 codes at once.

Each member holds 200 points and was seen before; their 500 confirmations (each its own
button, so its own redemption key) go through the production Dispatcher 100 at a time, as one
getUpdates batch would hand them over; bare aiogram answers the same presses in the same run.
Checks what a shop must never get wrong: exactly 100 redeemed, 400 told it is sold out, no
code issued twice, 100 × 100 points taken, and both audits (the ledger's and the shop's) clean.

Run: `python -m bench.shop` (SQLite file) or `python -m bench.shop <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from sqlalchemy import func, select

import migrations
from bench.common import TOKEN, LocalSession, database_url, feed, group_messages
from bench.draws import GROUP, answering_dispatcher
from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import Redemption
from services.chats import ChatService
from services.factory import ServiceFactory
from services.points_audit import audit
from services.reward_codes import CodeFile
from services.reward_specs import RewardSpec
from services.shop import audit_shop
from views.shop import RedeemConfirm

MEMBERS, CODES, PRICE = 500, 100, 100
START = datetime.now(UTC) - timedelta(minutes=10)


class AnswersKept(LocalSession):
    """The local session, keeping each callback answer's text."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if isinstance(method, AnswerCallbackQuery):
            self.answers.append(method.text or "")
        return await super().make_request(bot, method, timeout)


def confirmations(bot: Bot, reward_id: int, first_id: int) -> list[Update]:
    chat = Chat(id=GROUP, type="supergroup", title="Fans")
    window = Message(message_id=1, date=datetime.now(UTC), chat=chat, text="shop")
    updates = []
    for n in range(MEMBERS):
        user = User(id=10_000 + n, is_bot=False, first_name=f"Fan{n}", language_code="en")
        press = RedeemConfirm(id=reward_id, owner=user.id, nonce=f"{n:08x}")
        query = CallbackQuery(
            id=str(n), from_user=user, chat_instance="c", message=window, data=press.pack()
        )
        update = Update(update_id=first_id + n, callback_query=query)
        updates.append(Update.model_validate(update.model_dump(), context={"bot": bot}))
    return updates


async def stock(services: Resources) -> int:
    """The reward and its 100 codes, and 200 points for each member."""
    domain = ServiceFactory(services.clock, "UTC", services.ladders)
    async with services.session_pool() as session, session.begin():
        await ChatService(session, services.clock, "UTC").ensure(GROUP, "supergroup", "Fans")
        shop = domain.shop(session)
        reward = await shop.add(GROUP, 1, RewardSpec("Coffee", PRICE))
        pool = CodeFile([(n, f"COF-{n:04}") for n in range(1, CODES + 1)])
        await shop.add_codes(GROUP, reward.id, pool)
        points = domain.points(session)
        for n in range(MEMBERS):
            await points.change(GROUP, 10_000 + n, 200, reason="admin", key=f"bench:{n}")
        return reward.id


async def main(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token=TOKEN, database_url=url))
    session = AnswersKept()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    fanbot, bare = create_dispatcher(services), answering_dispatcher()
    hello = group_messages(bot, MEMBERS, MEMBERS, 1, "hello {n}", start=START)
    await feed(fanbot, bot, hello)  # every member was seen before
    await services.tally.flush()
    reward_id = await stock(services)
    updates = confirmations(bot, reward_id, first_id=MEMBERS + 1)
    bare_rate = max([await feed(bare, bot, updates) for _ in range(3)])
    session.answers.clear()
    fanbot_rate = await feed(fanbot, bot, updates)  # once: a second run would redeem nothing
    told = Counter(session.answers)
    async with services.session_pool() as db:
        redeemed = await db.scalar(select(func.count()).select_from(Redemption))
        codes = await db.scalar(select(func.count(func.distinct(Redemption.code_id))))
        problems = await audit(db) + [str(p) for p in await audit_shop(db)]
    await services.close()
    sold_out = told.get("Sold out, sorry.", 0)
    print(f"database: {url.split(':')[0]}")
    print(
        f"{MEMBERS} confirmations for {CODES} codes: bare aiogram {bare_rate:.0f}/s, "
        f"fanbot {fanbot_rate:.0f}/s, ratio {fanbot_rate / bare_rate:.2f}"
    )
    print(
        f"redeemed {redeemed}, told sold out {sold_out}, distinct codes {codes}, "
        f"audit problems {len(problems)}"
    )
    if (redeemed, sold_out, codes, problems) != (CODES, MEMBERS - CODES, CODES, []):
        print(f"answers: {dict(told)}; problems: {problems}")
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(database_url("shop")))
