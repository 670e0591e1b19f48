"""The console's shop page: the rewards with their stock and codes, a new reward, a reward's
changes, pause, resume and removal, codes added from a file or generated, the gifts to send
(marked sent, and their members told), and the latest redemptions.

Every field goes through the same validation as `/reward` (`reward_spec`, `parse`-alike
option values), so the page accepts exactly what the command does and says why not the same
way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiohttp import web
from aiohttp.web_request import FileField

from services.badges import MILESTONES
from services.chats import ChatProfile
from services.reward_codes import MAX_FILE_BYTES, generated_codes, read_codes
from services.reward_specs import (
    KINDS,
    OPTIONS,
    PERIODS,
    ShopInputError,
    reward_changes,
    reward_spec,
)
from services.shop import RewardNotFound
from views.quests import badge_label
from views.shop import imported, input_problem
from web.changes import note_change, note_no_change, said
from web.console import ROUTE_CHAT, Console
from web.site import plain

ACTIONS = ("edit", "pause", "resume", "del", "codes", "generate")


class ShopPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        base = f"/console/{ROUTE_CHAT}/shop"
        routes.add_get(base, page(group(self.shop)))
        routes.add_post(f"{base}/rewards", page(group(self.add_reward)))
        routes.add_post(f"{base}/rewards/{{reward:\\d{{1,18}}}}/{{action:{'|'.join(ACTIONS)}}}",
                        page(group(self.act_on_reward)))  # fmt: skip
        routes.add_post(f"{base}/gifts/{{redemption:\\d{{1,18}}}}/sent",
                        page(group(self.gift_sent)))  # fmt: skip

    async def shop(
        self,
        request: web.Request,
        group: ChatProfile,
        _user: int,
        *,
        status: int = 200,
        problem: str | None = None,
        told: str | None = None,
        new: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        async with self.site.pool() as db:
            shop = self.site.domain.shop(db)
            rewards = await shop.shelf(group.program_id, with_paused=True)
            free = await shop.free_codes([reward.id for reward in rewards])
            fulfilment = self.site.domain.fulfilment(db)
            gifts = await fulfilment.gifts_to_send(group.program_id)
            redemptions = await fulfilment.redemptions(group.program_id)
            ladder = await self.site.domain.tiers(db).ladder(group.program_id)
            held = await self.site.domain.badges(db).counts(group.program_id)
        badges = sorted(set(MILESTONES) | {badge for badge, _count in held})
        return self.site.render(
            request, "shop.html", status=status, group=group, rewards=rewards, free=free,
            gifts=gifts, redemptions=redemptions, tiers=ladder, kinds=KINDS, periods=PERIODS,
            badges={badge: plain(badge_label(badge)) for badge in badges},
            new=new or {}, problem=problem, said=told or said(request, shop_outcomes()),
        )  # fmt: skip

    async def add_reward(
        self, request: web.Request, group: ChatProfile, user: int
    ) -> web.StreamResponse:
        form = await self.site.form(request)
        fields = _text_fields(form)
        try:
            async with self.site.pool() as db, db.begin():
                ladder = await self.site.domain.tiers(db).ladder(group.program_id)
                spec = reward_spec(fields.get("name", ""), _options(fields), ladder)
                reward = await self.site.domain.shop(db).add(group.program_id, user, spec)
        except ShopInputError as bad:
            return await self.shop(request, group, user, status=400,
                                   problem=plain(input_problem(bad)), new=fields)  # fmt: skip
        note_change(request, "reward.add", f"reward #{reward.id}: {reward.name}")
        raise web.HTTPSeeOther(f"/console/{group.id}/shop?said=added&id={reward.id}")

    async def act_on_reward(
        self, request: web.Request, group: ChatProfile, user: int
    ) -> web.StreamResponse:
        form = await self.site.form(request)
        reward_id, action = int(request.match_info["reward"]), request.match_info["action"]
        count, summary, unchanged = 0, f"reward #{reward_id}", False
        try:
            async with self.site.pool() as db, db.begin():
                shop = self.site.domain.shop(db)
                if action == "edit":
                    ladder = await self.site.domain.tiers(db).ladder(group.program_id)
                    reward = await shop.reward(group.program_id, reward_id)
                    edited = reward_changes(_options(_text_fields(form)), ladder)
                    # The form shows every current value: only those edited are changes.
                    changes = {k: v for k, v in edited.items() if getattr(reward, k) != v}
                    if changes:
                        await shop.edit(group.program_id, reward_id, changes)
                        summary += ": " + ", ".join(sorted(changes))
                    unchanged = not changes
                elif action in ("pause", "resume"):
                    await shop.set_paused(group.program_id, reward_id, action == "pause")
                elif action == "del":
                    await shop.delete(group.program_id, reward_id)
                elif action == "generate":
                    prefix = str(form.get("prefix", "")).strip()
                    wanted = str(form.get("count", "")).strip()
                    if not (wanted.isascii() and wanted.isdigit()):
                        raise ShopInputError("count")
                    codes = "\n".join(generated_codes(int(wanted), prefix)).encode()
                    count = (
                        await shop.add_codes(group.program_id, reward_id, read_codes(codes))
                    ).added
                    summary += f": {count} codes generated"  # never the codes themselves
                else:
                    file = form.get("file")
                    if not isinstance(file, FileField):
                        raise ShopInputError("file", "no file")
                    data = file.file.read(MAX_FILE_BYTES + 1)
                    result = await shop.add_codes(group.program_id, reward_id, read_codes(data))
                    summary += f": {result.added} codes from a file"  # never the codes
                    reward = await shop.reward(group.program_id, reward_id)
                    left = (await shop.free_codes([reward_id])).get(reward_id, 0)
                    # Shown here, not after a redirect: the lines skipped are the point.
                    told = plain(imported(result, reward, left))
        except ShopInputError as bad:
            return await self.shop(
                request, group, user, status=400, problem=plain(input_problem(bad))
            )
        except RewardNotFound:
            raise web.HTTPNotFound(text=_("There is no such reward.")) from None
        if unchanged:
            note_no_change(request)
        else:
            note_change(request, f"reward.{action}", summary)
        if action == "codes":
            return await self.shop(request, group, user, told=told)
        raise web.HTTPSeeOther(f"/console/{group.id}/shop?said={action}&id={reward_id}&n={count}")

    async def gift_sent(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        await self.site.form(request)
        redemption_id = int(request.match_info["redemption"])
        async with self.site.pool() as db, db.begin():
            done = await self.site.domain.fulfilment(db).gift_sent(group.program_id, redemption_id)
        outcome = "sent" if done is not None else "not_waiting"
        note_change(request, "gift.sent", f"redemption #{redemption_id}: {outcome}")
        raise web.HTTPSeeOther(f"/console/{group.id}/shop?said={outcome}&id={redemption_id}")


def _text_fields(form: Any) -> dict[str, str]:
    return {name: str(value).strip() for name, value in form.items() if isinstance(value, str)}


def _options(fields: dict[str, str]) -> dict[str, str]:
    """The form's filled option fields, as `/reward`'s `name=value` options."""
    return {name: fields[name] for name in OPTIONS if fields.get(name)}


def shop_outcomes() -> dict[str, Callable[[int, int], str]]:
    return {
        "added": lambda id, _n: _("Reward #{id} added.").format(id=id),
        "edit": lambda id, _n: _("Reward #{id} changed.").format(id=id),
        "pause": lambda id, _n: _("Reward #{id} is paused.").format(id=id),
        "resume": lambda id, _n: _("Reward #{id} is back.").format(id=id),
        "del": lambda id, _n: _(
            "Reward #{id} is off the shelf; codes already issued stay valid."
        ).format(id=id),
        "generate": lambda id, n: ngettext(
            "{n} code added to #{id}.", "{n} codes added to #{id}.", n
        ).format(n=n, id=id),
        "sent": lambda id, _n: _("Gift #{id} marked sent; its member is told.").format(id=id),
        "not_waiting": lambda id, _n: _("Gift #{id} is not waiting to be sent.").format(id=id),
    }
