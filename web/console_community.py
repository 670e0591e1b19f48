"""The console's pages for what happens in the group: draws (end now, cancel), scheduled posts
(a calendar of the next runs; pause, resume, delete) and topics (close now).

Every change goes through the service the command uses, as the command does it: ending a
draw writes its result post to the outbox, cancelling refunds the entry costs, closing a topic
posts its summary and pays its bonuses.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiohttp import web

from services.chats import ChatProfile
from services.draws import DrawClosed, DrawNotFound
from services.posts import calendar
from web.changes import note_change, said
from web.console import ROUTE_CHAT, Console
from workflows.topics import ForumTopics

CALENDAR_DAYS = 14


class CommunityPages:
    def __init__(self, console: Console, forum_topics: ForumTopics) -> None:
        self.console = console
        self.site = console.site
        self.forum_topics = forum_topics

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        base = f"/console/{ROUTE_CHAT}"
        routes.add_get(f"{base}/draws", page(group(self.draws)))
        routes.add_post(f"{base}/draws/{{draw:\\d{{1,18}}}}/{{action:end|cancel}}",
                        page(group(self.act_on_draw)))  # fmt: skip
        routes.add_get(f"{base}/posts", page(group(self.posts)))
        routes.add_post(f"{base}/posts/{{post:\\d{{1,18}}}}/{{action:pause|resume|del}}",
                        page(group(self.act_on_post)))  # fmt: skip
        routes.add_get(f"{base}/topics", page(group(self.topics)))
        routes.add_post(f"{base}/topics/{{topic:\\d{{1,18}}}}/close",
                        page(group(self.close_topic)))  # fmt: skip

    # -- draws ------------------------------------------------------------------------------

    async def draws(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        async with self.site.pool() as db:
            found = await self.site.domain.draws(db).recent(group.id)
        return self.site.render(request, "draws.html", group=group, draws=found,
                                said=said(request, draw_outcomes()))  # fmt: skip

    async def act_on_draw(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        await self.site.form(request)
        draw_id, action = int(request.match_info["draw"]), request.match_info["action"]
        outcome, count = ("ended" if action == "end" else "cancelled"), 0
        async with self.site.pool() as db, db.begin():
            draws = self.site.domain.draws(db)
            try:
                if action == "end":
                    await draws.end(group.id, draw_id)  # its result post, by the outbox
                else:
                    _draw, count = await draws.cancel(group.id, draw_id)
            except DrawNotFound:
                raise web.HTTPNotFound(text=_("There is no such draw.")) from None
            except DrawClosed as closed:
                outcome = "was_cancelled" if closed.status == "cancelled" else "closed"
        note_change(request, f"draw.{action}", f"draw #{draw_id}: {outcome}, {count} refunded")
        raise web.HTTPSeeOther(f"/console/{group.id}/draws?said={outcome}&id={draw_id}&n={count}")

    # -- posts ------------------------------------------------------------------------------

    async def posts(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        now = self.site.domain.clock.now()
        async with self.site.pool() as db:
            found = await self.site.domain.posts(db).of_chat(group.id)
        runs = calendar(found, group.cadence.parts(), now, group.timezone, CALENDAR_DAYS)
        zone = ZoneInfo(group.timezone)
        days = [
            (day, list(day_runs))
            for day, day_runs in groupby(runs, key=lambda run: run.at.astimezone(zone).date())
        ]
        next_runs = {run.post_id: run.at for run in reversed(runs) if run.post_id is not None}
        return self.site.render(
            request, "posts.html", group=group, posts=found, days=days, next_runs=next_runs,
            zone=zone, calendar_days=CALENDAR_DAYS, parts=daily_part_names(),
            said=said(request, post_outcomes()),
        )  # fmt: skip

    async def act_on_post(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        await self.site.form(request)
        post_id, action = int(request.match_info["post"]), request.match_info["action"]
        async with self.site.pool() as db, db.begin():
            changed = await self.site.domain.posts(db).set_state(group.id, post_id, action)
        if changed is None:
            raise web.HTTPNotFound(text=_("There is no such post."))
        self.console.scheduler.reload_soon()
        note_change(request, f"post.{action}", f"post #{post_id}")
        raise web.HTTPSeeOther(f"/console/{group.id}/posts?said={action}&id={post_id}")

    # -- topics -----------------------------------------------------------------------------

    async def topics(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        async with self.site.pool() as db:
            found = await self.site.domain.topics(db).recent(group.id)
        by_status = {
            status: [figures for figures in found if figures.topic.status == status]
            for status in ("open", "queued", "closed")
        }
        by_status["queued"].reverse()  # the queue's own order: the next to open first
        return self.site.render(request, "topics.html", group=group, topics=by_status,
                                said=said(request, topic_outcomes()))  # fmt: skip

    async def close_topic(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        await self.site.form(request)
        topic_id = int(request.match_info["topic"])
        async with self.site.pool() as db:
            open_now = {found for found, _closes in await self.site.domain.topics(db).open_ids(
                group.id)}  # fmt: skip
        closed = (
            await self.forum_topics.close(self.site.bot, topic_id) if topic_id in open_now else None
        )
        if closed is not None:
            await self.console.scheduler.reload()
        outcome = "closed" if closed is not None else "not_open"
        note_change(request, "topic.close", f"topic #{topic_id}: {outcome}")
        raise web.HTTPSeeOther(f"/console/{group.id}/topics?said={outcome}&id={topic_id}")


def draw_outcomes() -> dict[str, Callable[[int, int], str]]:
    return {
        "ended": lambda id, _n: _("Draw #{id} ended: its result is posted in the group.").format(
            id=id
        ),
        "cancelled": lambda id, n: ngettext(
            "Draw #{id} cancelled; {count} entry cost refunded.",
            "Draw #{id} cancelled; {count} entry costs refunded.",
            n,
        ).format(id=id, count=n),
        "closed": lambda id, _n: _("Draw #{id} has already ended.").format(id=id),
        "was_cancelled": lambda id, _n: _("Draw #{id} was cancelled.").format(id=id),
    }


def post_outcomes() -> dict[str, Callable[[int, int], str]]:
    return {
        "pause": lambda id, _n: _("Post #{id} paused.").format(id=id),
        "resume": lambda id, _n: _("Post #{id} resumed.").format(id=id),
        "del": lambda id, _n: _("Post #{id} deleted.").format(id=id),
    }


def topic_outcomes() -> dict[str, Callable[[int, int], str]]:
    return {
        "closed": lambda id, _n: _("Topic #{id} closed: its summary is posted.").format(id=id),
        "not_open": lambda id, _n: _("Topic #{id} is not open.").format(id=id),
    }


def daily_part_names() -> dict[str, str]:
    return {
        "morning": _("Morning post"),
        "reminder": _("Sign-in reminder"),
        "digest": _("Evening digest"),
    }
