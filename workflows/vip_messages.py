"""A VIP room's private notices (the payloads: `services/vip_messages.py`; the words:
`views/vip.py`), in the member's private chat, in the room's language."""

from __future__ import annotations

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.clock import local_day
from services.vip_messages import VipInvite, VipRemoved, VipWarning
from views import vip as view
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


async def _room(context: RenderContext, room_id: int) -> tuple[ChatProfile, str | None]:
    background = context.background
    async with background.session_pool() as session:
        room = await background.services.vip_rooms(session).room(room_id)
        profile = await background.services.chats(session).profile(room_id)
    if room is None or profile is None:
        raise LookupError("no such room")
    return profile, room.link


@renderers.register(VipInvite)
async def invite(context: RenderContext, profile: ChatProfile, notice: VipInvite) -> Delivery:
    room, link = await _room(context, notice.room_id)
    i18n = context.background.i18n
    with i18n.use_locale(reply_language(room, None, i18n.default_locale)):
        return Delivery(view.invited(room.title or str(room.id), link or ""))


@renderers.register(VipWarning)
async def warning(context: RenderContext, profile: ChatProfile, notice: VipWarning) -> Delivery:
    room, _link = await _room(context, notice.room_id)
    background = context.background
    async with background.session_pool() as session:
        rooms = background.services.vip_rooms(session)
        found = await rooms.room(notice.room_id)
        verdict = await rooms.verdict(found, profile.id) if found is not None else None
    language = reply_language(room, None, background.i18n.default_locale)
    with background.i18n.use_locale(language):
        ways = view.shortfall_lines(verdict.short, language) if verdict is not None else []
        day = local_day(notice.grace_until, room.timezone)
        return Delivery(view.warned(room.title or str(room.id), day, ways))


@renderers.register(VipRemoved)
async def removal(context: RenderContext, profile: ChatProfile, notice: VipRemoved) -> Delivery:
    room, _link = await _room(context, notice.room_id)
    i18n = context.background.i18n
    with i18n.use_locale(reply_language(room, None, i18n.default_locale)):
        return Delivery(view.removed(room.title or str(room.id)))
