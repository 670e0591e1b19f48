"""Event tickets in the Mini App, in a real headless Chromium against `fanbot run` and the
sandbox: a member's ticket shows its QR code and short code; the door staff (the group's
admin) scan it with Telegram's scanner (`showScanQrPopup`, simulated here as the app would
answer it), and a second scan of the same ticket, or a forged code, is refused."""

from __future__ import annotations

import json

import aiohttp
from playwright.async_api import Browser, expect

from sandbox.client import SandboxClient, User
from tests.e2e import test_web
from tests.e2e.test_events import SIGNED, event_id, new_event, press_one
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_web import init_data
from tests.support.browser import offline_context

web_bot, web, sandbox, browser = test_web.web_bot, test_web.web, test_web.sandbox, test_web.browser
PHONE = {"width": 390, "height": 844}


def fake_telegram(signed: str, version: str = "8.0") -> str:
    """Telegram.WebApp with its QR scanner: the popup 'reads' `window.scanned` at once (before
    6.4 it throws, as telegram-web-app.js does: WebAppMethodUnsupported)."""
    return """
    window.scans = [];
    window.scanned = "";
    const old = VERSION < 6.4;
    window.Telegram = { WebApp: {
      initData: SIGNED, version: String(VERSION), platform: "ios",
      isVersionAtLeast: (wanted) => VERSION >= Number(wanted),
      ready() {}, expand() {}, onEvent() {},
      showScanQrPopup(params, answer) {
        if (old) throw new Error("WebAppMethodUnsupported");
        scans.push(params.text); answer(window.scanned);
      },
      HapticFeedback: { notificationOccurred() {} },
    } };
    """.replace("SIGNED", json.dumps(signed)).replace("VERSION", str(float(version)))


async def token_of(web: str, fan: User) -> str:
    headers = {"Authorization": f"tma {init_data(fan)}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{web}/app/api/tickets", json={}, headers=headers) as answer,
    ):
        (ticket,) = (await answer.json())["tickets"]
        return str(ticket["token"])


async def test_a_ticket_in_the_mini_app_scanned_once_at_the_door(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, (fan,) = await fan_group(sandbox, "Mia")
    await sandbox.ask(group, admin, "/settings language en")
    card = await new_event(sandbox, group, admin, "Tea tasting 2d place=Shop")
    assert (await press_one(sandbox, group.id, card, fan, "报名")).startswith(SIGNED)

    async with offline_context(browser, viewport=PHONE) as context:
        await context.add_init_script(fake_telegram(init_data(fan)))
        page = await context.new_page()
        await page.goto(f"{web}/app/tickets")
        ticket = page.locator("#tickets li.ticket")
        await expect(ticket).to_have_count(1)
        await expect(ticket.locator("strong")).to_have_text("Tea tasting")
        await expect(ticket.locator(".hint")).to_contain_text("(Asia/Shanghai) · Shop")
        code = await ticket.locator(".code").text_content()
        assert code is not None
        assert len(code) == 8
        qr = await ticket.locator("img.qr").get_attribute("src")
        assert qr is not None
        assert qr.startswith("data:image/svg+xml")
        width = await page.evaluate("document.querySelector('img.qr').naturalWidth")
        assert width > 0  # the SVG drew
        await expect(page.locator("#door")).to_be_hidden()  # a member is no door staff

    token = await token_of(web, fan)
    async with offline_context(browser, viewport=PHONE) as context:
        await context.add_init_script(fake_telegram(init_data(admin)))
        page = await context.new_page()
        await page.goto(f"{web}/app/tickets")
        door = page.locator("#door")
        await expect(door).to_be_visible()
        await expect(page.locator("#door-event option")).to_contain_text([f"#{event_id(card)}"])
        said = page.locator("#door-said")
        await page.evaluate("token => { window.scanned = token; }", token)
        await page.locator("#scan").click()
        await expect(said).to_have_text(f"✅ Checked in for #{event_id(card)} Tea tasting.")
        await page.locator("#scan").click()  # the same ticket again
        await expect(said).to_contain_text("❌ That ticket was already used at ")
        assert await page.evaluate("scans.length") == 2
        await page.evaluate("token => { window.scanned = token; }", token[:-3] + "abc")
        await page.locator("#scan").click()
        await expect(said).to_have_text("❌ That QR code is not a ticket.")
        await page.locator("#code").fill("NOPE2345")
        await page.locator("#check").click()
        await expect(said).to_have_text("❌ No ticket has that code.")


async def test_an_old_client_without_the_qr_scanner_checks_in_by_the_typed_code(
    sandbox: SandboxClient, browser: Browser, web: str
) -> None:
    group, admin, (fan,) = await fan_group(sandbox, "Ode")
    await sandbox.ask(group, admin, "/settings language en")
    card = await new_event(sandbox, group, admin, "Open day 2d place=Shop")
    assert (await press_one(sandbox, group.id, card, fan, "报名")).startswith(SIGNED)
    async with offline_context(browser, viewport=PHONE) as context:
        await context.add_init_script(fake_telegram(init_data(admin), version="6.2"))
        page = await context.new_page()
        await page.goto(f"{web}/app/tickets")
        await expect(page.locator("#door")).to_be_visible()
        await expect(page.locator("#scan")).to_be_hidden()  # no scanner before Bot API 6.4
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"tma {init_data(fan)}"}
            async with http.post(f"{web}/app/api/tickets", json={}, headers=headers) as answer:
                (ticket,) = (await answer.json())["tickets"]
        await page.locator("#code").fill(ticket["code"])
        await page.locator("#check").click()
        await expect(page.locator("#door-said")).to_have_text(
            f"✅ Checked in for #{event_id(card)} Open day."
        )
