"""The members' Mini App (会员中心 / Member centre): a page Telegram opens inside the chat, and
the JSON calls it makes. Each call carries Telegram's signed initData (`Authorization: tma …`,
a header no other site's page can send here without CORS, which is never allowed): that is the
only login, and it names the member; the group is the member's own choice among the groups
they are in.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiohttp import web
from sqlalchemy import select

from infrastructure.i18n import spoken
from models import Chat, Member
from services.redemptions import RedeemRequest, Refused
from services.shop import RewardNotFound, discounted, member_tier, required_tier
from services.untrusted import json_id, json_value
from views.member_centre import centre_page, page_labels, redeemed_here
from views.shop import refusal
from views.vip import plan_items
from web.auth import MiniAppUser, init_data_user
from web.reward_photos import RewardPhotos
from web.site import MINI_APP_POLICY, Site, plain

MAX_BODY = 4096


class MiniApp:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.photos = RewardPhotos(site.bot)

    def register(self, app: web.Application) -> None:
        app.router.add_get("/app", self.site.page(self.shell, policy=MINI_APP_POLICY))
        app.router.add_post("/app/api/me", self.api(self.me))
        app.router.add_post("/app/api/redeem", self.api(self.redeem))
        app.router.add_post("/app/api/photo", self.api(self.photo))

    async def shell(self, request: web.Request) -> web.StreamResponse:
        """The page itself holds nothing of anyone's: its script asks with initData."""
        return self.site.render(request, "miniapp.html", labels=page_labels())

    def api(self, handler: Any) -> Any:
        async def checked(request: web.Request) -> web.StreamResponse:
            scheme, _space, init_data = request.headers.get("Authorization", "").partition(" ")
            token = self.site.settings.bot_token.get_secret_value()
            user = init_data_user(init_data, token, time.time()) if scheme == "tma" else None
            if user is None:
                return web.json_response({"ok": False, "error": "initData is missing, forged "
                                          "or more than a day old"}, status=401)  # fmt: skip
            if self.site.from_another_site(request):  # besides the header: our page, or none
                return web.json_response({"ok": False, "error": "another site's page"},
                                         status=403)  # fmt: skip
            data = await request.content.read(MAX_BODY + 1)
            if len(data) > MAX_BODY:
                return web.json_response({"ok": False, "error": "body too large"}, status=413)
            try:
                body = json_value(data) if data else {}
            except ValueError:
                return web.json_response({"ok": False, "error": "bad JSON"}, status=400)
            language = spoken(user.language_code) or self.site.settings.default_language
            with self.site.i18n.context(), self.site.i18n.use_locale(language):
                response: web.StreamResponse = await handler(user, body if isinstance(body, dict)
                                                             else {})  # fmt: skip
            response.headers["Cache-Control"] = "no-store"
            return response

        return checked

    async def _groups(self, user_id: int) -> list[Chat]:
        async with self.site.pool() as db:
            chats = await db.scalars(
                select(Chat)
                .join(Member, Member.chat_id == Chat.id)
                .where(Member.user_id == user_id, Member.left_at.is_(None),
                       Chat.active.is_(True), Chat.type != "private")
                .order_by(Member.last_seen_at.desc().nulls_last())
            )  # fmt: skip
            return list(chats)

    async def _asked_reward(
        self, user: MiniAppUser, body: dict[str, Any]
    ) -> tuple[int, int] | web.Response:
        """The (group, reward) a call names, if the member is in that group; else the refusal."""
        group, reward_id = json_id(body.get("group")), json_id(body.get("reward"))
        if group is None or reward_id is None:
            return web.json_response({"ok": False, "error": "group and reward are whole "
                                      "numbers (ids)"}, status=400)  # fmt: skip
        if not any(chat.id == group for chat in await self._groups(user.id)):
            return web.json_response({"ok": False, "error": "not a member of that group"},
                                     status=403)  # fmt: skip
        return group, reward_id

    async def me(self, user: MiniAppUser, body: dict[str, Any]) -> web.StreamResponse:
        """The member centre of one of the member's groups (the first by their last word)."""
        groups = await self._groups(user.id)
        language = self.site.i18n.current_locale
        names = [{"id": chat.id, "title": chat.title} for chat in groups]
        answer: dict[str, Any] = {
            "ok": True, "language": language, "labels": page_labels(), "groups": names,
        }  # fmt: skip
        if not groups:
            answer["empty"] = _("You are not in any of this bot's groups yet.")
            return web.json_response(answer)
        wanted = json_id(body.get("group"))
        chat = next((chat for chat in groups if chat.id == wanted), groups[0])
        domain = self.site.domain
        async with self.site.pool() as db:
            profile = await domain.chats(db).profile(chat.id)
            assert profile is not None
            centre = await domain.member_centre(db).centre(profile, user.id)
            plans = await domain.vip(db).plans(profile.program_id, on_sale=True)
        answer["group"] = {"id": chat.id, "title": chat.title}
        answer.update(centre_page(centre, user.first_name, language, profile.timezone))
        answer["plans"] = plan_items(plans)  # paid membership, opened with openInvoice
        return web.json_response(answer)

    async def photo(self, user: MiniAppUser, body: dict[str, Any]) -> web.StreamResponse:
        """A reward's photo, for a member of its group (the page shows it as a blob: URL)."""
        asked = await self._asked_reward(user, body)
        if isinstance(asked, web.Response):
            return asked
        group, reward_id = asked
        async with self.site.pool() as db:
            program = await self.site.domain.programs(db).program_of(group)  # its shop
            try:
                reward = await self.site.domain.shop(db).reward(program, reward_id)
            except RewardNotFound:
                reward = None
        found = None
        if reward is not None and reward.image_file_id is not None:
            found = await self.photos.photo(reward.image_file_id)
        if found is None:
            return web.json_response({"ok": False, "error": "no photo"}, status=404)
        data, kind = found
        return web.Response(body=data, content_type=kind)

    async def redeem(self, user: MiniAppUser, body: dict[str, Any]) -> web.StreamResponse:
        asked = await self._asked_reward(user, body)
        if isinstance(asked, web.Response):
            return asked
        group, reward_id = asked
        press = body.get("key")
        if not isinstance(press, str) or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", press):
            press = secrets.token_hex(8)  # no key: this press is its own
        domain, language = self.site.domain, self.site.i18n.current_locale
        async with self.site.pool() as db:
            profile = await domain.chats(db).profile(group)
            assert profile is not None
            program = profile.program_id  # the shop and the account are the program's
            tier, ladder = await member_tier(domain.tiers(db), domain.points(db), program, user.id)
            try:
                reward = await domain.shop(db).reward(program, reward_id)
            except RewardNotFound:
                return web.json_response({"ok": False, "text": plain(
                    refusal("gone", None, 0, 0, None, language))})  # fmt: skip
        discount = tier.discount if tier else 0
        price = discounted(reward.price, discount)
        request = RedeemRequest(
            program, user.id, reward_id, f"app:{group}:{user.id}:{reward_id}:{press}", ladder,
            profile.timezone, discount, language,
        )  # fmt: skip
        done = await self.site.redeeming.redeem(request)
        if isinstance(done, Refused):
            text = refusal(done.reason, reward, price, done.balance,
                           required_tier(ladder, reward), language)  # fmt: skip
            return web.json_response({"ok": False, "text": plain(text)})
        text = redeemed_here(reward, done.redemption.price, done.balance, done.already)
        return web.json_response({"ok": True, "text": text})
