"""The operator console: log in (Login Widget or a /console link), the groups one administers
(or is staff of), a group's overview, members, a member, settings and CSV downloads.

Every group page asks, on every request, whether the session's user may see that group now
(`infrastructure/console_access.py`: an admin by Telegram through the admin cache, else staff
or owner of its program): a session names a user, never the groups they may see. Every POST
of a group page is a change: refused to read-only staff, and logged with who made it.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import gettext as _
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.chat_cache import ChatCache
from models import DAY_COUNTERS, Chat, DailyStats
from scheduler.core import Scheduler
from services.boosts import BoostRules, set_boost_points
from services.cadence_rules import CADENCE_PARTS, set_cadence
from services.chat_settings import BadSetting
from services.chats import ChatProfile, ChatService, UnknownLanguage, UnknownTimezone
from services.checkin_rules import CheckinRules, set_checkin_rule
from services.console import ConsoleService, MemberQuery
from services.export_columns import file_name
from services.exports import ENCODING, ExportKind, write_csv
from services.message_rules import MessageRules, set_points_rule
from services.order_lists import member_orders
from services.reactions import ReactionRules, set_reaction_rules
from services.referral_rules import ReferralRules, set_referral_reward
from services.sales import order_figures
from services.staff import StaffService
from services.stats import DEFAULT_PERIOD as STATS_DEFAULT
from services.stats import PERIODS as STATS_PERIODS
from services.stats import Segment, StatsService, Totals, change_pct, day_bounds
from views.labels import console_outcomes
from web.auth import login_widget_user
from web.changes import CHANGE, NO_CHANGE, Change, note_change, note_no_change, said
from web.charts import bar_chart, daily_series
from web.site import Site

PERIODS = tuple(STATS_PERIODS.values())
DEFAULT_DAYS = STATS_PERIODS[STATS_DEFAULT]  # the period /stats shows when none is asked
CHARTS = ("messages", "active_members", "checkins", "joins", "referral_joins", "points_issued",
          "points_spent")  # fmt: skip
ROUTE_CHAT = r"{chat:-?\d{1,18}}"  # 18 digits: a group id the database can hold
CHUNK = 256 * 1024

GroupPage = Callable[[web.Request, ChatProfile, int], Awaitable[web.StreamResponse]]


class Console:
    def __init__(self, site: Site, chat_cache: ChatCache, scheduler: Scheduler) -> None:
        self.site = site
        self.session_pool = site.pool
        self.domain = site.domain
        self.clock = site.domain.clock
        self.chat_cache = chat_cache
        self.scheduler = scheduler

    def register(self, app: web.Application) -> None:
        page, group = self.site.page, self.group_page
        routes = app.router
        routes.add_get("/console", page(self.home))
        routes.add_get("/console/login/telegram", page(self.widget_login))
        routes.add_get("/console/link/{token}", page(self.link_page))
        routes.add_post("/console/link/{token}", page(self.link_login))
        routes.add_post("/console/logout", page(self.logout))
        routes.add_get(f"/console/{ROUTE_CHAT}", page(group(self.overview)))
        routes.add_get(f"/console/{ROUTE_CHAT}/members", page(group(self.members)))
        routes.add_get(f"/console/{ROUTE_CHAT}/members/{{user:\\d{{1,18}}}}",
                       page(group(self.member)))  # fmt: skip
        routes.add_get(f"/console/{ROUTE_CHAT}/settings", page(group(self.settings)))
        routes.add_post(f"/console/{ROUTE_CHAT}/settings", page(group(self.save_settings)))
        routes.add_get(f"/console/{ROUTE_CHAT}/export/{{kind:[a-z]+}}.csv",
                       page(group(self.export)))  # fmt: skip

    # -- logging in -------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.StreamResponse:
        session = self.site.session(request)
        if session is None:
            me = await self.site.bot.me()
            widget_url = self.site.url("/console/login/telegram")
            return self.site.render(
                request, "login.html", bot_username=me.username, widget_url=widget_url
            )
        user = session.user_id
        async with self.session_pool() as db:
            groups = await ConsoleService(db, self.clock).groups()
            staff = StaffService(db, self.clock)
            roles: dict[int, str] = await staff.programs_of(user)
            roles |= dict.fromkeys(await staff.owned_programs(user), "owner")
        # (group, None) for a group one administers; else the staff role (or owner) its
        # program gave
        mine: list[tuple[Chat, str | None]] = []
        for chat in groups:
            if await self.site.is_admin(user, chat.id):
                mine.append((chat, None))
            elif (chat.program_id or chat.id) in roles:
                mine.append((chat, roles[chat.program_id or chat.id]))
        return self.site.render(request, "groups.html", groups=mine)

    async def widget_login(self, request: web.Request) -> web.StreamResponse:
        if not await self.site.login_allowed(request):
            raise web.HTTPTooManyRequests(text=_("Too many tries: wait a minute."))
        token = self.site.settings.bot_token.get_secret_value()
        user_id = login_widget_user(dict(request.query), token, time.time())
        if user_id is None:
            raise web.HTTPForbidden(text=_("Telegram's login could not be checked; try again."))
        response = web.HTTPSeeOther("/console")
        self.site.log_in(response, user_id)
        return response

    async def link_page(self, request: web.Request) -> web.StreamResponse:
        """A GET only shows the button: link previews and scanners fetch links, and must not
        spend the one use."""
        if self.site.keys.read_link(request.match_info["token"], time.time()) is None:
            raise web.HTTPForbidden(text=_("This link has expired: send /console to the bot "
                                           "for a new one."))  # fmt: skip
        return self.site.render(request, "link.html")

    async def link_login(self, request: web.Request) -> web.StreamResponse:
        # Another site's page must not log a browser in as someone else (login CSRF).
        self.site.check_origin(request)
        if not await self.site.login_allowed(request):
            raise web.HTTPTooManyRequests(text=_("Too many tries: wait a minute."))
        found = self.site.keys.read_link(request.match_info["token"], time.time())
        if found is None:
            raise web.HTTPForbidden(text=_("This link has expired: send /console to the bot "
                                           "for a new one."))  # fmt: skip
        user_id, nonce = found
        async with self.session_pool() as db, db.begin():
            first_use = await ConsoleService(db, self.clock).use_login_link(nonce, user_id)
        if not first_use:
            raise web.HTTPForbidden(text=_("This link was used already: send /console to the "
                                           "bot for a new one."))  # fmt: skip
        response = web.HTTPSeeOther("/console")
        self.site.log_in(response, user_id)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session = self.site.session(request)
        if session is not None:
            self.site.check_form(request, await self.site.fields(request), session)
        response = web.HTTPSeeOther("/console")
        self.site.log_out(response)
        return response

    # -- a group's pages --------------------------------------------------------------------

    def group_page(
        self, handler: GroupPage
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Only for a session whose user administers the group in the address, or is staff
        (or owner) of its program, now: asked on every request, so a revoke counts at once. A
        POST changes something: refused to read-only staff, and logged once it succeeded."""

        async def checked(request: web.Request) -> web.StreamResponse:
            session = self.site.session(request)
            if session is None:
                raise web.HTTPSeeOther("/console")
            chat_id = int(request.match_info["chat"])
            profile = await self._profile(chat_id)
            access = None
            if profile is not None:
                async with self.session_pool() as db:
                    access = await self.site.access.access(
                        db, session.user_id, chat_id, profile.program_id
                    )
            if profile is None or access is None:
                # The same answer for a group that does not exist: ids are not confirmed.
                raise web.HTTPNotFound(text=_("No group of yours has this address."))
            request["group"] = profile
            request["session"] = session  # checked once: the page renders with it
            request["access"] = access
            if request.method != "POST":
                return await handler(request, profile, session.user_id)
            if not access.may_change:
                raise web.HTTPForbidden(
                    text=_("Your access to this console is read-only: ask the program's owner "
                           "for full access.")
                )  # fmt: skip
            try:
                response = await handler(request, profile, session.user_id)
            except web.HTTPException as answer:
                if answer.status < 400:  # a change answers with a redirect
                    await self._log_change(request, profile, session.user_id)
                raise
            # A refusal changed nothing, unless its page noted what it did change regardless.
            if response.status < 400 or isinstance(request.get(CHANGE), Change):
                await self._log_change(request, profile, session.user_id)
            return response

        return checked

    async def _log_change(self, request: web.Request, group: ChatProfile, user: int) -> None:
        """The console's change log: what the page noted (`note_change`), else the address's
        words (a page added later is logged without knowing of this)."""
        noted = request.get(CHANGE, None)
        if noted is NO_CHANGE:
            return
        if not isinstance(noted, Change):
            tail = request.path.split(f"/console/{group.id}/", 1)[-1]
            words = [word for word in tail.split("/") if word and not word.isdigit()]
            noted = Change(".".join(words) or "change", tail)
        async with self.session_pool() as db, db.begin():
            await StaffService(db, self.clock).log_change(
                group.id, user, noted.action, noted.summary, noted.target
            )

    async def _profile(self, chat_id: int) -> ChatProfile | None:
        async with self.session_pool() as db:
            profile = await self.domain.chats(db).profile(chat_id)
        return profile if profile is not None and profile.is_group else None

    async def overview(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        wanted = request.query.get("days", "")
        days = int(wanted) if wanted in {str(period) for period in PERIODS} else DEFAULT_DAYS
        try:
            size = await self.site.bot.get_chat_member_count(group.id)
        except TelegramAPIError:
            size = None
        async with self.session_pool() as db:
            stats = StatsService(db, self.clock)
            members = size if size is not None else await stats.known_members(group.id)
            report = await stats.report(group.id, group.timezone, days, members)
            last = self.clock.today_in(group.timezone)
            first = last - timedelta(days=days - 1)
            rows = {
                row.day: row
                for row in await db.scalars(
                    select(DailyStats).where(
                        DailyStats.chat_id == group.id,
                        DailyStats.day >= first,
                        DailyStats.day <= last,
                    )
                )
            }
            start, end = day_bounds(first, last, group.timezone)
            assert start is not None
            assert end is not None
            sales = await order_figures(db, group.program_id, start, end)  # the program's
            shop = await self.domain.shop(db).figures(group.program_id, start, end)
            program = await self._program_groups(db, stats, group, first, last)
        names = self._counter_names()
        charts = [
            bar_chart(name, names[name], daily_series(first, days, {
                day: getattr(row, name) or 0 for day, row in rows.items()}))
            for name in CHARTS
        ]  # fmt: skip
        figures: list[tuple[str, int, float | None]] = []
        if report is not None:
            for name in DAY_COUNTERS:
                if name in names:
                    figures.append(
                        (
                            names[name],
                            report.current[name],
                            change_pct(report.current[name], report.previous[name]),
                        )
                    )
        return self.site.render(request, "overview.html", group=group, days=days, periods=PERIODS,
                                members=members, figures=figures, charts=charts, sales=sales,
                                shop=shop, has_data=report is not None,
                                program=program)  # fmt: skip

    async def _program_groups(
        self, db: AsyncSession, stats: StatsService, group: ChatProfile, first: date, last: date
    ) -> list[tuple[str, Totals]]:
        """A program of several groups: each group's figures side by side (empty otherwise)."""
        groups = await self.domain.programs(db).groups(group.program_id)
        if len(groups) < 2:
            return []
        figures = await stats.by_group(groups, first, last)
        chats = self.domain.chats(db)
        titles = {chat_id: (await chats.profile(chat_id) or group).title for chat_id in groups}
        return [(titles[chat_id], figures[chat_id]) for chat_id in groups]

    @staticmethod
    def _counter_names() -> dict[str, str]:
        return {
            "messages": _("Messages"), "active_members": _("Active members (daily sum)"),
            "checkins": _("Sign-ins"), "joins": _("Joins"), "leaves": _("Leaves"),
            "referral_joins": _("Joins by invite"), "draw_entries": _("Draw entries"),
            "topic_replies": _("Topic replies"), "points_issued": _("Points issued"),
            "points_spent": _("Points spent"),
        }  # fmt: skip

    async def members(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        query = MemberQuery.of(dict(request.query))
        async with self.session_pool() as db:
            ladder = await self.domain.tiers(db).ladder(group.program_id)
            page = await ConsoleService(db, self.clock).members(
                group.id, query, group.timezone, ladder, group.program_id
            )
            labels = self.domain.labels(db)
            known = [label for label, _count in await labels.counts(group.program_id)]
            carried = await labels.of_members(group.program_id, [m.user_id for m in page.members])
        return self.site.render(request, "members.html", group=group, query=query, page=page,
                                tiers=ladder, segments=list(Segment), labels=known,
                                carried=carried)  # fmt: skip

    async def member(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        user_id = int(request.match_info["user"])
        async with self.session_pool() as db:
            history = await ConsoleService(db, self.clock).member(
                group.id, user_id, group.program_id
            )
            account = group.program_id  # points, the shop and orders are the program's
            coupons = await self.domain.shop(db).received(account, user_id)
            ladder = await self.domain.tiers(db).ladder(account)
            shop = await self.domain.orders(db).of_member(account, user_id)  # member_orders.html
            shop_orders = await member_orders(db, account, user_id)
            labels = await self.domain.labels(db).of_member(group.program_id, user_id)
            notes, _total = await self.domain.labels(db).notes(group.program_id, user_id, 100)
        if history is None:
            raise web.HTTPNotFound(text=_("No member of this group has that id."))
        # The ledger's shop rows name their reward by id: the member's own redemptions name it.
        rewards = {reward.id: reward.name for _redemption, reward, _code in coupons}
        return self.site.render(request, "member.html", group=group, history=history,
                                coupons=coupons, tiers=ladder, rewards=rewards, shop=shop,
                                shop_orders=shop_orders, labels=labels, notes=notes,
                                said=said(request, console_outcomes()))  # fmt: skip

    async def settings(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        return self.site.render(request, "settings.html", group=group, values=_form_values(group),
                                errors={}, saved=request.query.get("saved") == "1",
                                cadence_parts=CADENCE_PARTS)  # fmt: skip

    async def save_settings(
        self, request: web.Request, group: ChatProfile, user: int
    ) -> web.StreamResponse:
        form = await self.site.form(request)
        current = _form_values(group)
        wanted = {name: str(form.get(name, "")).strip() for name in current}
        changed = {name: value for name, value in wanted.items() if value != current[name]}
        errors: dict[str, str] = {}
        async with self.session_pool() as db:
            chats = self.domain.chats(db)
            for name, value in changed.items():
                problem = await _apply(db, chats, group.id, name, value)
                if problem is not None:
                    errors[name] = problem
            # All or nothing: the form comes back with what to fix.
            await (db.rollback() if errors else db.commit())
        if errors:
            return self.site.render(request, "settings.html", status=400, group=group,
                                    values=wanted, errors=errors, saved=False,
                                    cadence_parts=CADENCE_PARTS)  # fmt: skip
        if changed:
            summary = (f"{name}: {current[name] or '-'} → {value or '-'}"
                       for name, value in changed.items())  # fmt: skip
            note_change(request, "settings", ", ".join(summary))
        else:
            note_no_change(request)
        self.chat_cache.forget(group.id)
        if any(name.startswith("cadence.") for name in changed):
            self.scheduler.reload_soon()
        raise web.HTTPSeeOther(f"/console/{group.id}/settings?saved=1")

    async def export(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        kind = request.match_info["kind"]
        if kind not in set(ExportKind):
            raise web.HTTPNotFound(text=_("There is no such export."))
        # The group's language, as its /export writes it; a group answering each member in
        # their own (auto) gets the page's.
        language = group.language or request["language"]
        handle, path = tempfile.mkstemp(prefix=f"fanbot-web-{kind}-", suffix=".csv")
        try:
            with os.fdopen(handle, "w", encoding=ENCODING, newline="") as out:
                async with self.session_pool() as db:
                    await write_csv(db, out, ExportKind(kind), group.id, group.timezone,
                                    language=language)  # fmt: skip
            today = self.clock.today_in(group.timezone)
            ascii_name, name = (
                file_name(ExportKind(kind), each, group.id, today) for each in ("en", language)
            )
            response = web.StreamResponse(headers={
                "Content-Type": "text/csv; charset=utf-8",
                # RFC 6266: an ASCII name for old clients, the UTF-8 one (订单-…) for the rest
                "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                f"filename*=UTF-8''{quote(name)}",
            })  # fmt: skip
            await response.prepare(request)
            with open(path, "rb") as written:  # noqa: ASYNC230 - a local temporary file
                while chunk := written.read(CHUNK):
                    await response.write(chunk)
            await response.write_eof()
            return response
        finally:
            os.unlink(path)


def _form_values(group: ChatProfile) -> dict[str, str]:
    """The settings form's fields as text: what the page shows and what a post is compared
    with, so only what changed is saved."""
    rules, checkin = group.message_rules, group.checkin_rules
    values = {
        "timezone": group.timezone,
        "language": group.language or "auto",
        "points.message": str(rules.points),
        "points.cooldown": str(rules.cooldown),
        "points.daily_cap": str(rules.daily_cap),
        "checkin.base": str(checkin.base),
        "checkin.streak_cap": str(checkin.streak_cap),
        "referral": str(group.referral_rules.reward),
        "boosts": str(group.rules(BoostRules).points),
        "reactions.points": str(group.rules(ReactionRules).points),
        "reactions.cap": str(group.rules(ReactionRules).cap),
    }
    for part in CADENCE_PARTS:
        values[f"cadence.{part}"] = getattr(group.cadence, part) or ""  # empty: off
    return values


async def _apply(
    db: AsyncSession, chats: ChatService, chat_id: int, name: str, value: str
) -> str | None:
    """Save one field through the same setters as `/settings`; its problem, or None."""
    section, _dot, rule = name.partition(".")
    try:
        if name == "timezone":
            await chats.set_timezone(chat_id, value)
        elif name == "language":
            await chats.set_language(chat_id, None if value == "auto" else value)
        elif section == "points":
            await set_points_rule(db, chat_id, rule, _whole(value))
        elif section == "checkin":
            await set_checkin_rule(db, chat_id, rule, value)
        elif name == "referral":
            await set_referral_reward(db, chat_id, _whole(value))
        elif name == "boosts":
            await set_boost_points(db, chat_id, _whole(value))
        elif section == "reactions":
            await set_reaction_rules(db, chat_id, **{rule: _whole(value)})
        elif section == "cadence":
            await set_cadence(db, chat_id, rule, value or "off")
    except UnknownTimezone:
        return _("Unknown time zone; e.g. Asia/Shanghai or Europe/London.")
    except UnknownLanguage:
        return _("Choose the language from the list.")  # a select: only a forged form gets here
    except BadSetting:
        return _limits_problem(section, rule)
    return None


def _whole(value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise BadSetting("number")
    return int(value)


def _limits_problem(section: str, rule: str) -> str:
    limits: dict[str, Any] = {"points": MessageRules.LIMITS, "checkin": CheckinRules.LIMITS}
    if section == "referral":
        low, high = ReferralRules.LIMITS
    elif section == "boosts":
        low, high = BoostRules.LIMITS
    elif section == "reactions":
        low, high = ReactionRules.POINTS if rule == "points" else ReactionRules.CAP
    elif section in limits and rule in limits[section]:
        low, high = limits[section][rule]
    else:
        return _("A time such as 09:00, or empty for none.")
    return _("A whole number from {low} to {high}.").format(low=low, high=high)
