"""The console's orders page: the period's sales (the `/stats` figures, a chart a day, the
items that sold most), the latest orders with their item titles, refunds and points, the
buyers waiting for `/bind` (an admin binds one to a member here, as `/bind @user <nickname>`
does), and the disputed nicknames a member proved while another held them (moved here to the
claimant, or left with the holder). There is no queue of bind requests to approve: a member
binds with proof (an order's number and amount), so only a dispute needs an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiohttp import web

from services.bindings import BindStatus
from services.chats import ChatProfile
from services.members import find_member
from services.order_files import MAX_BUYER
from services.order_lists import (
    daily_sales,
    disputed_nicknames,
    latest_orders,
    top_items,
    waiting_buyers,
)
from services.sales import order_figures
from services.stats import day_bounds
from web.changes import note_change, said
from web.charts import bar_chart, daily_series
from web.console import DEFAULT_DAYS, PERIODS, ROUTE_CHAT, Console

DISPUTES = timedelta(days=30)  # how far back the page looks for disputed nicknames


class OrderPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        routes.add_get(f"/console/{ROUTE_CHAT}/orders", page(group(self.orders)))
        routes.add_post(f"/console/{ROUTE_CHAT}/orders/bind", page(group(self.bind)))

    async def orders(
        self,
        request: web.Request,
        group: ChatProfile,
        _user: int,
        *,
        status: int = 200,
        problem: str | None = None,
        asked: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        wanted = request.query.get("days", "")
        days = int(wanted) if wanted in {str(period) for period in PERIODS} else DEFAULT_DAYS
        before = request.query.get("before", "")
        last = self.site.domain.clock.today_in(group.timezone)
        first = last - timedelta(days=days - 1)
        start, end = day_bounds(first, last, group.timezone)
        assert start is not None
        assert end is not None
        async with self.site.pool() as db:
            sales = await order_figures(db, group.program_id, start, end)
            by_day = await daily_sales(db, group.program_id, start, end, group.timezone)
            items = await top_items(db, group.program_id, start, end)
            page = await latest_orders(
                db, group.program_id, int(before) if before.isascii() and before.isdigit() else None
            )
            waiting, waiting_total = await waiting_buyers(db, group.program_id)
            disputes = await disputed_nicknames(
                db, group.program_id, self.site.domain.clock.now() - DISPUTES
            )
        chart = bar_chart("sales", _("Sales (GMV) a day"), daily_series(first, days, by_day),
                          money=True)  # fmt: skip
        return self.site.render(
            request, "orders.html", status=status, group=group, days=days, periods=PERIODS,
            sales=sales, chart=chart, items=items, page=page, waiting=waiting,
            waiting_total=waiting_total, disputes=disputes, problem=problem, asked=asked or {},
            said=said(request, bind_outcomes()),
        )  # fmt: skip

    async def bind(self, request: web.Request, group: ChatProfile, user: int) -> web.StreamResponse:
        """Bind a nickname to a member (no proof: an admin's word, as `/bind @user`)."""
        form = await self.site.form(request)
        nickname = str(form.get("nickname", "")).strip()
        handle = str(form.get("member", "")).strip()
        asked = {"nickname": nickname, "member": handle}
        if not nickname or len(nickname) > MAX_BUYER or not nickname.isprintable():
            return await self.orders(request, group, user, status=400, asked=asked,
                                     problem=_("Give the shop nickname to bind."))  # fmt: skip
        # The page is shown again only after this transaction ends: SQLite's one connection.
        async with self.site.pool() as db, db.begin():
            member = await find_member(db, group.id, handle) if handle else None
            if member is not None:
                bound = await self.site.domain.bindings(db).bind(
                    group.program_id, member.user_id, nickname, by=user, rules=group.order_rules,
                    timezone=group.timezone, admin=True,
                )  # fmt: skip
        if member is None:
            problem = _("No member here is {member}: give their @username or id.").format(
                member=handle or "—"
            )
            return await self.orders(request, group, user, status=400, problem=problem,
                                     asked=asked)  # fmt: skip
        outcome = "already" if bound.status is BindStatus.ALREADY else "bound"
        note_change(request, "orders.bind", f"{nickname} → {member.user_id}: {outcome}",
                    member.user_id)  # fmt: skip
        raise web.HTTPSeeOther(
            f"/console/{group.id}/orders?said={outcome}&id={member.user_id}&n={bound.credited}"
        )


def bind_outcomes() -> dict[str, Callable[[int, int], str]]:
    return {
        "bound": lambda _id, n: ngettext(
            "Bound: {n} order is now the member's.", "Bound: {n} orders are now the member's.", n
        ).format(n=n),
        "already": lambda _id, _n: _("That nickname was the member's already."),
    }
