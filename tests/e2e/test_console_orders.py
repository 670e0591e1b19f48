"""The console's orders page and a member's orders, in a real headless Chromium against
`fanbot run` and the sandbox (the fixtures of test_web.py): a Chinese shop imports its GBK
Taobao export, and its operator finds the orders with their item titles, the sales a day, the
best-selling items, the buyers waiting for /bind (binding one from the page), a disputed
nickname, the downloads named for what they hold, and a member's orders."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from playwright.async_api import Browser, Page, expect

from sandbox.client import SandboxClient
from tests.e2e import test_web
from tests.e2e.test_orders import SHANGHAI, ask_privately, taobao_export
from tests.e2e.test_shop import send_file, start_privately
from tests.e2e.test_web import console_http, console_link, signed_in
from tests.support.browser import SCREENSHOTS, offline_context
from tests.support.untranslated import untranslated

# test_web's bot serving the console, its sandbox client and the browser: the fixtures pytest
# finds here by name (this module gets a bot of its own, as each module does)
web_bot, web, sandbox, browser = test_web.web_bot, test_web.web, test_web.sandbox, test_web.browser


async def log_in_zh(page: Page, link: str) -> None:
    await page.goto(link + "?lang=zh")
    await page.click("#use-link")
    await page.wait_for_url(re.compile(r"/console$"))


async def test_an_operator_finds_the_orders_binds_a_waiting_buyer_and_reads_a_members_orders(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    admin = await sandbox.create_user("店长", "shop_admin", "en")  # console_link reads en
    xiaoming = await sandbox.create_user("小明", "xiaoming_fan", "zh")
    cleo = await sandbox.create_user("Cleo", "cleo_tea", "zh")
    group = await sandbox.create_group("茶友群", creator=admin, members=[xiaoming, cleo])
    await sandbox.ask(group, admin, "/settings language zh")
    for fan in (xiaoming, cleo):
        await sandbox.send(group, fan, "签到")
    data, _paid = taobao_export(datetime.now(SHANGHAI).date())
    await send_file(sandbox, group, admin, "ExportOrderList.csv", data, "/orders import")
    await sandbox.settle()  # the member's message handled first
    await sandbox.ask(group, admin, "/bind @xiaoming_fan 小明爱喝茶")
    link = await console_link(sandbox, admin)  # the admin has started the bot: told privately
    # Cleo proves 小明爱喝茶 too (she has the order's number and amount): a dispute
    await start_privately(sandbox, cleo)
    taken = await ask_privately(sandbox, cleo, "/bind 小明爱喝茶 3012345678901234567 199.00")
    assert "已通知管理员" in taken["text"], taken["text"]

    async with offline_context(browser, viewport={"width": 1280, "height": 900}) as context:
        page = await context.new_page()
        await log_in_zh(page, link)
        await page.click(f"text={group.title}")
        await page.click("nav >> text=订单")
        await expect(page.locator("h1")).to_have_text("订单")
        orders = page.locator("#orders tbody tr")
        await expect(orders).to_have_count(3)  # 2 paid, 1 closed (交易关闭); no unpaid one
        first = orders.filter(has_text="秋冬限定礼盒")
        await expect(first).to_contain_text("¥199.00")
        await expect(first).to_contain_text("小明爱喝茶 · 小明")
        await expect(first).to_contain_text("已付款")
        await expect(orders.filter(has_text="小红")).to_contain_text("已退款")
        await expect(page.locator("#sales-period")).to_have_text("最近 7 天的销售")
        await expect(page.locator("#sales-gmv .value")).to_have_text("¥287.00")
        top = page.locator("#top-items tbody tr")
        await expect(top.first).to_contain_text("秋冬限定礼盒")
        await expect(top.nth(1)).to_contain_text("单品茶包")
        assert await page.locator("#chart-sales rect.hover").count() == 7  # a bar a day
        waiting = page.locator("#waiting tbody tr")
        await expect(waiting).to_have_count(1)
        await expect(waiting.first).to_contain_text("tea_lover_88")
        await expect(waiting.first).to_contain_text("¥88.00")
        await expect(page.locator("#disputes")).to_contain_text("小明爱喝茶")
        await expect(page.locator("#disputes button")).to_have_text("转给 Cleo")
        links = page.locator("#downloads a")
        assert await links.all_inner_texts() == [
            "⬇ 成员名单", "⬇ 积分流水", "⬇ 签到记录", "⬇ 抽奖参与", "⬇ 兑换记录", "⬇ 订单",
        ]  # fmt: skip
        shown = await page.locator("main").inner_text()
        allowed = ["tea_lover_88", "Cleo", "fanbot", "Asia/Shanghai", "UTC+8"]
        assert untranslated(shown, allow=allowed) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "console-orders.png"), full_page=True)

        async with page.expect_download() as downloading:
            await links.last.click()
        download = await downloading.value
        assert download.suggested_filename.startswith(f"订单-{group.id}-")
        saved = (await download.path()).read_bytes().decode("utf-8-sig")
        assert next(csv.reader(io.StringIO(saved)))[:3] == ["订单编号", "付款时间", "宝贝标题"]

        # The waiting buyer is Cleo's: bound from the page, their order is hers now
        await waiting.first.locator("input[name=member]").fill("@cleo_tea")
        await waiting.first.locator("button").click()
        await expect(page.locator("#said")).to_have_text("已绑定：1 个订单已计入该成员。")
        await expect(page.locator("#waiting tbody tr")).to_have_text(re.compile("没有人在等待"))
        await expect(page.locator("#orders tbody tr", has_text="tea_lover_88")).to_contain_text(
            "Cleo"
        )

        await page.click("#orders >> text=Cleo")
        await expect(page.locator("#member-spend")).to_contain_text("店铺昵称：tea_lover_88")
        await expect(page.locator("#member-spend")).to_contain_text("¥88.00")
        await expect(page.locator("#member-spend")).to_contain_text("待到账购物积分：88")
        mine = page.locator("#member-orders tbody tr")
        await expect(mine).to_have_count(1)
        await expect(mine.first).to_contain_text("单品茶包")
        await expect(mine.first).to_contain_text("88 积分")


async def test_the_orders_page_binds_only_with_its_token_and_says_an_unknown_member(
    sandbox: SandboxClient, web: str
) -> None:
    admin = await sandbox.create_user("Ada", "ada_orders", "en")
    group = await sandbox.create_group("Tea Orders", creator=admin)
    await sandbox.ask(group, admin, "/settings language en")
    plain = "order_id,buyer,amount,title\nP-1,=cmd|' /C calc'!A0,12.00,<b>Tea</b>\n"
    await send_file(sandbox, group, admin, "orders.csv", plain.encode(), "/orders import")
    async with console_http() as http:
        await signed_in(http, web, admin)
        async with http.get(f"{web}/console/{group.id}/orders?lang=en") as answer:
            html = await answer.text()
        assert "&lt;b&gt;Tea&lt;/b&gt;" in html  # a title is text, never markup
        token = re.search(r'name="csrf" value="([^"]+)"', html)
        assert token is not None
        address = f"{web}/console/{group.id}/orders/bind"
        fields = {"nickname": "=cmd|' /C calc'!A0", "member": "@nobody_here"}
        async with http.post(address, data=fields) as answer:
            assert answer.status == 403  # no token
        async with http.post(address, data={**fields, "csrf": token[1]}) as answer:
            assert answer.status == 400
            assert "No member here is @nobody_here" in await answer.text()
        async with http.get(f"{web}/console/{group.id}/export/orders.csv") as answer:
            assert answer.headers["Content-Disposition"].startswith('attachment; filename="orders-')
            rows = list(csv.reader(io.StringIO((await answer.read()).decode("utf-8-sig"))))
    assert rows[0][:4] == ["order_id", "paid_at", "title", "buyer"]
    assert rows[1][2:4] == ["<b>Tea</b>", "'=cmd|' /C calc'!A0"]  # Excel-safe
