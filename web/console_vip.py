"""The console's Paid membership page (付费会员, issue 38): the program's plans with their links,
active members by plan, and this month's new, renewed, lapsed and refunded memberships and
Stars; the VIP rooms and who may come in."""

from __future__ import annotations

from aiohttp import web

from services.chats import ChatProfile
from services.clock import local_day, start_of
from services.vip_rules import Rule
from views.vip import rule_text
from web.console import ROUTE_CHAT, Console


class VipPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group = self.site.page, self.console.group_page
        app.router.add_get(f"/console/{ROUTE_CHAT}/vip", page(group(self.vip)))

    async def vip(self, request: web.Request, group: ChatProfile, _user: int) -> web.StreamResponse:
        domain, program = self.site.domain, group.program_id
        today = local_day(domain.clock.now(), group.timezone)
        language = self.site.i18n.current_locale
        async with self.site.pool() as db:
            vip, rooms = domain.vip(db), domain.vip_rooms(db)
            plans = await vip.plans(program)
            figures = await vip.figures(program, start_of(today.replace(day=1), group.timezone))
            found = await rooms.rooms(program)
            titles = await vip.titles([room.chat_id for room in found])
            ladder = await domain.tiers(db).ladder(program)
        listed = [
            (titles.get(room.chat_id, str(room.chat_id)),
             rule_text(Rule.stored(room.rule), ladder, language), room)
            for room in found
        ]  # fmt: skip
        return self.site.render(
            request, "vip.html", group=group, plans=plans, figures=figures, rooms=listed,
            month=today.strftime("%Y-%m"),
        )  # fmt: skip
