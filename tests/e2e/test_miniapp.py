"""The Mini App (会员中心) in a real headless Chromium at a phone's size, against `fanbot run`
and the sandbox: what a member sees in their language, confirming before points are spent,
copying a code, Telegram's theme; and what a forger or another group's id is refused."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import aiohttp
from playwright.async_api import Browser, expect

from sandbox.client import Group, SandboxClient, User
from tests.e2e import test_web
from tests.e2e.test_shop import send_file
from tests.e2e.test_web import init_data, shop_group
from tests.support.browser import SCREENSHOTS, offline_context
from tests.support.untranslated import untranslated

# test_web's fixtures, by name: a bot serving the web, its address, the sandbox, Chromium.
web_bot, web, sandbox, browser = test_web.web_bot, test_web.web, test_web.sandbox, test_web.browser

PHONE = {"width": 390, "height": 844}
# Telegram's light theme as an app hands it over (its button blue is not the page's own).
THEME = {
    "bg_color": "#ffffff", "secondary_bg_color": "#efeff4", "section_bg_color": "#ffffff",
    "text_color": "#000000", "hint_color": "#8e8e93", "link_color": "#3390ec",
    "button_color": "#3390ec", "button_text_color": "#ffffff", "destructive_text_color": "#e53935",
}  # fmt: skip
GROUPED = re.compile(r"^\d{1,3}(,\d{3})+$")


def fake_telegram(signed: str) -> str:
    """Telegram.WebApp as an app provides it, recording what the page asks of it: the answer
    to showConfirm is `window.confirmAnswer` (and a confirmation answered twice, as a double
    tap might, calls back twice)."""
    return """
    window.asked = { confirms: [], haptics: [], ready: 0, expand: 0 };
    window.confirmAnswer = false;
    window.Telegram = { WebApp: {
      initData: SIGNED, version: "8.0", platform: "ios", colorScheme: "light", themeParams: THEME,
      viewportStableHeight: 844, safeAreaInset: { top: 0, bottom: 34, left: 0, right: 0 },
      contentSafeAreaInset: { top: 0, bottom: 0, left: 0, right: 0 },
      isVersionAtLeast: () => true, onEvent: () => {},
      ready() { asked.ready += 1; }, expand() { asked.expand += 1; },
      showConfirm(message, answer) {
        asked.confirms.push(message);
        answer(window.confirmAnswer);
        if (window.confirmAnswer) answer(true);
      },
      HapticFeedback: { notificationOccurred(kind) { asked.haptics.push(kind); } },
    } };
    """.replace("SIGNED", json.dumps(signed)).replace("THEME", json.dumps(THEME))


async def tea_group(sandbox: SandboxClient) -> tuple[Group, User, User]:
    """A Chinese group's shop: a perk, a coupon with long codes, a photo gift for diamond
    members; a member with 2,500 points, two orders still in the return window, signed in."""
    admin = await sandbox.create_user("阿茶", "acha_admin", "zh")
    fan = await sandbox.create_user("小红", "xiaohong", "zh")
    group = await sandbox.create_group("茶友会", creator=admin, members=[fan])
    await sandbox.ask(group, admin, "/settings language zh")
    await sandbox.send(group, fan, "签到")
    await sandbox.settle()  # the bot knows @xiaohong once she has written
    await sandbox.ask(group, admin, "/reward add 新品试饮装 price=300 kind=perk")
    await sandbox.ask(group, admin, "/reward add 满100减20券 price=1200 kind=coupon valid=30d")
    await sandbox.ask(group, admin, "/reward codes 2 generate 3 prefix=TEALOVERS2026VIP")
    photo = await sandbox.send(group, admin, photo=("定制茶杯.jpg", teacup()))
    command = "/reward add 定制茶杯 price=5000 kind=gift stock=3 min_tier=diamond"
    added = await sandbox.send(group, admin, command, reply_to=photo["message"]["message_id"])
    await sandbox.reply_to(group.id, added["message"]["message_id"])
    await sandbox.ask(group, admin, "/points @xiaohong +2500 欢迎")
    await sandbox.ask(group, admin, "/order @xiaohong 199.00 TB-20261201")  # no item title
    await sandbox.ask(group, admin, "/bind @xiaohong 小红爱喝茶")
    export = ("订单编号,买家会员名,买家实际支付金额,宝贝标题\n"
              "TB-20261202,小红爱喝茶,1876.00,明前龙井 特级 250g 礼盒装\n")  # fmt: skip
    await send_file(sandbox, group, admin, "orders.csv", export.encode(), "/orders import")
    return group, admin, fan


def teacup() -> bytes:
    """A photo of the gift, drawn here: a white cup of tea on its saucer, on warm paper."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600))
    draw = ImageDraw.Draw(image)
    for y in range(600):  # warm paper, lighter at the top
        shade = y / 600
        draw.line([(0, y), (800, y)], fill=(int(247 - 22 * shade), int(236 - 34 * shade),
                                            int(220 - 46 * shade)))  # fmt: skip
    draw.ellipse((150, 440, 650, 540), fill=(196, 170, 136))  # the saucer's shadow
    draw.ellipse((170, 420, 630, 515), fill=(255, 253, 249), outline=(226, 214, 196), width=4)
    draw.ellipse((480, 270, 600, 390), outline=(255, 253, 249), width=24)  # the handle
    draw.rounded_rectangle((250, 230, 530, 470), radius=70, fill=(255, 253, 249))
    draw.ellipse((250, 200, 530, 265), fill=(250, 246, 238), outline=(226, 214, 196), width=4)
    draw.ellipse((268, 210, 512, 255), fill=(170, 98, 40))  # the tea
    for x in (330, 390, 450):  # steam
        draw.arc((x - 20, 90, x + 20, 150), 90, 270, fill=(255, 255, 255), width=7)
        draw.arc((x - 20, 140, x + 20, 200), 270, 90, fill=(255, 255, 255), width=7)
    saved = io.BytesIO()
    image.save(saved, "JPEG", quality=90)
    return saved.getvalue()


