"""Staff in the web console, through the real aiohttp application (the webhook's server as
production builds it, `add_webhook_routes`) on a real port, a real database and the sandbox as
Telegram: a staff member who is not a Telegram admin sees the group's pages, read-only staff
are refused a change, full staff make one and the change log names them, a revoke counts at
the next request, and only the program's owner gives access."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.app import Resources, create_bot, create_dispatcher
from bot.serve import _largest_body, add_webhook_routes, runner_for
from infrastructure.config import load_settings
from models import Chat, ModAction, StaffGrant
from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN, start_sandbox
from services.chats import ChatService
from services.members import ensure_members
from tests.support.processes import free_port
from tests.support.untranslated import untranslated
from web.auth import Keys

HOOK_SECRET = "hook-secret-0123456789"


@dataclass
class Console:
    url: str
    group: int
    owner: int  # the group's Telegram creator: its program's owner
    admin: int  # an admin, not the owner
    staff: int  # neither: the one given access
    services: Resources

    cookies: dict[int, str] = field(default_factory=dict)  # one session per user

    def cookie(self, user_id: int) -> str:
        if user_id not in self.cookies:
            self.cookies[user_id] = Keys(DEFAULT_TOKEN).session_cookie(user_id, time.time())
        return self.cookies[user_id]

    def client(self, user_id: int) -> aiohttp.ClientSession:
        """A browser logged in as `user_id` (its session cookie), sending our own Origin."""
        return aiohttp.ClientSession(headers={"Cookie": f"fanbot_session={self.cookie(user_id)}",
                                              "Origin": self.url})  # fmt: skip

    def csrf(self, user_id: int) -> str:
        session = Keys(DEFAULT_TOKEN).read_session(self.cookie(user_id), time.time())
        assert session is not None
        return session.csrf

    async def post(self, user_id: int, path: str, **fields: str) -> aiohttp.ClientResponse:
        async with self.client(user_id) as http:
            answer = await http.post(f"{self.url}{path}", allow_redirects=False,
                                     data={"csrf": self.csrf(user_id), **fields})  # fmt: skip
            await answer.read()
            return answer

    async def get(self, user_id: int, path: str) -> tuple[int, str]:
        async with self.client(user_id) as http, http.get(f"{self.url}{path}") as answer:
            return answer.status, await answer.text()

    async def changes(self) -> list[tuple[int | None, str | None, str | None]]:
        async with self.services.session_pool() as db:
            rows = await db.scalars(
                select(ModAction).where(ModAction.action == "console").order_by(ModAction.id)
            )
            return [(row.actor_id, row.rule, row.reason) for row in rows]


@pytest.fixture
async def console(database_url: str) -> AsyncIterator[Console]:
    runner, api = await start_sandbox()
    telegram = SandboxClient(api)
    owner = await telegram.create_user("Ada", "ada_owner", "en")
    admin = await telegram.create_user("Bo", "bo_admin", "en")
    staff = await telegram.create_user("Cleo", "cleo_staff", "en")
    group = await telegram.create_group("Fans", creator=owner, admins=[admin], members=[staff])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = load_settings(
        bot_token=DEFAULT_TOKEN, database_url=database_url, telegram_api_url=api,
        webhook_url=f"{url}/telegram", webhook_secret=HOOK_SECRET, web_url=url,
        webhook_host="127.0.0.1", webhook_port=port, default_language="en",
    )  # fmt: skip
    services = Resources.create(config)
    async with services.session_pool() as db, db.begin():
        await ChatService(db, services.clock, "Asia/Shanghai").ensure(group.id, "supergroup",
                                                                      "Fans")  # fmt: skip
        await ensure_members(db, [(group.id, staff.id)])
    bot = create_bot(config, services)
    app = web.Application(client_max_size=_largest_body(config))
    add_webhook_routes(app, config, services, bot, create_dispatcher(services))
    server = runner_for(app)
    await server.setup()
    await web.TCPSite(server, "127.0.0.1", port).start()
    try:
        yield Console(url, group.id, owner.id, admin.id, staff.id, services)
    finally:
        await server.cleanup()
        await services.close()
        await telegram.close()
        await runner.cleanup()


async def test_read_only_staff_see_the_pages_but_change_nothing(console: Console) -> None:
    group, staff = console.group, console.staff
    assert (await console.get(staff, f"/console/{group}"))[0] == 404  # not an admin, not staff
    given = await console.post(console.owner, f"/console/{group}/staff", user=str(staff))
    assert given.status == 303
    assert "said=new_read" in given.headers["Location"]
    for page in ("", "/members", "/settings", "/shop", "/log", "/export/members.csv"):
        status, _text = await console.get(staff, f"/console/{group}{page}")
        assert status == 200, page
    status, home = await console.get(staff, "/console")
    assert f"/console/{group}" in home
    assert "staff · read-only" in home
    refused = await console.post(staff, f"/console/{group}/settings", **{"points.message": "9"})
    assert refused.status == 403
    assert "read-only" in await refused.text()
    status, text = await console.get(staff, f"/console/{group}/settings")
    assert 'name="points.message" value="1"' in text  # unchanged
    assert await console.changes() == [(console.owner, "staff.new", f"{staff}: read")]


async def test_full_staff_change_a_setting_and_the_log_names_them(console: Console) -> None:
    group, staff = console.group, console.staff
    await console.post(console.owner, f"/console/{group}/staff", user=str(staff), role="full")
    _status, form = await console.get(staff, f"/console/{group}/settings")
    fields = dict(re.findall(r'name="([a-z._]+)" value="([^"]*)"', form))
    fields["language"], fields["points.message"] = "auto", "5"  # the one select, as shown
    saved = await console.post(staff, f"/console/{group}/settings", **fields)
    assert saved.status == 303
    assert (await console.changes())[-1] == (staff, "settings", "points.message: 1 → 5")
    status, log = await console.get(console.owner, f"/console/{group}/log")
    assert status == 200
    assert "points.message: 1 → 5" in log
    assert str(staff) in log
    unchanged = await console.post(staff, f"/console/{group}/settings", **fields)
    assert unchanged.status == 303
    assert len(await console.changes()) == 2  # a form sent unchanged is no change


async def test_a_revoked_member_is_refused_at_the_next_request(console: Console) -> None:
    group, staff = console.group, console.staff
    await console.post(console.owner, f"/console/{group}/staff", user=str(staff), role="full")
    assert (await console.get(staff, f"/console/{group}/members"))[0] == 200
    taken = await console.post(console.owner, f"/console/{group}/staff/{staff}/remove")
    assert taken.status == 303
    assert (await console.get(staff, f"/console/{group}/members"))[0] == 404
    assert (await console.post(staff, f"/console/{group}/settings")).status == 404
    assert [rule for _who, rule, _what in await console.changes()] == ["staff.new",
                                                                       "staff.remove"]  # fmt: skip


async def test_an_admin_who_is_not_the_owner_cannot_give_access(console: Console) -> None:
    group, staff = console.group, console.staff
    assert (await console.get(console.admin, f"/console/{group}/settings"))[0] == 200
    status, text = await console.get(console.admin, f"/console/{group}/staff")
    assert status == 403
    assert "Only the program&#39;s owner" in text
    refused = await console.post(console.admin, f"/console/{group}/staff", user=str(staff),
                                 role="full")  # fmt: skip
    assert refused.status == 403
    # full staff may change what an admin may, but give no access either
    await console.post(console.owner, f"/console/{group}/staff", user=str(staff), role="full")
    assert (await console.post(staff, f"/console/{group}/staff", user="4242")).status == 403
    async with console.services.session_pool() as db:
        grants = list(await db.scalars(select(StaffGrant.user_id)))
    assert grants == [staff]


async def test_the_staff_pages_speak_chinese(console: Console) -> None:
    group, staff = console.group, console.staff
    await console.post(console.owner, f"/console/{group}/staff", user=str(staff))
    _status, page = await console.get(console.owner, f"/console/{group}/staff?lang=zh")
    assert "员工" in page
    assert untranslated(body_text(page)) == []
    refused = await console.post(staff, f"/console/{group}/settings?lang=zh")
    assert refused.status == 403
    assert "只读权限" in await refused.text()
    _status, home = await console.get(staff, "/console?lang=zh")
    assert "员工 · 只读" in home


def body_text(page: str) -> str:
    """The page's words as a reader sees them: the body without tags, scripts or the form
    values (a hidden token is no word)."""
    body = page.split("<body>", 1)[-1]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


async def test_a_program_of_two_groups_shows_both_and_staff_open_both(console: Console) -> None:
    """A second group joined into Fans' program: the overview lists both groups' figures, and
    staff given access in one open the other's pages too."""
    second = console.group - 1
    async with console.services.session_pool() as db, db.begin():
        chats = ChatService(db, console.services.clock, "Asia/Shanghai")
        await chats.ensure(second, "supergroup", "Fans South")
        await db.execute(update(Chat).where(Chat.id == second).values(program_id=console.group))
    status, overview = await console.get(console.owner, f"/console/{console.group}")
    assert status == 200
    assert "The program&#39;s groups" in overview or "The program's groups" in overview
    assert "Fans South" in overview
    await console.post(console.owner, f"/console/{console.group}/staff", user=str(console.staff))
    status, _page = await console.get(console.staff, f"/console/{second}/members")
    assert status == 200
