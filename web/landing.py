"""The page at the web's own address (`WEB_URL`, `/`): what fanbot is, in the reader's language,
and the way to the console. It shows nothing of any group: anyone may open it."""

from __future__ import annotations

from aiohttp import web

from web.site import Site


class Landing:
    def __init__(self, site: Site) -> None:
        self.site = site

    def register(self, app: web.Application) -> None:
        app.router.add_get("/", self.site.page(self.page))

    async def page(self, request: web.Request) -> web.StreamResponse:
        return self.site.render(request, "landing.html")
