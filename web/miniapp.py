"""The members' Mini App (积分 / My points): a page Telegram opens inside the chat, and two
JSON calls it makes. Each call carries Telegram's signed initData (`Authorization: tma …`):
that is the only login, and it names the member; the group is the member's own choice among
the groups they are in.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import date, timedelta
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiohttp import web
from sqlalchemy import select

from models import Chat, Checkin, Member
from services.chats import LANGUAGES
from services.redemptions import RedeemRequest, Refused
from services.shop import RewardNotFound, discounted, member_tier, required_tier
from services.untrusted import json_id, json_value
from views.miniapp import card_fields
from views.shop import kind_icon, redeemed, refusal
from web.auth import MiniAppUser, init_data_user
from web.site import MINI_APP_POLICY, Site, plain

MAX_BODY = 4096


class MiniApp:
    def __init__(self, site: Site) -> None:
        self.site = site

    def register(self, app: web.Application) -> None:
        app.router.add_get("/app", self.site.page(self.shell, policy=MINI_APP_POLICY))
        app.router.add_post("/app/api/me", self.api(self.me))
        app.router.add_post("/app/api/redeem", self.api(self.redeem))

    async def shell(self, request: web.Request) -> web.StreamResponse:
        """The page itself holds nothing of anyone's: its script asks with initData."""
        return self.site.render(request, "miniapp.html")

    def api(self, handler: Any) -> Any:
        async def checked(request: web.Request) -> web.StreamResponse:
            scheme, _space, init_data = request.headers.get("Authorization", "").partition(" ")
            token = self.site.settings.bot_token.get_secret_value()
            user = init_data_user(init_data, token, time.time()) if scheme == "tma" else None
            if user is None:
                return web.json_response({"ok": False, "error": "initData is missing, forged "
                                          "or more than a day old"}, status=401)  # fmt: skip
            data = await request.content.read(MAX_BODY + 1)
            if len(data) > MAX_BODY:
                return web.json_response({"ok": False, "error": "body too large"}, status=413)
            try:
                body = json_value(data) if data else {}
            except ValueError:
                return web.json_response({"ok": False, "error": "bad JSON"}, status=400)
            language = user.language_code if user.language_code in LANGUAGES else None
            with (
                self.site.i18n.context(),
                self.site.i18n.use_locale(language or self.site.settings.default_language),
            ):
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

    async def me(self, user: MiniAppUser, body: dict[str, Any]) -> web.StreamResponse:
        groups = await self._groups(user.id)
        if not groups:
            return web.json_response({"ok": True, "groups": [], "empty": _(
                "You are not in any of this bot's groups yet.")})  # fmt: skip
        wanted = json_id(body.get("group"))
        chat = next((chat for chat in groups if chat.id == wanted), groups[0])
        card = await self._card(chat, user.id)
        names = [{"id": c.id, "title": c.title} for c in groups]
        return web.json_response({"ok": True, "groups": names, **card})

    async def _card(self, chat: Chat, user_id: int) -> dict[str, Any]:
        """The member's card (as /me has it), and the page's own parts: the shop at their
        tier's price, their coupons and this month's sign-ins."""
        domain = self.site.domain
        async with self.site.pool() as db:
            profile = await domain.chats(db).profile(chat.id)
            assert profile is not None
            card = await domain.member_cards(db).card(profile, user_id)
            shop = domain.shop(db)
            rewards = await shop.shelf(chat.id)
            free = await shop.free_codes([reward.id for reward in rewards])
            received = await shop.received(chat.id, user_id)
            today = domain.clock.today_in(profile.timezone)
            first = today.replace(day=1)
            days = await db.scalars(select(Checkin.day).where(
                Checkin.chat_id == chat.id, Checkin.user_id == user_id,
                Checkin.day >= first, Checkin.day <= today))  # fmt: skip
        signed = {day.isoformat() for day in days}
        discount = card.tier.discount if card.tier else 0
        return {
            "group": {"id": chat.id, "title": chat.title},
            **card_fields(card, self.site.i18n.current_locale),
            "rewards": [
                {
                    "id": reward.id, "name": reward.name, "icon": kind_icon(reward),
                    "price": discounted(reward.price, discount), "kind": reward.kind,
                    "left": free.get(reward.id) if reward.kind == "coupon" else reward.stock,
                }
                for reward in rewards
            ],
            "coupons": [
                {
                    "name": reward.name, "code": code, "status": redemption.status,
                    "expires": redemption.expires_at.date().isoformat()
                    if redemption.expires_at else None,
                }
                for redemption, reward, code in received
            ],
            "calendar": _month(first, today, signed),
        }  # fmt: skip

    async def redeem(self, user: MiniAppUser, body: dict[str, Any]) -> web.StreamResponse:
        group, reward_id = json_id(body.get("group")), json_id(body.get("reward"))
        press = body.get("key")
        if group is None or reward_id is None:
            return web.json_response({"ok": False, "error": "group and reward are whole "
                                      "numbers (ids)"}, status=400)  # fmt: skip
        if not isinstance(press, str) or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", press):
            press = secrets.token_hex(8)  # no key: this press is its own
        if not any(chat.id == group for chat in await self._groups(user.id)):
            return web.json_response({"ok": False, "error": "not a member of that group"},
                                     status=403)  # fmt: skip
        domain, language = self.site.domain, self.site.i18n.current_locale
        async with self.site.pool() as db:
            profile = await domain.chats(db).profile(group)
            assert profile is not None
            tier, ladder = await member_tier(domain.tiers(db), domain.points(db), group, user.id)
            try:
                reward = await domain.shop(db).reward(group, reward_id)
            except RewardNotFound:
                return web.json_response({"ok": False, "text": plain(
                    refusal("gone", None, 0, 0, None, language))})  # fmt: skip
        discount = tier.discount if tier else 0
        price = discounted(reward.price, discount)
        request = RedeemRequest(
            group, user.id, reward_id, f"app:{group}:{user.id}:{reward_id}:{press}", ladder,
            profile.timezone, discount, language,
        )  # fmt: skip
        done = await self.site.redeeming.redeem(request)
        if isinstance(done, Refused):
            text = refusal(done.reason, reward, price, done.balance,
                           required_tier(ladder, reward), language)  # fmt: skip
            return web.json_response({"ok": False, "text": plain(text)})
        text = redeemed(reward, done.redemption.price, done.balance, done.private, done.already)
        return web.json_response({"ok": True, "text": plain(text)})


def _month(first: date, today: date, signed: set[str]) -> list[dict[str, Any]]:
    """This month up to today, each day with whether the member signed in."""
    days, day = [], first
    while day <= today:
        days.append({"day": day.day, "signed": day.isoformat() in signed})
        day += timedelta(days=1)
    return days
