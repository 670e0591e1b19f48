"""A member's rights through the sandbox: /mydata privately sends a JSON file holding their
ledger (in the group: a button to the private chat); /forgetme erases once confirmed (that the
points stay is the unit tests'); a member's /forget is refused, an admin's is confirmed and
shows in /modlog."""

from __future__ import annotations

import json

from sandbox.client import Event, SandboxClient, User
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import start_privately

REFUSAL = "Sorry, only the group's admins can use this command."


async def press_in(
    sandbox: SandboxClient, chat_id: int, message: Event, user: User, label: str
) -> tuple[str, Event | None]:
    """Press the button starting with `label`: the toast, and the message as edited."""
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    (button,) = [b for b in buttons if b["text"].startswith(label)]
    await sandbox.press(chat_id, message["message_id"], user, button["callback_data"])
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    edits = [
        e for e in await sandbox.events(message["seq"])
        if e["kind"] == "edited" and e["message_id"] == message["message_id"]
        and e["seq"] < toast["seq"]
    ]  # fmt: skip
    return str(toast["text"] or ""), edits[-1] if edits else None


async def test_a_member_gets_their_data_privately_then_erases_it(sandbox: SandboxClient) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.send(group, bob, "hi")
    await sandbox.settle()  # the member's message handled first
    granted = await sandbox.ask(group, admin, "/points @bob_fan +50 welcome")
    assert "+50" in granted["text"], granted["text"]
    pointer = await sandbox.ask_for_sender(group, bob, "/mydata")
    assert pointer["text"] == "Your data are private: I'll send them in our chat."
    (button,) = pointer["reply_markup"]["inline_keyboard"][0]
    assert button["url"].endswith("?start=mydata")

    await start_privately(sandbox, bob)
    await sandbox.send_private(bob, "/start mydata")  # the button's link
    (linked,) = await sandbox.wait_sent(bob.id)
    assert linked["method"] == "sendDocument"
    await sandbox.send_private(bob, "/mydata")
    (sent,) = await sandbox.wait_sent(bob.id)
    assert sent["method"] == "sendDocument"
    assert sent["document"]["file_name"] == f"fanbot-mydata-{bob.id}.json"
    document = json.loads((await sandbox.file(sent["document"]["file_id"])).decode("utf-8"))
    assert document["user_id"] == bob.id
    ledger = document["tables"]["points_ledger"]
    assert [(row["delta"], row["reason"]) for row in ledger if row["delta"] == 50] == [
        (50, "admin")
    ]
    assert [row["display_name"] for row in document["tables"]["members"]] == ["Bob"]

    await sandbox.send_private(bob, "/forgetme")
    (asked,) = await sandbox.wait_sent(bob.id)
    assert asked["text"].startswith("⚠️ Erase your personal data from fanbot?")
    assert "Stays: points and their history" in asked["text"]
    _toast, done = await press_in(sandbox, bob.id, asked, bob, "🗑 Erase")
    assert done is not None
    assert done["text"] == "✅ Your personal data are erased. Your points stay yours."


async def test_an_admin_forgets_a_member_on_request_and_a_member_cannot(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")
    refused = await sandbox.ask_for_sender(group, bob, "/forget @cleo_fan")
    assert refused["text"] == REFUSAL
    await sandbox.settle()  # the member's message handled first
    asked = await sandbox.ask(group, admin, "/forget @cleo_fan")
    assert asked["text"].startswith("⚠️ Erase Cleo's personal data in this group's program?")
    toast, unchanged = await press_in(sandbox, group.id, asked, bob, "🗑 Erase")
    assert unchanged is None
    assert toast == "Only the group's admins can erase a member's data."
    _toast, done = await press_in(sandbox, group.id, asked, admin, "🗑 Erase")
    assert done is not None
    assert done["text"] == (
        f"✅ The personal data of member {cleo.id} are erased in this program (see /modlog)."
    )
    log = await sandbox.ask(group, admin, "/modlog")
    assert "personal data erased" in log["text"], log["text"]
