"""The console's staff page (a program's owner gives console access to people who need not be
group admins, read or full, and takes it back) and its change log (every change made through
the console, who made it and when: the `console` rows of the moderation log).

The staff page is the owner's: `ConsoleAccess.is_owner` is asked on every request, as the
access itself is. The log is for everyone who may open the group's pages.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from services.chats import ChatProfile
from services.members import known_name
from services.programs import ProgramService
from services.staff import ROLES, Granted, StaffService
from web.changes import note_change, note_no_change, said
from web.console import ROUTE_CHAT, Console

LOG_ROWS = 100
MAX_USER_ID = 10**15  # Telegram's user ids are under 2**52


class StaffPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        base = f"/console/{ROUTE_CHAT}"
        routes.add_get(f"{base}/staff", page(group(self.staff)))
        routes.add_post(f"{base}/staff", page(group(self.add)))
        routes.add_post(f"{base}/staff/{{user:\\d{{1,18}}}}/{{action:read|full|remove}}",
                        page(group(self.change)))  # fmt: skip
        routes.add_get(f"{base}/log", page(group(self.log)))

    async def _owner_only(self, request: web.Request, group: ChatProfile, user: int) -> None:
        """Staff, even full, do not give access: only the program's owner (or OWNER_IDS)."""
        async with self.site.pool() as db:
            owner = await self.site.access.is_owner(db, user, group.program_id)
        if not owner:
            raise web.HTTPForbidden(text=_("Only the program's owner can give console access: "
                                           "the admin who made the program, or the founding "
                                           "group's creator."))  # fmt: skip

    async def staff(
        self,
        request: web.Request,
        group: ChatProfile,
        user: int,
        *,
        status: int = 200,
        problem: str | None = None,
    ) -> web.StreamResponse:
        await self._owner_only(request, group, user)
        async with self.site.pool() as db:
            grants = await StaffService(db, self.site.domain.clock).staff(group.program_id)
            names = {grant.user_id: await known_name(db, grant.user_id) for grant in grants}
        return self.site.render(request, "staff.html", status=status, group=group, grants=grants,
                                names=names, roles=ROLES, problem=problem,
                                said=said(request, staff_outcomes()))  # fmt: skip

    async def add(self, request: web.Request, group: ChatProfile, user: int) -> web.StreamResponse:
        await self._owner_only(request, group, user)
        form = await self.site.form(request)
        wanted, role = str(form.get("user", "")).strip(), str(form.get("role", "read"))
        if not (wanted.isascii() and wanted.isdigit() and 0 < int(wanted) < MAX_USER_ID):
            note_no_change(request)
            return await self.staff(request, group, user, status=400, problem=_(
                "Give the person's numeric Telegram user id."))  # fmt: skip
        if role not in ROLES:
            raise web.HTTPBadRequest(text=_("Choose read or full access."))  # a forged form
        return await self._grant(request, group, user, int(wanted), role)

    async def change(
        self, request: web.Request, group: ChatProfile, user: int
    ) -> web.StreamResponse:
        await self._owner_only(request, group, user)
        await self.site.form(request)
        staff_id, action = int(request.match_info["user"]), request.match_info["action"]
        if action != "remove":
            return await self._grant(request, group, user, staff_id, action)
        async with self.site.pool() as db, db.begin():
            gone = await StaffService(db, self.site.domain.clock).revoke(group.program_id, staff_id)
        if not gone:
            note_no_change(request)
            raise web.HTTPSeeOther(f"/console/{group.id}/staff?said=none&id={staff_id}")
        note_change(request, "staff.remove", f"{staff_id}", staff_id)
        raise web.HTTPSeeOther(f"/console/{group.id}/staff?said=removed&id={staff_id}")

    async def _grant(
        self, request: web.Request, group: ChatProfile, user: int, staff_id: int, role: str
    ) -> web.StreamResponse:
        async with self.site.pool() as db, db.begin():
            granted = await StaffService(db, self.site.domain.clock).grant(
                group.program_id, staff_id, role, user
            )
        if granted.outcome is Granted.SAME:
            note_no_change(request)
        else:
            note_change(request, f"staff.{granted.outcome}", f"{staff_id}: {role}", staff_id)
        outcome = f"{granted.outcome}_{role}"
        raise web.HTTPSeeOther(f"/console/{group.id}/staff?said={outcome}&id={staff_id}")

    async def log(self, request: web.Request, group: ChatProfile, _user: int) -> web.StreamResponse:
        clock = self.site.domain.clock
        async with self.site.pool() as db:
            groups = await ProgramService(db, clock).groups(group.program_id, active_only=False)
            changes = await StaffService(db, clock).changes(groups or [group.id], LOG_ROWS)
            people = {change.actor_id for change in changes if change.actor_id is not None}
            names = {who: await known_name(db, who) or str(who) for who in people}
            titles = await StaffService(db, clock).titles(groups) if len(groups) > 1 else {}
        return self.site.render(request, "changes.html", group=group, changes=changes,
                                names=names, titles=titles)  # fmt: skip


def staff_outcomes() -> dict[str, Callable[[int, int], str]]:
    return {
        "new_read": lambda user, _n: _("{user} may now read this program's console.").format(
            user=user),
        "new_full": lambda user, _n: _("{user} now has full access to this program's "
                                       "console.").format(user=user),
        "changed_read": lambda user, _n: _("{user}'s access is now read-only.").format(user=user),
        "changed_full": lambda user, _n: _("{user} now has full access.").format(user=user),
        "same_read": lambda user, _n: _("{user} had this access already.").format(user=user),
        "same_full": lambda user, _n: _("{user} had this access already.").format(user=user),
        "removed": lambda user, _n: _("{user}'s console access is taken back.").format(user=user),
        "none": lambda user, _n: _("{user} had no console access.").format(user=user),
    }  # fmt: skip