async def balance_of(http: aiohttp.ClientSession, web: str, fan: User) -> str:
    headers = {"Authorization": f"tma {init_data(fan, language='zh')}"}
    async with http.post(f"{web}/app/api/me", json={}, headers=headers) as answer:
        return str((await answer.json())["header"]["balance"])


def points(text: str | None) -> int:
    return int((text or "").replace(",", ""))


async def test_a_zh_member_opens_the_centre_in_telegram_confirms_and_copies_a_code(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    _group, _admin, fan = await tea_group(sandbox)
    granted = {"permissions": ["clipboard-read", "clipboard-write"]}
    async with offline_context(
        browser, viewport=PHONE, device_scale_factor=2, **granted
    ) as context:
        await context.add_init_script(fake_telegram(init_data(fan, language="zh")))
        page = await context.new_page()
        await page.goto(f"{web}/app")
        balance = page.locator("#balance")
        await expect(balance).not_to_have_text("…")
        start = points(await balance.text_content())
        assert start > 2500
        assert GROUPED.match(await balance.text_content() or "")

        # Telegram's ready, expand and colours are taken up (its own script never loads here).
        assert await page.evaluate("[asked.ready, asked.expand]") == [1, 1]
        button_colour = await page.evaluate(
            "getComputedStyle(document.querySelector('button.redeem')).backgroundColor"
        )
        assert button_colour == "rgb(51, 144, 236)"  # THEME's, not the page's own #2481cc
        assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == (
            "rgb(239, 239, 244)"
        )

        # The card, the calendar, the orders and their pending points, all in Chinese.
        await expect(page.locator("#tier")).to_have_text("金牌")
        await expect(page.locator("#next")).to_contain_text("距钻石还差")
        await expect(page.locator("#calendar .day.signed")).to_have_count(1)
        await expect(page.locator("#weekdays span")).to_have_count(7)
        await expect(page.locator("#signed")).to_have_text("本月已签到 1 天")
        orders = page.locator("#orders li")
        await expect(orders).to_have_count(2)
        await expect(orders.first).to_contain_text("明前龙井 特级 250g 礼盒装")  # its item title
        await expect(orders.first).to_contain_text("TB-20261202")
        await expect(orders.nth(1)).to_contain_text("订单 TB-20261201")  # none: its number
        await expect(orders.first).to_contain_text("¥1,876.00")
        await expect(orders.first).to_contain_text("到账 +")
        pending = page.locator("#figures .figure").first
        await expect(pending).to_contain_text("待入账积分")
        assert GROUPED.match(await pending.locator("strong").text_content() or "")
        await expect(page.locator("#zone")).to_contain_text("Asia/Shanghai")
        rewards = page.locator("#rewards li")
        await expect(rewards).to_have_count(3)
        await expect(rewards.nth(2)).to_contain_text("钻石及以上")  # the gift needs diamond
        await expect(rewards.nth(2).locator("button")).to_be_disabled()
        # Its photo came through fanbot with initData (the page never sees Telegram's address).
        photo = rewards.nth(2).locator(".picture img")
        await expect(photo).to_have_attribute("src", re.compile(r"^blob:"))
        assert await photo.evaluate("image => image.complete && image.naturalWidth == 800")
        assert untranslated(await page.inner_text("body")) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "miniapp-card.png"))

        # 兑换 asks first: cancelled, nothing is spent and nothing is sent.
        coupon = rewards.nth(1).locator("button")
        await expect(coupon).to_have_text("兑换")
        redeems: list[str] = []
        page.on("request", lambda r: redeems.append(r.url) if "/redeem" in r.url else None)
        await coupon.click()
        asked = await page.evaluate("asked.confirms")
        assert asked == ["确定用 1,200 积分兑换 满100减20券 吗？"]
        await expect(balance).to_have_text(f"{start:,}")
        assert redeems == []

        # Confirmed (twice, as a double tap may): one redemption, one charge, a happy buzz.
        await page.evaluate("window.confirmAnswer = true")
        async with page.expect_request("**/app/api/redeem") as sent:
            await coupon.click()
        await expect(page.locator("#said")).to_contain_text("已兑换：满100减20券")
        await expect(balance).to_have_text(f"{start - 1200:,}")
        assert len(redeems) == 1
        assert "success" in await page.evaluate("asked.haptics")

        # The same press sent again (a retried request) redeems nothing more.
        request = await sent.value
        async with aiohttp.ClientSession() as http:
            again = await http.post(request.url, data=request.post_data,
                                    headers={"Authorization": request.headers["authorization"],
                                             "Content-Type": "application/json"})  # fmt: skip
            assert "这个按钮已兑换过" in (await again.json())["text"]
            assert await balance_of(http, web, fan) == f"{start - 1200:,}"

        # The code: on one line, whole, and copied by its button.
        code = page.locator("#coupons .code").first
        await expect(code).to_have_text(re.compile(r"^TEALOVERS2026VIP-\w{4}-\w{4}$"))
        await expect(page.locator("#coupons .state").first).to_have_text(re.compile(r"^至 \d"))
        assert await code.evaluate("c => getComputedStyle(c).whiteSpace") == "nowrap"
        box = await code.bounding_box()
        assert box is not None
        assert box["height"] < 48, box  # one line, not two
        await page.locator("#coupons .copy").first.click()
        await expect(page.locator("#coupons .copy").first).to_have_text("已复制")
        assert await page.evaluate("navigator.clipboard.readText()") == await code.text_content()

        assert untranslated(await page.inner_text("body")) == []  # the coupon and the note too
        await page.click("#said")  # a tap puts the note away
        await expect(page.locator("#said")).to_be_hidden()
        await page.evaluate("document.querySelector('#rewards').closest('section')"
                            ".scrollIntoView({block: 'start'})")  # fmt: skip
        await page.screenshot(path=str(SCREENSHOTS / "miniapp-rewards.png"))


