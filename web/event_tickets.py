"""Event tickets in the Mini App (`/app/tickets`): a member's tickets, each a QR code of a
signed token and its short code; and the door for staff (the event group's admins and the
program's console staff), who scan a ticket with Telegram's QR scanner (`showScanQrPopup`) or
type its code. Every call carries initData, as the member centre's do (`web/miniapp.py`).

The QR code holds `<signed token>`, signed with the "ticket" key (`web/auth.py`'s `Signer`,
expiring when the event ends) over the event and the code: a scanned token that does not
verify is refused as forged; the seat's `checked_in_at` makes a ticket single use."""

from __future__ import annotations

from typing import Any

import segno
from aiogram.utils.i18n import gettext as _
from aiohttp import web

from models import Event
from services.event_door import Ticket
from services.event_rules import EventRules
from services.untrusted import json_id
from views.events import check_in_text, when
from web.auth import Signer
from web.miniapp import MiniApp
from web.site import MINI_APP_POLICY, Site, plain

TICKET_PURPOSE = "ticket"
MAX_SCANNED = 512


def ticket_labels() -> dict[str, str]:
    return {
        "title": _("My tickets"), "none": _("You have no tickets for upcoming events."),
        "door": _("The door"), "scan": _("Scan a ticket"), "code": _("Ticket code"),
        "check": _("Check in"), "scan_text": _("Point the camera at the ticket's QR code"),
    }  # fmt: skip


class EventTickets:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.calls = MiniApp(site)  # its initData check, body limit and language
        self.signer = Signer(site.settings.bot_token.get_secret_value(), TICKET_PURPOSE)

    def register(self, app: web.Application) -> None:
        app.router.add_get("/app/tickets", self.site.page(self.shell, policy=MINI_APP_POLICY))
        app.router.add_post("/app/api/tickets", self.calls.api(self.tickets))
        app.router.add_post("/app/api/door", self.calls.api(self.door))

    async def shell(self, request: web.Request) -> web.StreamResponse:
        return self.site.render(request, "tickets.html", labels=ticket_labels())

    def token(self, ticket: Ticket) -> str:
        expires = int(ticket.event.ends_at.timestamp())
        return self.signer.sign([str(expires), str(ticket.event.id), ticket.seat.code])

    def code_of(self, scanned: str) -> tuple[str, int | None] | None:
        """The (code, event) a scanned token names, None if forged or expired; a typed code
        (short, no dot) as it is."""
        if "." not in scanned:
            return scanned, None
        fields = self.signer.unsign(scanned, self.site.domain.clock.now().timestamp())
        if fields is None or len(fields) != 3 or not fields[1].isdigit():
            return None
        return fields[2], int(fields[1])

    async def _zone(self, chat_id: int) -> str:
        async with self.site.pool() as db:
            profile = await self.site.domain.chats(db).profile(chat_id)
        return profile.timezone if profile else "UTC"

    async def tickets(self, user: Any, body: dict[str, Any]) -> web.StreamResponse:
        """The member's tickets, and the events they may check in for (staff)."""
        async with self.site.pool() as db:
            events = self.site.domain.events(db)
            held = await events.door.tickets(user.id)
            staff_of = await self.site.domain.staff(db).programs_of(user.id)
            upcoming = await events.door.doors_open(user.id, list(staff_of))
        shown = []
        for ticket in held:
            zone = await self._zone(ticket.event.chat_id)
            token = self.token(ticket)
            qr = segno.make(token, error="m").svg_data_uri(scale=5, border=2)
            shown.append({
                "event": ticket.event.id, "title": ticket.event.title,
                "when": f"{when(ticket.event.starts_at, zone)} ({zone})",
                "place": ticket.event.place or "", "code": ticket.seat.code, "qr": qr,
                "token": token,
                "used": ticket.seat.checked_in_at is not None,
            })  # fmt: skip
        doors = [
            {"id": event.id, "title": f"#{event.id} {event.title}"}
            for event in upcoming
            if await self._staff(user.id, event)
        ]
        return web.json_response(
            {"ok": True, "labels": ticket_labels(), "tickets": shown, "doors": doors}
        )

    async def _staff(self, user_id: int, event: Event) -> bool:
        async with self.site.pool() as db:
            access = await self.site.access.access(db, user_id, event.chat_id, event.program_id)
        return access is not None

    async def door(self, user: Any, body: dict[str, Any]) -> web.StreamResponse:
        """A scan or a typed code at the door of the event the staff chose."""
        event_id, scanned = json_id(body.get("event")), body.get("scanned")
        if event_id is None or not isinstance(scanned, str) or not 0 < len(scanned) < MAX_SCANNED:
            return web.json_response({"ok": False, "error": "event and scanned are needed"},
                                     status=400)  # fmt: skip
        async with self.site.pool() as db:
            event = await self.site.domain.events(db).event(event_id)
        if event is None or not await self._staff(user.id, event):
            return web.json_response({"ok": False, "error": "not staff of that event"},
                                     status=403)  # fmt: skip
        zone = await self._zone(event.chat_id)
        named = self.code_of(scanned.strip())
        if named is None:
            return web.json_response({"ok": False, "text": _("❌ That QR code is not a ticket.")})
        code, _signed_for = named
        async with self.site.pool() as db, db.begin():
            group = await self.site.domain.chats(db).profile(event.chat_id)
            attend = group.rules(EventRules).attend if group else 0
            done = await self.site.domain.events(db).door.check_in(code, user.id, attend, event_id)
        ok = done.outcome == "checked_in"
        return web.json_response({"ok": ok, "text": plain(check_in_text(done, zone))})
