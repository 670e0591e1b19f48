"""`make bench`: every hot-path workload, fanbot against bare aiogram in the same run, as one
table (issue 24's targets beside them); the audit of each run must come out clean.

Run: `make bench` (SQLite files) or `make bench DB=<PostgreSQL URL>` (each workload gets an
empty database of its own on that server).
"""

from __future__ import annotations

import asyncio
import sys

from bench import checkin, dispatch, draws, points
from bench.common import Row, fresh_database, print_table

WORKLOADS = (("dispatch", dispatch), ("points", points), ("checkin", checkin), ("draws", draws))


async def main(server: str | None) -> None:
    rows: list[Row] = []
    for name, workload in WORKLOADS:
        async with fresh_database(server, name) as url:
            rows += await workload.measure(url)
    print(f"database: {'PostgreSQL' if server else 'SQLite'}; audits clean")
    print_table(rows)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
