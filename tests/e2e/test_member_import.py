"""Moving in from another tool through the sandbox: an admin's member list, its dry run, the
Import button, and a member's /points after."""

from __future__ import annotations

from sandbox.client import SandboxClient
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import press, send_file

MEMBERS = "用户名,积分,累计积分\n@bob_fan,120,300\n@ghost,5,\n@cleo_fan,abc,\n".encode("gbk")


async def test_an_admin_imports_a_member_list_after_a_dry_run_and_a_member_sees_it(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")  # seen: their @usernames are known
    dry = await send_file(sandbox, group, admin, "members.csv", MEMBERS, "/import members")
    assert dry["text"].splitlines() == [
        "Dry run: nothing changed yet (3 rows)",
        "👤 1 member matched, 0 new by id",
        "💰 120 points to add",
        "⚠️ 2 lines refused:",
        "line 3: unknown @username (never seen in the group)",
        "line 4: points not a whole number",
        "Press Import to apply, or send /import members go with the file.",
    ]
    mine = await sandbox.ask_for_sender(group, bob, "/points")
    assert mine["text"] == "Your balance: 0 points (lifetime 0)."

    _toast, done = await press(sandbox, group, dry, admin, "Import")
    assert done is not None
    assert done["text"].splitlines()[:3] == [
        "Members imported (3 rows)",
        "👤 1 member matched, 0 new by id",
        "💰 1 member's points carried over",
    ]
    mine = await sandbox.ask_for_sender(group, bob, "/points")
    assert mine["text"] == "Your balance: 120 points (lifetime 300)."

    again = await send_file(sandbox, group, admin, "members.csv", MEMBERS, "/import members go")
    assert "💰 0 points added" in again["text"].splitlines()
    mine = await sandbox.ask_for_sender(group, bob, "/points")
    assert mine["text"] == "Your balance: 120 points (lifetime 300)."


async def test_an_admin_copies_a_groups_settings_to_another_group(sandbox: SandboxClient) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    saved = await sandbox.ask(group, admin, "/setrules 1. Be kind")
    assert saved["text"].startswith("✅ The group rules are saved")
    await sandbox.ask(group, admin, "/settings referral 35")
    exported = await sandbox.ask(group, admin, "/settings export")
    assert exported["text"].startswith("⚙️ This group's settings")
    data = await sandbox.file(exported["document"]["file_id"])
    assert b"bob" not in data.lower()  # settings only: no member

    other = await sandbox.create_group("New Fans", creator=admin, members=[bob])
    imported = await send_file(sandbox, other, admin, "settings.json", data, "/settings import")
    assert imported["text"].startswith("✅ Settings imported: time zone, language and 2 sections")
    shown = await sandbox.ask(other, bob, "/rules")
    assert shown["text"] == "📜 Rules of New Fans\n1. Be kind"
    page = await sandbox.ask(other, admin, "/settings referral")
    assert "35" in page["text"]

    broken = data.replace(b'"referral"', b'"nonsense"')
    refused = await send_file(sandbox, other, admin, "settings.json", broken, "/settings import")
    assert refused["text"] == "Nothing changed: these parts cannot be applied: nonsense."
