"""接龙 through the sandbox: thirty members put their names down at once with Telegram's limits
on, the post keeps up in paced edits, changes and cancels count, and at the end the admin gets
the list privately as a CSV that adds up and is safe to open in Excel."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time

from sandbox.client import Event, Group, SandboxClient, User
from services.paced_edits import COUNT_EDIT_EVERY as EDIT_EVERY
from tests.e2e.test_shop import start_privately

FORMULA = '=HYPERLINK("http://evil.example/","x")'


def buttons(post: Event) -> dict[str, str]:
    return {
        b["text"]: b["callback_data"]
        for row in post["reply_markup"]["inline_keyboard"]
        for b in row
    }


async def open_list(sandbox: SandboxClient, group: Group, admin: User, args: str) -> Event:
    await sandbox.send(group, admin, f"/jielong {args}")
    (post,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "接龙 #" in e["text"]
    )
    return post


async def test_thirty_members_at_once_then_the_csv(sandbox: SandboxClient) -> None:
    admin = await sandbox.create_user("Ada", "ada_admin", "en")
    fans = [await sandbox.create_user(f"Fan{n}", None, "en") for n in range(29)]
    fans.append(await sandbox.create_user(FORMULA, None, "en"))
    group = await sandbox.create_group(creator=admin, members=fans)
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.send(group, fans[-1], "hi")  # the bot knows this one's name
    await start_privately(sandbox, admin)
    post = await open_list(sandbox, group, admin, "T恤 price=29.9 options=S|M|L limit=100")
    jielong_id = int(re.search(r"接龙 #(\d+)", post["text"])[1])  # type: ignore[index]
    keys = buttons(post)
    assert list(keys) == ["+1 S", "+1 M", "+1 L", "−1", "取消 / Cancel"]
    sizes = ["+1 S", "+1 M", "+1 L"]

    await sandbox.set_limits(enabled=True)
    try:
        before, started = sandbox.cursor, time.monotonic()
        await asyncio.gather(
            *(
                sandbox.press(group.id, post["message_id"], fan, keys[sizes[n % 3]])
                for n, fan in enumerate(fans)
            )
        )
        toasts = await sandbox.wait_for(lambda e: e["kind"] == "answered", 60, len(fans))
        assert all(t["text"].startswith("You're down for") for t in toasts)
        # Fan0 takes a second S, Fan1 takes its M back, Fan2 cancels: 30 + 1 - 1 - 1 = 29
        for fan, key, toast in (
            (fans[0], "+1 S", "You're down for S ×2."),
            (fans[1], "−1", "You're not on this list."),
            (fans[2], "取消 / Cancel", "You're not on this list."),
        ):
            await sandbox.press(group.id, post["message_id"], fan, keys[key])
            (answered,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
            assert answered["text"] == toast
        deadline = time.monotonic() + EDIT_EVERY + 10
        while True:
            edits = [e for e in await sandbox.events(before) if e["kind"] == "edited"]
            if (edits and "Total: 29 pieces" in edits[-1]["text"]) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert "Total: 29 pieces · ¥867.10" in edits[-1]["text"], edits[-1]["text"]
        # paced: one edit per EDIT_EVERY seconds at most, however fast the presses came
        assert len(edits) <= (time.monotonic() - started) / EDIT_EVERY + 1
        assert (await sandbox.stats())["rejected_429"] == 0
    finally:
        await sandbox.set_limits(enabled=False)

    ended = sandbox.cursor
    await sandbox.send(group, admin, f"/jielong end {jielong_id}")
    (document,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == admin.id and bool(e.get("document"))
    )
    assert document["text"] == f"接龙 #{jielong_id} T恤: 28 members, 29 pieces."
    content = (await sandbox.file(document["document"]["file_id"])).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert rows[0] == ["user_id", "name", "username", "option", "quantity", "amount", "updated_utc"]
    lines = {int(row[0]): row for row in rows[1:-1]}
    assert len(lines) == 28
    assert lines[fans[0].id][3:6] == ["S", "2", "59.80"]
    assert fans[1].id not in lines
    assert fans[2].id not in lines
    assert lines[fans[-1].id][1] == "'" + FORMULA  # never a live formula
    assert rows[-1][3:6] == ["total", "29", "867.10"]
    sandbox.cursor = ended  # the summary and the last edit may come before the CSV
    (summary,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "closed" in e["text"]
    )
    assert summary["text"].splitlines()[0] == (
        f"📝 接龙 #{jielong_id} closed: 28 members, 29 pieces. Total ¥867.10."
    )
    sandbox.cursor = ended
    (closed,) = await sandbox.wait_for(
        lambda e: e["kind"] == "edited" and "Closed." in (e["text"] or "")
    )
    assert not closed.get("reply_markup")
    again = await sandbox.ask_for_sender(group, admin, f"/jielong end {jielong_id}")
    assert again["text"] == f"接龙 #{jielong_id} has already ended."