async def test_outside_telegram_the_page_asks_in_its_own_sheet_and_refuses_forgers(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, (cleo, *_rest) = await shop_group(sandbox)
    await sandbox.ask(group, admin, "/reward add Tea <i>sample</i> price=30 kind=perk")
    await sandbox.ask(group, admin, "/points @cleo_fan +2000 welcome")
    async with offline_context(browser, viewport=PHONE) as context:
        page = await context.new_page()
        await page.goto(f"{web}/app#tgWebAppData={quote(init_data(cleo))}")
        balance = page.locator("#balance")
        await expect(balance).not_to_have_text("…")
        start = points(await balance.text_content())
        assert GROUPED.match(await balance.text_content() or "")
        await expect(page.locator("#rewards")).to_contain_text("Tea <i>sample</i>")  # as typed
        assert await page.locator("#rewards i").count() == 0  # text, never markup
        await expect(page.locator("#rewards")).to_contain_text("30 points")

        await page.click("#rewards button")
        sheet = page.locator("#sheet")
        await expect(sheet).to_be_visible()
        await expect(sheet).to_contain_text("Redeem Tea <i>sample</i> for 30 points?")
        await page.click("#sheet-cancel")
        await expect(sheet).to_be_hidden()
        await expect(balance).to_have_text(f"{start:,}")

        await page.click("#rewards button")
        await page.dblclick("#sheet-ok")  # a double tap confirms once
        await expect(page.locator("#said")).to_contain_text("Redeemed: Tea <i>sample</i>")
        await expect(balance).to_have_text(f"{start - 30:,}")
        await expect(page.locator("#coupons")).to_contain_text("Tea <i>sample</i>")
        await expect(page.locator("#coupons .state")).to_have_text("to be granted")

        # Forged and day-old initData are refused, and the page says where to open it.
        forged = init_data(cleo).replace(f"%22id%22%3A{cleo.id}", f"%22id%22%3A{admin.id}")
        for bad in (forged, init_data(cleo, age=90_000), ""):
            await page.goto(f"{web}/app#tgWebAppData={quote(bad)}")
            await page.reload()
            await expect(page.locator("#problem")).to_contain_text("opens from the bot")
    await expect_refusals(sandbox, web, cleo, group, start - 30)


async def expect_refusals(
    sandbox: SandboxClient, web: str, cleo: User, group: Group, balance: int
) -> None:
    """A press's key redeems once; another group's id, or another site's page, is refused."""
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"tma {init_data(cleo)}"}
        me = await (await http.post(f"{web}/app/api/me", json={}, headers=headers)).json()
        assert me["header"]["balance"] == f"{balance:,}"
        body = {"group": group.id, "reward": me["rewards"][0]["id"], "key": "same-press-0001"}
        answers = [
            await (await http.post(f"{web}/app/api/redeem", json=body, headers=headers)).json()
            for _ in range(2)
        ]
        assert answers[0]["ok"]
        assert "Already redeemed with this button" in answers[1]["text"]
        after = await (await http.post(f"{web}/app/api/me", json={}, headers=headers)).json()
        assert after["header"]["balance"] == f"{balance - 30:,}"  # the same key paid once
        stranger, _a, _f = await shop_group(sandbox)
        for path in ("redeem", "photo"):
            elsewhere = {**body, "group": stranger.id}
            wrong = await http.post(f"{web}/app/api/{path}", json=elsewhere, headers=headers)
            assert wrong.status == 403
        evil = {**headers, "Origin": "https://evil.example"}
        assert (await http.post(f"{web}/app/api/me", json={}, headers=evil)).status == 403
