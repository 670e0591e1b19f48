"""The console's label and note changes on a member's page (客户标签): add or remove a label,
add a note. Each is a form post (session, CSRF token and origin checked by `Site.form`), made
through the service `/tag` and `/note` use, by the admin the session names."""

from __future__ import annotations

import logging

from aiogram.utils.i18n import gettext as _
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member
from services.chats import ChatProfile
from services.labels import MAX_NOTE, LabelError, normalise
from web.console import ROUTE_CHAT, Console

logger = logging.getLogger(__name__)
ROUTE_MEMBER = f"/console/{ROUTE_CHAT}/members/{{user:\\d{{1,18}}}}"


class LabelPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        routes.add_post(f"{ROUTE_MEMBER}/labels/{{action:add|remove}}", page(group(self.label)))
        routes.add_post(f"{ROUTE_MEMBER}/notes", page(group(self.note)))

    async def label(
        self, request: web.Request, group: ChatProfile, user: int
    ) -> web.StreamResponse:
        form = await self.site.form(request)
        member_id, action = int(request.match_info["user"]), request.match_info["action"]
        try:
            label = normalise(str(form.get("label", ""))[:64])
        except LabelError:
            raise self._back(group, member_id, "bad_label") from None
        async with self.site.pool() as db, db.begin():
            await self._member(db, group, member_id)
            labels = self.site.domain.labels(db)
            if action == "remove":
                await labels.remove(group.program_id, member_id, [label])
                outcome, count = "unlabelled", 1
            else:
                tagged = await labels.add(group.program_id, member_id, [label], user)
                outcome, count = ("full", 0) if tagged.over else ("labelled", len(tagged.added))
        logger.info(
            "console: %s %s label on member %s of program %s",
            user, "removed a" if action == "remove" else "added a", member_id, group.program_id,
        )  # fmt: skip
        raise self._back(group, member_id, outcome, count)

    async def note(self, request: web.Request, group: ChatProfile, user: int) -> web.StreamResponse:
        form = await self.site.form(request)
        member_id = int(request.match_info["user"])
        text = str(form.get("text", "")).strip()
        if not text or len(text) > MAX_NOTE:
            raise self._back(group, member_id, "bad_note")
        async with self.site.pool() as db, db.begin():
            await self._member(db, group, member_id)
            await self.site.domain.labels(db).add_note(group.program_id, member_id, text, user)
        logger.info(
            "console: %s added a note on member %s of program %s", user, member_id,
            group.program_id,
        )  # fmt: skip
        raise self._back(group, member_id, "noted")

    @staticmethod
    async def _member(db: AsyncSession, group: ChatProfile, member_id: int) -> None:
        if await db.get(Member, (group.id, member_id)) is None:
            raise web.HTTPNotFound(text=_("No member of this group has that id."))

    @staticmethod
    def _back(group: ChatProfile, member_id: int, outcome: str, count: int = 0) -> web.HTTPSeeOther:
        """Back to the member's page, saying what the change did."""
        return web.HTTPSeeOther(
            f"/console/{group.id}/members/{member_id}?said={outcome}&n={count}#labels"
        )
