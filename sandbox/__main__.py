"""`python -m sandbox`: the Bot API emulator on its own, for tests and local experiments."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from sandbox.server import DEFAULT_TOKEN, start_sandbox


async def serve(
    host: str, port: int, token: str, port_file: Path | None, ephemeral: bool = True
) -> None:
    runner, url = await start_sandbox(host, port, token, ephemeral)
    if port_file is not None:
        await asyncio.to_thread(port_file.write_text, url)
    print(f"sandbox Bot API at {url}/bot<token>/<method>, control API at {url}/control", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)  # not 8081, WEB_PORT's default
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--url-file", type=Path, help="write the base URL here once listening")
    parser.add_argument(
        "--no-ephemeral",
        action="store_true",
        help="answer as a Bot API server before 10.2: no ephemeral messages",
    )
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.token, args.url_file, not args.no_ephemeral))


if __name__ == "__main__":
    main()
