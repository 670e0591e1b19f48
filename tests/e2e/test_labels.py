"""Labels and notes (客户标签) through the sandbox: an admin labels two members and `/push
tag:…` reaches only them; a member cannot label; a note reaches the admin privately and
never the group (its command is deleted), and the member's /me shows neither."""

from __future__ import annotations

from sandbox.client import SandboxClient
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import press, start_privately

REFUSAL = "Sorry, only the group's admins can use this command."


async def test_a_label_push_reaches_only_the_labelled_members(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo, dan) = await fan_group(sandbox, "Bob", "Cleo", "Dan")
    for fan in (bob, cleo, dan):
        await sandbox.send(group, fan, "hi")
        await start_privately(sandbox, fan)
    refused = await sandbox.ask_for_sender(group, bob, "/tag @dan_fan 高潜")
    assert refused["text"] == REFUSAL
    await sandbox.settle()  # the member's message handled first
    tagged = await sandbox.ask_for_sender(group, admin, "/tag @bob_fan 高潜 复购")
    assert tagged["text"] == "🏷 Bob: labelled 高潜, 复购."
    said = await sandbox.send(group, cleo, "what's new?")
    replied = await sandbox.send(group, admin, "/tag #高潜", reply_to=said["message"]["message_id"])
    answer = await sandbox.answer_to_sender(group.id, admin, replied["message"]["message_id"])
    assert answer["text"] == "🏷 Cleo: labelled 高潜."
    listed = await sandbox.ask_for_sender(group, admin, "/tags")
    assert listed["text"].splitlines() == ["🏷 2 labels:", "高潜 · 2 members", "复购 · 1 member"]

    asked = await sandbox.ask(group, admin, "/push tag:高潜 新品上架")
    assert asked["text"].splitlines()[0] == (
        "📣 Push to label 高潜: 2 members will get it privately."
    )
    before = sandbox.cursor
    toast, _edited = await press(sandbox, group, asked, admin, "✅ Send to 2")
    assert toast == "Sent."
    sandbox.cursor = before
    copies = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and "新品上架" in e["text"] and e["chat_id"] > 0, count=2
    )
    assert sorted(e["chat_id"] for e in copies) == sorted([bob.id, cleo.id])
    # Dan carries no label: the push (counted 2 above) has no copy for him.
    since = await sandbox.events(before)
    assert not [e for e in since if e["kind"] == "sent" and e["chat_id"] == dan.id]


async def test_a_note_reaches_the_admin_privately_and_never_the_group(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.send(group, bob, "hi")
    before = sandbox.cursor
    await sandbox.settle()  # the member's message handled first
    saved = await sandbox.ask_for_sender(group, admin, "/note @bob_fan prefers green tea")
    assert saved["text"].splitlines()[0] == "📝 Note on Bob saved; only admins read notes."
    assert saved["text"].splitlines()[1].startswith("🔒 Notes are for admins only")
    shown = await sandbox.ask_for_sender(group, admin, "/tags @bob_fan")
    assert shown["text"].splitlines()[0] == "🏷 Bob has no labels."
    assert shown["text"].splitlines()[1].startswith("🔒 Notes are for admins only")

    await start_privately(sandbox, admin)
    asked = sandbox.cursor
    shown = await sandbox.ask_for_sender(group, admin, "/tags @bob_fan")
    assert shown["text"].splitlines()[1] == "📝 1 note: sent to you in private."
    (private,) = [  # sent before the answer saying so
        e for e in await sandbox.events(asked)
        if e["kind"] == "sent" and e["chat_id"] == admin.id and "green tea" in e["text"]
    ]  # fmt: skip
    assert private["text"].splitlines()[0] == "📝 1 note on Bob, newest first:"

    me = await sandbox.ask_for_sender(group, bob, "/me")
    assert "green tea" not in me["text"]
    since = await sandbox.events(before)
    assert [e for e in since if e["kind"] == "deleted" and e["chat_id"] == group.id]
    for member in (bob, cleo):  # the command was deleted, and no answer names the note
        seen = await sandbox.seen_by(group, member)
        assert not [m for m in seen if "green tea" in str(m.get("text"))], member
    group_sends = [e for e in since if e["kind"] == "sent" and e["chat_id"] == group.id]
    assert not [e for e in group_sends if "green tea" in e["text"]]
