"""`/export attendees <id>`: an event's sign-ups as CSV, every cell through `SafeWriter`."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from models import EventSeat, Member
from services.csvcells import SafeWriter
from services.exports import ENCODING

HEADERS = (
    "position", "user_id", "username", "name", "status", "seats", "paid", "code",
    "checked_in_at", "no_show", "signed_up_at",
)  # fmt: skip


def attendees_csv(rows: Sequence[tuple[EventSeat, Member | None]], timezone: str) -> bytes:
    zone = ZoneInfo(timezone)

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    out = io.StringIO(newline="")
    writer = SafeWriter(out)
    writer.writerow(HEADERS)
    for seat, member in rows:
        writer.writerow(
            (
                seat.position, seat.user_id, member.username if member else "",
                member.display_name if member else "", seat.status, seat.seats, seat.paid,
                seat.code, local(seat.checked_in_at), int(seat.no_show), local(seat.created_at),
            )
        )  # fmt: skip
    return out.getvalue().encode(ENCODING)
