"""An event made on the console, in a real headless Chromium against `fanbot run` and the
sandbox (the fixtures of test_web.py): the operator fills the Events page's form with a poster,
the card arrives in the group as the photo with the card as its caption, and a member signs up
with its button."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from sandbox.client import SandboxClient
from tests.e2e import test_web
from tests.e2e.test_events import SIGNED, press_one
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_web import console_link, log_in
from tests.support.browser import SCREENSHOTS, offline_context
from tests.unit.test_events_console import tiny_png

web_bot, web, sandbox, browser = test_web.web_bot, test_web.web, test_web.sandbox, test_web.browser


async def test_an_event_with_a_poster_made_on_the_console_takes_sign_ups(
    sandbox: SandboxClient, browser: Browser, web: str, tmp_path: Path
) -> None:
    group, admin, (fan,) = await fan_group(sandbox, "Mei")
    await sandbox.ask(group, admin, "/settings language en")
    link = await console_link(sandbox, admin)
    poster = tmp_path / "poster.png"
    poster.write_bytes(tiny_png())
    starts = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=3)

    async with offline_context(browser, viewport={"width": 1280, "height": 900}) as context:
        page = await context.new_page()
        await log_in(page, link)
        await page.click(f"text={group.title}")
        await page.click("nav >> text=Events")
        form = page.locator("#new-event")
        await form.locator("input[name=title]").fill("Tea <tasting>")
        await form.locator("input[name=starts]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        await form.locator("input[name=place]").fill("Jing'an shop")
        await form.locator("input[name=capacity]").fill("20")
        await form.locator("input[name=photo]").set_input_files(str(poster))
        await form.locator("button[type=submit]").click()
        await expect(page.locator("p.saved")).to_contain_text("is posted in the group.")
        row = page.locator("#events tbody tr").first
        await expect(row).to_contain_text("Tea <tasting>")  # text, never markup
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "console-events.png"), full_page=True)

    (card,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and e["method"] == "sendPhoto"
    )
    assert card["photo"] is not None
    assert await sandbox.file(card["photo"]) == tiny_png()
    assert card["text"].startswith("🎫 Event #")
    assert "Tea <tasting>" in card["text"]
    assert "📍 Jing'an shop" in card["text"]
    assert "20 of 20 seats left" in card["text"]
    toast = await press_one(sandbox, group.id, card, fan, "报名")
    assert toast.startswith(SIGNED), toast
