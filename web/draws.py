"""The public page of a draw, `/d/<group>/<draw>`: what anyone needs to check its winners,
and a button that checks them in the browser (web/static/verify.js) with WebCrypto."""

from __future__ import annotations

import hashlib

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from models import Draw
from services.draws import DrawNotFound
from services.erasure import erased_among
from services.members import display_names
from web.site import Site


def entrant_list(entrants: list[int]) -> bytes:
    """The published entrant list: user ids ascending, one a line. Its SHA-256 is on the page."""
    return "".join(f"{user_id}\n" for user_id in sorted(entrants)).encode()


class DrawPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def register(self, app: web.Application) -> None:
        route = r"/d/{chat:-?\d{1,18}}/{draw:\d{1,18}}"  # ids the database can hold
        app.router.add_get(route, self.site.page(self.page))
        app.router.add_get(route + "/entrants.txt", self.site.page(self.entrants))

    async def _draw(self, request: web.Request) -> tuple[Draw, list[int], dict[int, str]]:
        """The draw in the address, if it is that group's; once ended, its entrants (sorted)
        and its winners' names."""
        chat_id, draw_id = int(request.match_info["chat"]), int(request.match_info["draw"])
        async with self.site.pool() as db:
            service = self.site.domain.draws(db)
            try:
                draw = await service.get(chat_id, draw_id)
            except DrawNotFound:
                raise web.HTTPNotFound(text=_("There is no such draw.")) from None
            if draw.status != "ended":
                return draw, [], {}
            entrants = await service.entrants(draw.id)
            names = await display_names(db, chat_id, draw.winner_ids)
            program_id = await self.site.domain.programs(db).program_of(chat_id)
            for erased in await erased_among(db, draw.winner_ids, program_id):
                names[erased] = _("erased member")  # the id stays: the proof needs it
            return draw, entrants, names

    async def page(self, request: web.Request) -> web.StreamResponse:
        draw, entrants, names = await self._draw(request)
        async with self.site.pool() as db:
            # The group by its title, and its clock for the end time (its members read both).
            group = await self.site.domain.chats(db).profile(draw.chat_id)
        title = group.title if group is not None else ""
        timezone = group.timezone if group is not None else self.site.settings.default_timezone
        ended = draw.status == "ended"
        winner_ids = list(draw.winner_ids) if ended else []
        published = {
            "seed": draw.seed if ended else None,
            "commitment": draw.commitment,
            "winners": draw.winners,
            "rerolls": draw.rerolls,
            "winner_ids": winner_ids,
            "entrants_sha256": hashlib.sha256(entrant_list(entrants)).hexdigest(),
        }
        return self.site.render(
            request, "draw.html", draw=draw, ended=ended, entrants=len(entrants),
            published=published, group_title=title, timezone=timezone,
            winners=[(user_id, names.get(user_id, "")) for user_id in winner_ids],
        )  # fmt: skip

    async def entrants(self, request: web.Request) -> web.StreamResponse:
        draw, entrants, _names = await self._draw(request)
        if draw.status != "ended":
            raise web.HTTPNotFound(text=_("The entrant list is published when the draw ends."))
        return web.Response(
            body=entrant_list(entrants), content_type="text/plain", charset="utf-8",
            headers={"Content-Disposition": f'inline; filename="draw-{draw.id}-entrants.txt"',
                     "Cache-Control": "public, max-age=3600"},
        )  # fmt: skip
