"""What the web trusts: Telegram's two signatures and fanbot's own links and sessions, forged,
aged and tampered with; and the console's members list, paged by keyset on both databases."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member
from services.clock import Clock
from services.console import PAGE, ConsoleService, MemberQuery
from web.auth import Keys, init_data_user, login_widget_user, sign_init_data, sign_login_widget

TOKEN = "123456:test-token-for-signatures"
NOW = 1_800_000_000.0


def widget(**fields: str) -> dict[str, str]:
    return sign_login_widget({"id": "42", "first_name": "Ada", "auth_date": str(int(NOW)),
                              **fields}, TOKEN)  # fmt: skip


def test_the_login_widget_is_checked_as_telegram_documents() -> None:
    assert login_widget_user(widget(), TOKEN, NOW) == 42
    assert login_widget_user(widget(username="ada"), TOKEN, NOW + 3600) == 42
    assert login_widget_user({**widget(), "id": "43"}, TOKEN, NOW) is None  # tampered
    assert login_widget_user(widget(), "654321:another-bot", NOW) is None  # another bot's
    assert login_widget_user(widget(), TOKEN, NOW + 86_401) is None  # a day old
    assert login_widget_user({k: v for k, v in widget().items() if k != "hash"}, TOKEN, NOW) is None


def mini_app(user_id: int = 42, age: float = 0, **extra: str) -> str:
    fields = {"auth_date": str(int(NOW - age)), "query_id": "AAH",
              "user": json.dumps({"id": user_id, "first_name": "Cleo", "language_code": "zh"}),
              **extra}  # fmt: skip
    return sign_init_data(fields, TOKEN)


def test_mini_app_init_data_is_checked_as_telegram_documents() -> None:
    user = init_data_user(mini_app(), TOKEN, NOW)
    assert user is not None
    assert (user.id, user.language_code) == (42, "zh")
    assert init_data_user(mini_app(signature="abc"), TOKEN, NOW) is not None  # every field
    assert init_data_user(mini_app().replace("42", "43"), TOKEN, NOW) is None
    assert init_data_user(mini_app(age=86_401), TOKEN, NOW) is None
    assert init_data_user(mini_app() + "&hash=00", TOKEN, NOW) is None  # a field twice
    assert init_data_user("", TOKEN, NOW) is None
    assert init_data_user("%%%", TOKEN, NOW) is None
    # The Login Widget's signature is not a Mini App's (the keys differ by design).
    widget_style = "&".join(f"{k}={v}" for k, v in widget().items())
    assert init_data_user(widget_style, TOKEN, NOW) is None


def test_links_and_sessions_are_signed_expire_and_do_not_stand_in_for_each_other() -> None:
    keys = Keys(TOKEN)
    link, nonce = keys.login_link(42, NOW)
    assert keys.read_link(link, NOW + 599) == (42, nonce)
    assert keys.read_link(link, NOW + 601) is None  # ten minutes
    assert keys.read_link(link[:-2] + "xx", NOW) is None
    assert Keys("654321:another").read_link(link, NOW) is None
    cookie = keys.session_cookie(42, NOW)
    session = keys.read_session(cookie, NOW + 60)
    assert session is not None
    assert session.user_id == 42
    assert len(session.csrf) > 20
    assert keys.read_session(cookie, NOW + 13 * 3600) is None
    assert keys.read_session(link, NOW) is None  # a link is not a session
    assert keys.read_link(cookie, NOW) is None
    assert keys.read_session(None, NOW) is None
    assert keys.read_session("garbage", time.time()) is None


async def test_the_members_list_pages_by_keyset_and_finds_by_name_or_id(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    seen = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [
        {"chat_id": chat, "user_id": n, "display_name": f"Fan {n}", "username": f"fan{n}",
         "points": n % 7, "lifetime_points": n, "last_seen_at": seen + timedelta(minutes=n % 13)
         if n % 5 else None}
        for n in range(1, 131)
    ]  # fmt: skip
    rows[0]["display_name"] = "100%_Cleo"
    async with session_pool() as session:
        await session.execute(insert(Member), rows)
        await session.commit()
    for sort, key in (("points", lambda r: (r["points"], r["user_id"])),
                      ("seen", lambda r: (r["last_seen_at"] is not None,
                                          r["last_seen_at"] or seen, r["user_id"]))):  # fmt: skip
        expected = [r["user_id"] for r in sorted(rows, key=key, reverse=True)]
        got: list[int] = []
        after = ""
        while True:
            async with session_pool() as session:
                page = await ConsoleService(session, Clock()).members(
                    chat, MemberQuery(sort=sort, after=after), "Asia/Shanghai", []
                )
            got += [member.user_id for member in page.members]
            assert len(page.members) <= PAGE
            if page.next_after is None:
                break
            after = page.next_after
        assert got == expected, sort
    async with session_pool() as session:
        console = ConsoleService(session, Clock())

        async def found(text: str) -> list[int]:
            page = await console.members(chat, MemberQuery(text=text), "Asia/Shanghai", [])
            return sorted(member.user_id for member in page.members)

        assert await found("FAN 12") == [12, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129]
        assert await found("@fan130") == [130]
        assert await found("77") == [77]  # by id (and no name has 77 but Fan 77)
        assert await found("100%") == [1]  # % and _ are letters here, not wildcards
        assert await found("0%_") == [1]
        assert await found("nobody") == []
        assert MemberQuery.of({"sort": "drop table", "segment": "x"}) == MemberQuery()
