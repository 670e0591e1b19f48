"""A badge reward on the web: the console's shop form takes `badge` (refusing one the brand
does not have, with the names there are) and shows it; the Mini App's shop says what the item
asks for and its redeem call refuses a member without the badge, nothing taken."""

from __future__ import annotations

import re

import aiohttp

from sandbox.client import SandboxClient
from tests.e2e import test_web
from tests.e2e.test_web import console_http, init_data, shop_group, signed_in

# test_web's fixtures, by name: a bot serving the web, its address, the sandbox.
web_bot, web, sandbox = test_web.web_bot, test_web.web, test_web.sandbox


async def test_the_console_and_the_mini_app_ask_for_the_badge(
    sandbox: SandboxClient, web: str
) -> None:
    group, admin, (cleo, _script, _lilei) = await shop_group(sandbox)
    await sandbox.ask(group, admin, "/badge give @lilei tea")
    async with console_http() as http:
        await signed_in(http, web, admin)
        async with http.get(f"{web}/console/{group.id}/shop?lang=en") as answer:
            token = re.search(r'name="csrf" value="([^"]+)"', await answer.text())
        assert token is not None
        fields = {"csrf": token[1], "name": "Mug", "price": "10", "kind": "gift", "per": "ever"}
        add = f"{web}/console/{group.id}/shop/rewards"
        origin = {"Origin": web}
        async with http.post(add, data={**fields, "badge": "coffee"}, headers=origin) as answer:
            assert answer.status == 400
            page = await answer.text()
        assert "No such badge: give it first (/badge give), or use one of these:" in page
        assert "first_buy" in page
        assert ", tea, " in page  # the badges there are, sorted
        async with http.post(add, data={**fields, "badge": "tea"}, headers=origin) as answer:
            assert answer.status == 200  # after the redirect to the shop page
            page = await answer.text()
        row = re.search(r'<tr id="reward-(\d+)".*?</tr>', page, re.S)
        assert row is not None
        assert "🎖 tea" in row[0]
        assert 'name="badge" value="tea"' in row[0]
        edit = f"{web}/console/{group.id}/shop/rewards/{row[1]}/edit"
        changed = {"csrf": token[1], "price": "10", "per": "ever", "badge": "nope"}
        async with http.post(edit, data=changed, headers=origin) as answer:
            assert answer.status == 400
            assert "No such badge" in await answer.text()

    await sandbox.ask(group, admin, "/points @cleo_fan +50 welcome")
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"tma {init_data(cleo)}"}

        async def me() -> dict[str, object]:
            async with http.post(f"{web}/app/api/me", json={}, headers=headers) as answer:
                return dict(await answer.json())

        before = await me()
        (mug,) = [r for r in before["rewards"] if r["name"] == "Mug"]  # type: ignore[attr-defined]
        assert (mug["button"], mug["enabled"]) == ("🎖 For holders of the badge “tea”", False)
        body = {"group": group.id, "reward": mug["id"], "key": "badge-press-0001"}
        async with http.post(f"{web}/app/api/redeem", json=body, headers=headers) as answer:
            refused = await answer.json()
        assert not refused["ok"]
        assert refused["text"] == "Needs the badge “tea” to redeem; the admins give it."
        assert (await me())["header"] == before["header"]  # the balance as it was
        await sandbox.ask(group, admin, "/badge give @cleo_fan tea")
        body["key"] = "badge-press-0002"
        async with http.post(f"{web}/app/api/redeem", json=body, headers=headers) as answer:
            done = await answer.json()
        assert done["ok"], done
        assert done["text"].startswith("✅ Redeemed: Mug · -10 points")
