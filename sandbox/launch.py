"""`fanbot sandbox`: try fanbot with no token. A local Bot API, the real bot with its web
console on a local port, and a terminal (`sandbox.repl`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from sandbox.cast import cast_of
from sandbox.repl import STATE, Terminal, load_state
from sandbox.server import DEFAULT_TOKEN, start_sandbox
from sandbox.world import WORLD

LOG = Path("sandbox-bot.log")
DATABASE = "sqlite+aiosqlite:///sandbox.db"
HOST = "127.0.0.1"  # the console is for this machine only


def free_port() -> int:
    """A port no program listens on now (the bot binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def bot_environment(api_url: str, web_port: int) -> dict[str, str]:
    """The bot's settings in the sandbox: the shell's, then its Bot API, its database (kept
    across sessions) and the web console on this machine. It runs in a folder of its own, so a
    production .env here (a webhook the sandbox would post updates to, a Redis, a database)
    is never read, and it polls."""
    inherited = {key: value for key, value in os.environ.items() if key != "WEBHOOK_URL"}
    code = str(Path(__file__).resolve().parents[1])  # the bot of this sandbox, wherever it runs
    return {
        **inherited,
        "PYTHONPATH": os.pathsep.join(filter(None, [code, os.environ.get("PYTHONPATH")])),
        "BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": absolute_sqlite(os.environ.get("DATABASE_URL", DATABASE)),
        "WEB_URL": f"http://{HOST}:{web_port}",
        "WEB_PORT": str(web_port),
        "WEBHOOK_HOST": HOST,
    }


def absolute_sqlite(url: str) -> str:
    """A SQLite file named from this folder, named in full: the bot runs in another."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return url
    return parsed.set(database=str(Path(name).resolve())).render_as_string(hide_password=False)


def last_line(path: Path) -> str:
    with contextlib.suppress(OSError):
        lines = path.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""
    return ""


async def main(port: int = 0, web_port: int | None = None) -> int:
    runner, url = await start_sandbox(port=port)
    world = runner.app[WORLD]
    state = load_state()
    world.resume(state)
    group, cast = cast_of(world, state)
    env = bot_environment(url, web_port or free_port())
    data = os.environ.get("DATABASE_URL", "sandbox.db")
    print(f"sandbox Bot API at {url}; the bot logs to {LOG}; its data goes to {data}")
    print(f"web console at {env['WEB_URL']}/console (sign in: /private, then /console)")
    log_file = await asyncio.to_thread(LOG.open, "a")
    with log_file, tempfile.TemporaryDirectory(prefix="fanbot-sandbox-") as elsewhere:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=elsewhere, stdout=log_file,
            stderr=log_file,
        )  # fmt: skip
        print("starting the bot (a few seconds)...")
        exited = asyncio.create_task(bot.wait())
        polling = asyncio.create_task(world.wait_for_event("polling"))
        await asyncio.wait({exited, polling}, return_when=asyncio.FIRST_COMPLETED)
        polling.cancel()
        started = bot.returncode is None
        try:
            if started:
                await Terminal(world, group, cast, STATE).run()
            else:
                reason = last_line(LOG)
                if "WEB_PORT" in reason:  # the sandbox sets it: say how to choose another
                    reason += " (fanbot sandbox --web-port <port>)"
                print(f"the bot stopped: {reason}; more in {LOG}")
        except (EOFError, KeyboardInterrupt):
            pass
        finally:
            with contextlib.suppress(ProcessLookupError):
                bot.terminate()
            await bot.wait()
            await runner.cleanup()
    return 0 if started else 1
