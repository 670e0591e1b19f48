"""Analytics through the sandbox: /stats (a chart as a photo, figures as its caption),
/segments and /segment, and /export (a CSV whose rows are the ledger's, sent privately to an
admin who started the bot, else in the group), with bad input."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from models import LedgerEntry, create_engine
from sandbox.client import SandboxClient
from tests.e2e.test_welcome import english_group
from tests.support.processes import BotProcess


async def test_stats_starts_with_no_data_then_sends_a_chart(sandbox: SandboxClient) -> None:
    group, admin = await english_group(sandbox)
    empty = await sandbox.ask(group, admin, "/stats")
    assert empty["text"] == (
        "📊 No data yet: figures start with the first messages, joins and sign-ins."
    )
    fans = [await sandbox.create_user(name, None, "en") for name in ("Bob", "Cat")]
    for fan in fans:
        await sandbox.set_member_status(group, fan, "member")
    for fan in fans:
        await sandbox.send(group, fan, "Good morning, tea lovers!")
    await sandbox.ask_for_sender(group, fans[0], "/checkin")
    await sandbox.settle()

    refused = await sandbox.ask_for_sender(group, fans[1], "/stats")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    usage = await sandbox.ask_for_sender(group, admin, "/stats 2w")
    assert usage["text"] == "Usage: /stats [7d|30d|90d] · more: /help stats"
    report = await sandbox.ask(group, admin, "/stats")
    assert report["method"] == "sendPhoto"
    lines = report["text"].splitlines()
    assert lines[0].startswith("📊 Tea Fans · last 7 days (")
    assert "➕ Joined: 2 (new)" in lines
    assert "💬 Messages a day: 0.3 (new)" in lines  # 2 messages over 7 days
    assert "🙋 Active members a day: 0.3 (new)" in lines
    assert any(line.startswith("✅ Sign-in rate: ") for line in lines)
    assert "➖ Left: 0" in lines  # nothing to compare
    assert "🪙 Points issued: 7 (new)" in lines  # the sign-in's 5, a point per greeting
    png = await sandbox.file(report["photo"])
    assert png.startswith(b"\x89PNG")
    month = await sandbox.ask(group, admin, "/stats 30d")
    assert month["text"].startswith("📊 Tea Fans · last 30 days (")


async def test_segments_and_an_export_that_matches_the_ledger(
    sandbox: SandboxClient, shared_bot: BotProcess
) -> None:
    group, admin = await english_group(sandbox)
    await sandbox.send_private(admin, "/start")  # now the bot may write to the admin
    await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == admin.id)
    bob = await sandbox.create_user("Bob", None, "en")
    await sandbox.set_member_status(group, bob, "member")
    await sandbox.ask_for_sender(group, bob, "/checkin")
    granted = await sandbox.ask(group, admin, f"/points {bob.id} +50 first order")
    assert "+50" in granted["text"]

    counts = await sandbox.ask(group, admin, "/segments")
    assert counts["text"].splitlines()[1:] == [
        "🌱 New (joined in the last 7 days): 1",
        "🔥 Active (wrote on 3 of the last 7 days): 0",
        "😴 Silent (nothing for 14 days): 0",
        "👑 Core (Gold tier or above): 0",
        "⭐ KOL candidates (replies received, topic posts, invites): 0",
        "💳 Paying (an order in the last 90 days): 0",
        "🕰 Lapsed buyers (no order for 90 days): 0",
        "See who: /segment kol (or new, active, silent, core, paying, lapsed)",
    ]
    new = await sandbox.ask(group, admin, "/segment new")
    assert new["text"].splitlines()[1].startswith("1. Bob · joined ")
    unknown = await sandbox.ask_for_sender(group, admin, "/segment vip")
    assert unknown["text"] == "Usage: /segment new|active|silent|core|kol|paying|lapsed"

    before = sandbox.cursor
    exported = await sandbox.ask(group, admin, "/export ledger")
    assert exported["text"] == "📄 Sent to you in private."
    (document,) = [  # sent before the reply that tells of it
        e for e in await sandbox.events(before) if e["kind"] == "sent" and e["chat_id"] == admin.id
    ]
    assert document["method"] == "sendDocument"
    assert document["text"].endswith(": 2 rows.")
    data = await sandbox.file(document["document"]["file_id"])
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(int(r["id"]), int(r["user_id"]), int(r["delta"]), r["reason"]) for r in rows] == (
        await ledger(shared_bot.env["DATABASE_URL"], group.id)
    )
    assert [row["name"] for row in rows] == ["Bob", "Bob"]


async def test_export_explains_bad_ranges_and_kinds(sandbox: SandboxClient) -> None:
    group, admin = await english_group(sandbox)
    bob = await sandbox.create_user("Bob", None, "en")
    await sandbox.set_member_status(group, bob, "member")
    usage = "/export members|ledger|checkins|draws|redemptions|orders [2026-11-01 2026-11-30]"
    answers = {
        "/export pets": f"Usage: {usage} · more: /help export",
        "/export ledger 2026-11-30 2026-11-01": "The last day comes before the first.",
        "/export ledger 2024-01-01 2026-11-01": "A range covers a year at most.",
        "/export ledger 2026-02-30": (
            f"Days are YYYY-MM-DD, such as 2026-11-01 2026-11-30. {usage} · /export commission"
        ),
        "/export draws": "Nothing to export for that range.",  # said in the group
    }
    await sandbox.ask_for_sender(group, bob, "/checkin")
    before = sandbox.cursor
    asked = await sandbox.ask(group, admin, "/export checkins")  # never started the bot
    assert asked["text"].startswith("🔒 An export holds members' data")
    (button,) = asked["reply_markup"]["inline_keyboard"][0]
    assert button["url"].startswith("https://t.me/")
    sent = [e for e in await sandbox.events(before) if e["kind"] == "sent"]
    assert [e["method"] for e in sent] == ["sendMessage"]  # no file, in the group or elsewhere
    await sandbox.send_private(admin, "/start")
    await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == admin.id)
    for command, answer in answers.items():
        assert (await sandbox.ask_any(group, admin, command))["text"] == answer
    before = sandbox.cursor
    await sandbox.ask(group, admin, "/export checkins")
    (private,) = [
        e for e in await sandbox.events(before) if e["kind"] == "sent" and e["chat_id"] == admin.id
    ]
    assert private["method"] == "sendDocument"
    assert private["text"].endswith(": 1 row.")
    rows = list(
        csv.reader(
            io.StringIO((await sandbox.file(private["document"]["file_id"])).decode("utf-8-sig"))
        )
    )
    assert rows[0][:3] == ["day", "time", "user_id"]
    assert (rows[1][2], rows[1][4], rows[1][5]) == (str(bob.id), "Bob", "1")
    refused = await sandbox.ask_for_sender(group, bob, "/export members")
    assert refused["text"] == "Sorry, only the group's admins can use this command."


async def ledger(database_url: str, chat_id: int) -> list[tuple[int, int, int, str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(LedgerEntry.id, LedgerEntry.user_id, LedgerEntry.delta, LedgerEntry.reason)
                .where(LedgerEntry.chat_id == chat_id)
                .order_by(LedgerEntry.id)
            )
            return [(row[0], row[1], row[2], row[3]) for row in rows]
    finally:
        await engine.dispose()
