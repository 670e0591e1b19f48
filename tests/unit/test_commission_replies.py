"""Distributors' replies and files on a real database: amounts below zero written as owed,
`/export commission` committing before its upload (and saying when there is nothing), `/start
commission` in a group pointing to the private chat, `/settings` in a group of another's
program, the commission CSV in the group's language."""

from __future__ import annotations

import csv
import io
from typing import Any

from aiogram import Bot
from aiogram.types import Chat as TgChat
from aiogram.types import Message, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.distributors import commission_by_link, commission_export, distribution_settings
from infrastructure.i18n import create_i18n
from services.chats import ChatProfile, ChatService
from services.clock import FrozenClock
from services.commission_figures import commission_csv
from services.distributors import DistributorService
from services.factory import ServiceFactory
from tests.support.telegram import TOKEN, RecordingSession
from tests.unit.conftest import GROUP
from tests.unit.test_commission import ADMIN, ANN, NOW, SHANGHAI, distributor, record, sale
from views.distributors import commission_is_private
from views.numbers import yuan


def test_a_negative_amount_of_yuan_carries_its_sign_before_the_currency() -> None:
    assert [yuan(f) for f in (19_900, 5, 0, -5, -150, -123_456)] == [
        "¥199.00", "¥0.05", "¥0.00", "-¥0.05", "-¥1.50", "-¥1,234.56",
    ]  # fmt: skip


class UploadWatch(RecordingSession):
    """Telegram, noting whether the update's transaction was still open at the upload."""

    def __init__(self, db: AsyncSession) -> None:
        super().__init__()
        self.db = db
        self.open_at_upload: list[bool] = []

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:
        if method.__api_method__ == "sendDocument":
            self.open_at_upload.append(self.db.in_transaction())
            return self._message(method.chat_id, None)
        return await super().make_request(bot, method, timeout)


async def test_the_commission_export_commits_before_its_upload_and_says_when_it_is_empty(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ChatService(session, clock, "UTC").ensure(ADMIN, "private", "Admin")
    i18n = create_i18n("en")
    for expected in ([], [False]):  # empty: no file; then one, uploaded with nothing held
        async with session_pool() as session:
            await session.begin()
            telegram = UploadWatch(session)
            bot = Bot(TOKEN, session=telegram)
            profile = await ServiceFactory(clock).chats(session).profile(GROUP)
            assert profile is not None
            asked = Message(
                message_id=1, date=NOW, chat=TgChat(id=GROUP, type="supergroup"),
                from_user=User(id=ADMIN, is_bot=False, first_name="Admin"),
                text="/export commission",
            ).as_(bot)  # fmt: skip
            with i18n.context(), i18n.use_locale("en"):
                await commission_export(asked, profile, session, clock)
            assert telegram.open_at_upload == expected
            if not expected:
                assert telegram.sent_texts() == ["Nothing to export yet."]
                await distributor(session_pool, clock, ANN, "8%", codes=("ANN-1",))
                await record(session_pool, clock, sale("E", 10_000, coupon="ANN-1"))


async def test_start_commission_in_a_group_points_to_the_private_chat_not_the_figures(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await distributor(session_pool, clock, ANN, "8%", codes=("ANN-SECRET",))
    telegram = RecordingSession()
    bot = Bot(TOKEN, session=telegram)
    i18n = create_i18n("en")
    async with session_pool() as session:
        asked = Message(
            message_id=1, date=NOW, chat=TgChat(id=GROUP, type="supergroup"),
            from_user=User(id=ANN, is_bot=False, first_name="Ann"),
            text="/start commission",
        ).as_(bot)  # fmt: skip
        with i18n.context(), i18n.use_locale("en"):
            await commission_by_link(
                asked, DistributorService(session, clock),
                ChatService(session, clock, SHANGHAI), bot,
            )  # fmt: skip
            pointer = commission_is_private()
    assert telegram.sent_texts() == [pointer]


def test_settings_in_a_group_that_joined_a_program_do_not_show_its_own_link_window() -> None:
    own = ChatProfile(GROUP, "supergroup", "Fans", SHANGHAI, None, True,
                      settings={"distribution": {"link_days": 40}})  # fmt: skip
    joined = ChatProfile(-100_2, "supergroup", "Fans South", SHANGHAI, None, True, GROUP,
                         settings={"distribution": {"link_days": 3}})  # fmt: skip
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        assert distribution_settings(own) == [
            "Distributor links: a buyer is theirs for 40 days after joining"
        ]
        assert distribution_settings(joined) == [
            "Distributor links: the program's window, set in its first group"
        ]


async def test_the_commission_csv_speaks_the_groups_language(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await distributor(session_pool, clock, ANN, "10%", codes=("ANN-1",))
    await record(session_pool, clock, sale("Z", 10_000, coupon="ANN-1"))
    async with session_pool() as session:
        english = await commission_csv(session, GROUP, SHANGHAI)
        chinese = await commission_csv(session, GROUP, SHANGHAI, "zh")
    (head, row) = list(csv.reader(io.StringIO(chinese.decode("utf-8-sig"))))
    assert head[:4] == ["时间", "分销员ID", "分销员", "类型"]
    assert (row[3], row[4], row[5]) == ("计入", "Z", "10.00")
    (head, row) = list(csv.reader(io.StringIO(english.decode("utf-8-sig"))))
    assert (head[3], row[3]) == ("reason", "accrue")
