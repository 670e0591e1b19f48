"""The console's Missions page through the real aiohttp application (the staff console's
fixture): an admin reads the sets, the economy and the badges, sets missions by a form as
`/quests` takes them (a bad one changes nothing and says why), and the change is logged."""

from __future__ import annotations

import html

from tests.unit.test_staff_console import Console, console

__all__ = ["console"]


async def test_an_admin_sets_the_missions_on_the_console(console: Console) -> None:
    group, owner = console.group, console.owner
    status, page = await console.get(owner, f"/console/{group}/quests")
    assert status == 200
    assert 'name="daily" value=""' in page
    assert 'id="economy"' in page
    refused = await console.post(owner, f"/console/{group}/quests", daily="checkin=5 dance=3")
    assert refused.status == 400
    assert "Each mission is template=points" in html.unescape(await refused.text())
    saved = await console.post(owner, f"/console/{group}/quests",
                               daily="checkin=5 messages:10=5 bonus=10", streak="10")  # fmt: skip
    assert saved.status == 303
    _status, page = await console.get(owner, f"/console/{group}/quests")
    assert 'name="daily" value="checkin=5 messages:10=5 bonus=10"' in page
    assert 'name="streak" value="10"' in page
    assert (await console.changes())[-1][:2] == (owner, "quests")
