"""A/B: `make bench`'s workloads on this checkout and on an older commit, alternated in one run.

Run: `python -m bench.ab <commit> [rounds] [PostgreSQL URL]`. The older commit is checked out
into a temporary git worktree (removed afterwards) and each side runs its own `bench.all` in a
process of its own, old and new in turn, `rounds` times (2 by default): the machines are noisy,
so only figures taken minutes apart in the same run compare. Prints each workload's fanbot/s and
ratio to bare aiogram, new · old, per round.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One line of bench.common.print_table: | workload | bare/s | fanbot/s | ratio | target |
ROW = re.compile(
    r"^\| (?P<workload>.+?) +\| +[\d,]+ \| +(?P<fanbot>[\d,]+) \| +(?P<ratio>[\d.]+) \|"
)


def run_all(checkout: Path, server: str | None) -> dict[str, tuple[str, str]]:
    """One `bench.all` in `checkout`: {workload: (fanbot/s, ratio)}."""
    command = [sys.executable, "-m", "bench.all", *([server] if server else [])]
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench.all failed in {checkout}:\n{done.stdout}\n{done.stderr}")
    rows = (ROW.match(line) for line in done.stdout.splitlines())
    return {m["workload"]: (m["fanbot"], m["ratio"]) for m in rows if m}


def main(old: str, rounds: int, server: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="fanbot-ab-") as scratch:
        before = Path(scratch) / "old"
        add = ["git", "worktree", "add", "--quiet", "--detach", str(before), old]
        subprocess.run(add, cwd=ROOT, check=True)
        try:
            figures: dict[str, list[str]] = defaultdict(list)
            for round_ in range(1, rounds + 1):
                new_rows = run_all(ROOT, server)
                old_rows = run_all(before, server)
                for workload, (rate, ratio) in new_rows.items():
                    old_rate, old_ratio = old_rows.get(workload, ("—", "—"))
                    figures[workload].append(f"{rate} ({ratio}) · {old_rate} ({old_ratio})")
                print(f"round {round_} of {rounds} done", file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT)
    print(f"fanbot/s (ratio to bare aiogram), this checkout · {old}")
    print("| workload | " + " | ".join(f"round {n}" for n in range(1, rounds + 1)) + " |")
    print("|---|" + "---|" * rounds)
    for workload, cells in figures.items():
        print(f"| {workload} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit("usage: python -m bench.ab <commit> [rounds] [PostgreSQL URL]")
    main(args[0], int(args[1]) if len(args) > 1 else 2, args[2] if len(args) > 2 else None)
