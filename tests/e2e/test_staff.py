"""Staff access to the console, with `fanbot run` serving the web and the sandbox as Telegram:
the group's creator (its program's owner) gives a member who is not an admin full access with
/staff (an admin who is not the owner is refused), the member is told privately, changes a
setting in the console, and /modlog console names them; /staff remove takes it back."""

from __future__ import annotations

import re

from sandbox.client import SandboxClient
from tests.e2e import test_web
from tests.e2e.test_shop import start_privately
from tests.e2e.test_web import console_http, signed_in

# test_web's bot serving the console and its sandbox client: the fixtures pytest finds here by
# name (this module gets a bot of its own, as each module does)
web_bot, web, sandbox = test_web.web_bot, test_web.web, test_web.sandbox


async def test_the_owner_gives_a_member_console_access_and_modlog_console_names_their_change(
    sandbox: SandboxClient, web: str
) -> None:
    owner = await sandbox.create_user("Ada", "ada_owner", "en")
    admin = await sandbox.create_user("Bo", "bo_admin", "en")
    cleo = await sandbox.create_user("Cleo", "cleo_staff", "en")
    group = await sandbox.create_group("Tea Staff", creator=owner, admins=[admin], members=[cleo])
    await sandbox.ask(group, owner, "/settings language en")
    await sandbox.send(group, cleo, "签到")  # the bot knows @cleo_staff
    await start_privately(sandbox, cleo)

    refused = await sandbox.ask_for_sender(group, admin, "/staff add @cleo_staff full")
    assert "Only the program's owner" in refused["text"], refused["text"]
    assert "/staff" in refused["text"]  # the reason first, then the usage
    before = sandbox.cursor  # the private notice may come before the reply
    given = await sandbox.ask(group, owner, "/staff add @cleo_staff full")
    assert "Cleo now has full access" in given["text"], given["text"]
    assert "told them privately" in given["text"]
    sandbox.cursor = before
    told = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id and "console" in e["text"]
    )
    assert "full access to the web console of Tea Staff" in told[0]["text"]
    listed = await sandbox.ask(group, owner, "/staff")
    assert "Cleo" in listed["text"]
    assert "full" in listed["text"]

    async with console_http() as http:
        await signed_in(http, web, cleo)
        async with http.get(f"{web}/console/{group.id}/settings") as answer:
            assert answer.status == 200
            form = await answer.text()
        fields = dict(re.findall(r'name="([a-z._]+)" value="([^"]*)"', form))
        fields["language"], fields["points.message"] = "en", "3"
        async with http.post(f"{web}/console/{group.id}/settings", data=fields) as answer:
            assert answer.status == 200  # followed to the saved settings
    log = await sandbox.ask(group, owner, "/modlog console")
    assert "Last changes made through the console" in log["text"], log["text"]
    assert "Cleo" in log["text"]
    assert "points.message: 1 → 3" in log["text"]
    moderation = await sandbox.ask(group, owner, "/modlog")
    assert "points.message" not in moderation["text"]  # console changes have their own section

    taken = await sandbox.ask(group, owner, "/staff remove @cleo_staff")
    assert "taken back" in taken["text"], taken["text"]
    async with console_http() as http:
        await signed_in(http, web, cleo)
        async with http.get(f"{web}/console/{group.id}/settings") as answer:
            assert answer.status == 404
