"""The morning sign-in burst, before and after ephemeral answers: group messages a minute.

40 members of one group say 签到 within a second. The production bot (`fanbot run`, a process
of its own) answers each against the sandbox, also a process, with Telegram's limits on (30/s
overall, 1/s per chat, 20 a minute per group). **Before**: the sandbox answers as a Bot API
server without ephemeral messages, so each answer is one of the group's messages and the 20 a
minute binds. **After**: each answer is an ephemeral message only its member sees. Printed:
the group's messages in the minute after the burst, the answers delivered in it, when the last
member got theirs, and the 429s drawn (target 0).

Run: `python -m bench.ephemeral` (SQLite files; takes about two minutes: the "before" run waits
out the group's limit, which is the point).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import migrations
from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN

MEMBERS = 40
ROOT = Path(__file__).resolve().parent.parent


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def start_sandbox(ephemeral: bool) -> tuple[subprocess.Popen[bytes], str]:
    url_file = Path(tempfile.mkdtemp(prefix="fanbot-bench-")) / "url"
    flags = [] if ephemeral else ["--no-ephemeral"]
    process = start([sys.executable, "-m", "sandbox", "--port", "0", "--url-file", str(url_file),
                     *flags])  # fmt: skip
    while not url_file.exists() or not url_file.read_text():
        time.sleep(0.05)
    return process, url_file.read_text()


async def burst(ephemeral: bool) -> dict[str, float]:
    sandbox, url = start_sandbox(ephemeral)
    database = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='fanbot-bench-')}/burst.db"
    await asyncio.to_thread(migrations.upgrade, database)
    env = {**os.environ, "BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_URL": url,
           "DATABASE_URL": database, "SCHEDULER_ENABLED": "false"}  # fmt: skip
    bot = start([sys.executable, "-m", "bot", "run"], env)
    client = SandboxClient(url)
    try:
        await client.wait_ready(90)
        await client.set_limits()  # Telegram's: 30/s, 1/s per chat, 20/min per group
        admin = await client.create_user("Ada", None, "en")
        members = [await client.create_user(f"Fan {n}", None, "en") for n in range(MEMBERS)]
        group = await client.create_group(creator=admin, members=members)
        await client.skip_past()
        began = time.time()
        await asyncio.gather(*(client.send(group, member, "签到") for member in members))
        answers = await client.wait_for(
            lambda e: e["kind"] in ("sent", "ephemeral") and e["chat_id"] == group.id,
            timeout=300,
            count=MEMBERS,
        )
        posted = [e for e in answers if e["kind"] == "sent"]
        return {
            "group messages, first minute": sum(e["time"] - began < 60 for e in posted),
            "answers, first minute": sum(e["time"] - began < 60 for e in answers),
            "last answer (s)": max(e["time"] for e in answers) - began,
            "429s": (await client.stats())["rejected_429"],
        }
    finally:
        await client.close()
        for process in (bot, sandbox):
            process.terminate()
            process.wait(20)


async def main() -> None:
    before = await burst(ephemeral=False)
    after = await burst(ephemeral=True)
    print(f"{MEMBERS} members say 签到 within a second; one group, Telegram's limits on")
    print("| figure | before (no ephemeral) | after (ephemeral) |\n|---|---|---|")
    for name in before:
        print(f"| {name} | {before[name]:,.0f} | {after[name]:,.0f} |")
    if before["429s"] or after["429s"]:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
