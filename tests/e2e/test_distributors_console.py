"""The console's Distributors page (分销): the leaderboard with a formula-like name escaped, and
the commission ledger as a CSV whose cells are never live formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sandbox.client import SandboxClient
from tests.e2e import test_web
from tests.e2e.test_shop import send_file
from tests.e2e.test_web import console_http, signed_in
from tests.e2e.test_welcome import english_group

# test_web's bot serving the console and its sandbox client (each module gets a bot of its own)
web_bot, web, sandbox = test_web.web_bot, test_web.web, test_web.sandbox


async def test_the_console_lists_distributors_and_downloads_the_commission_ledger(
    sandbox: SandboxClient, web: str
) -> None:
    formula = "=1+2<b>x</b>"
    group, admin = await english_group(sandbox)
    seller = await sandbox.create_user(formula, "formula_seller", "en")
    await sandbox.set_member_status(group, seller, "member")
    await sandbox.send(group, seller, "hello")
    await sandbox.settle()
    await sandbox.ask(group, admin, "/distributor add @formula_seller rate=5%")
    await sandbox.ask(group, admin, "/distributor codes @formula_seller FX-1")
    await sandbox.ask(group, admin, "/settings orders return_days 0")
    paid = datetime.now(UTC).isoformat(timespec="seconds")
    export = f"order_id,buyer,amount,paid_at,status,coupon\nF-1,buyer,100.00,{paid},paid,FX-1\n"
    await send_file(sandbox, group, admin, "orders.csv", export.encode(), "/orders import")
    async with console_http() as http:
        await signed_in(http, web, admin)
        async with http.get(f"{web}/console/{group.id}/distributors?lang=en") as answer:
            assert answer.status == 200
            page = await answer.text()
        async with http.get(f"{web}/console/{group.id}/commission.csv?lang=en") as answer:
            rows = list(csv.DictReader(io.StringIO((await answer.read()).decode("utf-8-sig"))))
    assert "<b>=1+2&lt;b&gt;x&lt;/b&gt;</b>" in page
    assert "¥100.00" in page
    assert "¥5.00" in page
    assert [(r["reason"], r["distributor"], r["order_id"]) for r in rows] == [
        ("accrue", "'" + formula, "F-1"), ("confirm", "'" + formula, "F-1"),
    ]  # fmt: skip
