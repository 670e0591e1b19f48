"""A past draw after its winner was forgotten, through the sandbox and the web: /verify still
checks out, the public page names the winner "erased member" (with the id the proof needs) and
the published entrant list keeps the id."""

from __future__ import annotations

import aiohttp

from sandbox.client import SandboxClient
from tests.e2e.test_draws import draw_id, open_draw, press, result_of
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_member_rights import press_in
from tests.e2e.test_web import sandbox, web, web_bot  # noqa: F401 (a bot serving the web)


async def test_a_forgotten_winner_is_an_erased_member_and_the_draw_still_checks_out(
    sandbox: SandboxClient,  # noqa: F811
    web: str,  # noqa: F811
) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.send(group, bob, "hi")
    post = await open_draw(sandbox, group, admin, "Tea set winners=1 ends=2h")
    assert (await press(sandbox, group, post, bob)).startswith("✅ You're in draw")
    await sandbox.send(group, admin, f"/draw end {draw_id(post)}")
    await result_of(sandbox, group)
    page_url = f"{web}/d/{group.id}/{draw_id(post)}"
    async with aiohttp.ClientSession() as http:
        before = await (await http.get(page_url + "?lang=en")).text()
    assert "Bob" in before

    await sandbox.settle()  # the member's message handled first
    asked = await sandbox.ask(group, admin, "/forget @bob_fan")
    _toast, done = await press_in(sandbox, group.id, asked, admin, "🗑 Erase")
    assert done is not None
    verified = await sandbox.ask(group, admin, f"/verify {draw_id(post)}")
    assert verified["text"].startswith(f"✅ Draw #{draw_id(post)} checks out")
    async with aiohttp.ClientSession() as http:
        page = await (await http.get(page_url + "?lang=en")).text()
        entrants = await (await http.get(page_url + "/entrants.txt")).text()
    assert "erased member" in page
    assert f"({bob.id})" in page
    assert "Bob" not in page
    assert entrants == f"{bob.id}\n"
