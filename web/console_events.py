"""The console's Events page (线下活动): each of the group's events with its figures (signed
up, waiting, checked in, no-shows, attendance by tier, orders by attendees in the 30 days
after, as `/event stats` says them), and each event's sign-ups as a CSV (`/export attendees`)."""

from __future__ import annotations

from aiohttp import web

from services.chats import ChatProfile
from services.event_export import attendees_csv
from web.console import ROUTE_CHAT, Console


class EventPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        routes.add_get(f"/console/{ROUTE_CHAT}/events", page(group(self.events)))
        routes.add_get(
            f"/console/{ROUTE_CHAT}/events/{{event:\\d{{1,18}}}}.csv", page(group(self.download))
        )

    async def events(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        async with self.site.pool() as db:
            service = self.site.domain.events(db)
            figures = [
                await service.door.stats(event) for event in await service.of_group(group.id)
            ]
            ladder = await self.site.domain.tiers(db).ladder(group.program_id)
        names = {tier.key: tier.label(self.site.i18n.current_locale) for tier in ladder}
        return self.site.render(request, "events.html", group=group, figures=figures, tiers=names)

    async def download(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        event_id = int(request.match_info["event"])
        async with self.site.pool() as db:
            service = self.site.domain.events(db)
            event = await service.event(event_id, [group.id])
            if event is None:
                raise web.HTTPNotFound()
            rows = await service.door.attendees(event.id)
        return web.Response(
            body=attendees_csv(rows, group.timezone),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="event-{event.id}-attendees.csv"',
            },
        )
