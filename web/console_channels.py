"""The console's Channels page (渠道活码): each of the group's channels (a named invite link,
made with `/invitelink new` in the group) with the members it brought, who stayed 7 and 30
days, signed in and bought, and their GMV; the same table as a CSV."""

from __future__ import annotations

import io
from urllib.parse import quote

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from services.channels import ChannelFigures, ChannelService
from services.chats import ChatProfile
from services.csvcells import SafeWriter
from services.exports import ENCODING
from views.channels import channel_rows
from web.console import ROUTE_CHAT, Console


class ChannelPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        routes.add_get(f"/console/{ROUTE_CHAT}/channels", page(group(self.channels)))
        routes.add_get(f"/console/{ROUTE_CHAT}/channels.csv", page(group(self.download)))

    async def _figures(
        self, group: ChatProfile
    ) -> tuple[list[tuple[str, str | None]], list[ChannelFigures]]:
        async with self.site.pool() as db:
            service = ChannelService(db, self.site.domain.clock)
            links = [(channel.name, None if channel.revoked_at else channel.link)
                     for channel, _joins in await service.of_group(group.id)]  # fmt: skip
            figures = await service.figures(group.id, group.program_id)
        return links, figures

    async def channels(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        links, figures = await self._figures(group)
        return self.site.render(
            request, "channels.html", group=group, figures=figures, links=dict(links)
        )

    async def download(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        _links, figures = await self._figures(group)
        out = io.StringIO()
        SafeWriter(out).writerows(channel_rows(figures))
        today = self.site.domain.clock.today_in(group.timezone)
        name = _("channels-{group}-{day}.csv").format(group=group.id, day=today)
        return web.Response(
            body=out.getvalue().encode(ENCODING),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                # RFC 6266: an ASCII name for old clients, the UTF-8 one (渠道-…) for the rest
                "Content-Disposition": f'attachment; filename="channels-{group.id}-{today}.csv"; '
                f"filename*=UTF-8''{quote(name)}",
            },
        )
