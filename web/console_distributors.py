"""The console's Distributors page (分销): each distributor's rate, orders, GMV and commission
(pending, payable, paid) as a leaderboard, and the commission ledger as a CSV."""

from __future__ import annotations

from aiohttp import web

from services.chats import ChatProfile
from services.commission_figures import commission_csv, figures
from services.distributors import DistributorService
from web.console import ROUTE_CHAT, Console


class DistributorPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        routes.add_get(f"/console/{ROUTE_CHAT}/distributors", page(group(self.distributors)))
        routes.add_get(f"/console/{ROUTE_CHAT}/commission.csv", page(group(self.download)))

    async def distributors(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        async with self.site.pool() as db:
            board = await figures(db, group.program_id)
            rows = await DistributorService(db, self.site.domain.clock).all(group.program_id)
        rates = {row.user_id: f"{row.rate_bp / 100:g}%" for row in rows}
        return self.site.render(
            request, "distributors.html", group=group, figures=board, rates=rates
        )

    async def download(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        async with self.site.pool() as db:
            data = await commission_csv(  # the group's language, as the console's exports
                db, group.program_id, group.timezone, group.language or request["language"]
            )
        today = self.site.domain.clock.today_in(group.timezone)
        return web.Response(
            body=data,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="commission-{group.id}-{today}.csv"',
            },
        )
