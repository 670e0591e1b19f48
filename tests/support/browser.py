"""A real headless Chromium (Debian's `chromium`) driven by Playwright, offline: every request
that is not to 127.0.0.1 is refused, so Telegram's widget and Mini App scripts never load
(the pages work without them, as they must when telegram.org is slow)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Route, async_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root and with no network: no sandbox, and none of Chromium's own calls home.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def _local_only(route: Route) -> None:
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "data:", "blob:")):
        await route.continue_()
    else:
        await route.abort()


@asynccontextmanager
async def offline_context(browser: Browser, **options: object) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(**options)  # type: ignore[arg-type]
    await context.route("**/*", _local_only)
    try:
        yield context
    finally:
        await context.close()
