"""Channels (渠道活码) through the sandbox: an operator makes a link for the parcel card and one
for a Xiaohongshu note, fans join through each, one of them buys, and `/stats channels` says
which brought whom; the console's Channels page and its CSV keep a formula-like name as text."""

from __future__ import annotations

import csv
import io

from sandbox.client import SandboxClient
from tests.e2e import test_web
from tests.e2e.test_web import console_http, signed_in
from tests.e2e.test_welcome import english_group

# test_web's bot serving the console and its sandbox client (each module gets a bot of its own)
web_bot, web, sandbox = test_web.web_bot, test_web.web, test_web.sandbox


async def test_two_channels_joins_and_an_order_attributed_to_its_channel(
    sandbox: SandboxClient,
) -> None:
    group, admin = await english_group(sandbox)
    made = await sandbox.ask(group, admin, "/invitelink new Parcel card")
    first, second = made["text"].splitlines()
    assert first.startswith("✅ Channel “Parcel card”: https://t.me/+")
    assert second == ("Put it where the channel is (a parcel card, a note, a livestream): who "
                      "joins through it counts for “Parcel card” in /stats channels.")  # fmt: skip
    parcel = first.split(": ", 1)[1]
    note = (await sandbox.ask(group, admin, "/invitelink new xhs"))["text"].splitlines()[0]
    note = note.split(": ", 1)[1]
    taken = await sandbox.ask_for_sender(group, admin, "/invitelink new PARCEL card")
    assert taken["text"].splitlines() == [
        "This group has a channel of that name already: /invitelink lists them.",
        "Usage: /invitelink new <name> [requests] · more: /help invitelink",
    ]
    fan = await sandbox.create_user("Fay", None, "en")
    await sandbox.set_member_status(group, fan, "member")
    refused = await sandbox.ask_for_sender(group, fan, "/invitelink new mine")
    assert refused["text"] == "Sorry, only the group's admins can use this command."

    ann, bob = [await sandbox.create_user(name, None, "en") for name in ("Ann", "Bob")]
    cid = await sandbox.create_user("Cid", "cid_fan", "en")
    for person, link in ((ann, parcel), (bob, parcel), (cid, note)):
        await sandbox.join(group, person, link)
    await sandbox.settle()
    await sandbox.ask_for_sender(group, ann, "/checkin")
    await sandbox.send(group, cid, "hi, I saw the note")
    await sandbox.settle()
    recorded = await sandbox.ask(group, admin, "/order @cid_fan 59.00 XHS-1")
    assert recorded["text"].startswith("🧾 Order XHS-1: ¥59.00 for Cid")

    listed = await sandbox.ask(group, admin, "/invitelink")
    assert listed["text"].splitlines() == [
        "🔗 Channels", "• Parcel card — 2 joined", f"  {parcel}", "• xhs — 1 joined",
        f"  {note}", "Who stayed, signed in and bought: /stats channels",
    ]  # fmt: skip
    stats = await sandbox.ask(group, admin, "/stats channels")
    assert stats["text"].splitlines()[:7] == [
        "📊 Where members come from · Tea Fans",
        "Parcel card: 2 members joined",
        "  Still here after 7 days: — · after 30 days: —",
        "  Signed in: 1 · bought: 0 · GMV ¥0.00",
        "xhs: 1 member joined",
        "  Still here after 7 days: — · after 30 days: —",
        "  Signed in: 0 · bought: 1 · GMV ¥59.00",
    ]

    revoked = await sandbox.ask(group, admin, "/invitelink revoke XHS")
    assert revoked["text"] == (
        "🚫 The link of “xhs” no longer works. Its 1 member and their figures stay in "
        "/stats channels."
    )
    assert [link["is_revoked"] for link in (await sandbox.chat(group.id))["invite_links"]] == [
        False, True,
    ]  # fmt: skip
    unknown = await sandbox.ask_for_sender(group, admin, "/invitelink revoke tiktok")
    assert unknown["text"].splitlines()[0] == (
        "This group has no channel called “tiktok”: /invitelink lists them."
    )


async def test_an_admin_hears_why_when_the_bot_cannot_make_links(sandbox: SandboxClient) -> None:
    group, admin = await english_group(sandbox)
    without_invite = {"can_delete_messages": True, "can_pin_messages": True}
    await sandbox.set_bot_status(group, "administrator", by=admin, rights=without_invite)
    refused = await sandbox.ask(group, admin, "/invitelink new Parcel card")
    assert refused["text"] == (
        "I can't create or revoke invite links here: give me the “Invite users via link” "
        "right, then try again."
    )
    listed = await sandbox.ask(group, admin, "/invitelink")
    assert listed["text"].startswith("No channels yet.")


async def test_the_console_shows_channels_and_writes_a_formula_like_name_as_text(
    sandbox: SandboxClient, web: str
) -> None:
    formula = "=1+2<b>x</b>"
    group, admin = await english_group(sandbox)
    made = await sandbox.ask(group, admin, f"/invitelink new {formula}")
    link = made["text"].splitlines()[0].rsplit(": ", 1)[1]
    await sandbox.join(group, await sandbox.create_user("Ann", None, "en"), link)
    await sandbox.settle()
    async with console_http() as http:
        await signed_in(http, web, admin)
        async with http.get(f"{web}/console/{group.id}/channels?lang=en") as answer:
            page = await answer.text()
        async with http.get(f"{web}/console/{group.id}/channels.csv?lang=en") as answer:
            rows = list(csv.reader(io.StringIO((await answer.read()).decode("utf-8-sig"))))
    assert "<b>=1+2&lt;b&gt;x&lt;/b&gt;</b>" in page
    assert link in page
    assert rows[0][:3] == ["Channel", "Revoked", "Joined"]
    assert rows[1][:3] == ["'" + formula, "", "1"]
    assert rows[2][0] == "Members' invite links"
