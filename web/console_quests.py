"""The console's Missions page (任务与积分经济): the brand's mission sets, set by a form as
`/quests` sets them; the points economy (issued by source against spent, the balance held,
week on week); the badges and how many hold each."""

from __future__ import annotations

import logging

from aiohttp import web

from services.badges import BadgeService
from services.chats import ChatProfile
from services.economy import SINKS, SOURCES, EconomyService
from services.quest_rules import (
    DAILY,
    SETS,
    WEEKLY,
    MissionSet,
    QuestInputError,
    QuestRules,
    parse_set,
    set_missions,
    set_streak,
)  # fmt: skip
from views.quests import SOURCE_NAMES, badge_label, quest_problem_text
from web.changes import note_change
from web.console import ROUTE_CHAT, Console

logger = logging.getLogger(__name__)


def typed(chosen: MissionSet) -> str:
    """A set as `/quests` takes it: `checkin=5 messages:10=5 bonus=10`."""
    words = [f"{m.template}{f':{m.count}' if m.count > 1 else ''}={m.points}"
             for m in chosen.missions]  # fmt: skip
    return " ".join(words + ([f"bonus={chosen.bonus}"] if chosen.bonus else []))


class QuestPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        routes.add_get(f"/console/{ROUTE_CHAT}/quests", page(group(self.quests)))
        routes.add_post(f"/console/{ROUTE_CHAT}/quests", page(group(self.save)))

    async def _render(self, request: web.Request, group: ChatProfile, values: dict[str, str],
                      errors: dict[str, str], status: int = 200) -> web.Response:  # fmt: skip
        async with self.site.pool() as db:
            economy = await EconomyService(db, self.site.domain.clock).report(group.program_id)
            badges = await BadgeService(db, self.site.domain.clock).counts(group.program_id)
        return self.site.render(
            request, "quests.html", status=status, group=group, values=values, errors=errors,
            saved="saved" in request.query, economy=economy, sources=SOURCES, sinks=SINKS,
            names={k: str(v) for k, v in SOURCE_NAMES.items()},
            badges=[(badge_label(badge), count) for badge, count in badges],
        )  # fmt: skip

    async def quests(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        async with self.site.pool() as db:  # the program's sets: its founding group's
            founding = await self.site.domain.chats(db).profile(group.program_id)
        rules = (founding or group).rules(QuestRules)
        values = {DAILY: typed(rules.daily), WEEKLY: typed(rules.weekly),
                  "streak": str(rules.streak)}  # fmt: skip
        return await self._render(request, group, values, {})

    async def save(self, request: web.Request, group: ChatProfile, user: int) -> web.StreamResponse:
        form = await self.site.form(request)
        values = {name: str(form.get(name, "")).strip()[:500] for name in (*SETS, "streak")}
        errors: dict[str, str] = {}
        async with self.site.pool() as db, db.begin():
            for kind in SETS:
                try:
                    chosen = parse_set(values[kind].split() or ["off"])
                    await set_missions(db, group.program_id, kind, chosen)
                except QuestInputError as bad:
                    errors[kind] = quest_problem_text(str(bad))
            streak = values["streak"] or "0"
            try:
                await set_streak(db, group.program_id, int(streak) if streak.isdigit() else -1)
            except QuestInputError as bad:
                errors["streak"] = quest_problem_text(str(bad))
            if errors:  # all or nothing: the form comes back with what to fix
                await db.rollback()
        if errors:
            return await self._render(request, group, values, errors, status=400)
        note_change(request, "quests", " · ".join(f"{k}: {values[k] or '-'}" for k in values))
        self.console.chat_cache.forget(group.program_id)
        logger.info("console: %s set the missions of program %s", user, group.program_id)
        raise web.HTTPSeeOther(f"/console/{group.id}/quests?saved=1")
