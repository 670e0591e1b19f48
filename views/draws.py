"""What a draw says in the group: its post (kept current), its result, and their buttons.

Pure functions of the draw, called in the group's language (the outbox sender renders them
when it sends: `workflows/outbox.py`).
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from models import Draw
from services.badges import DRAW_PREFIX
from services.tiers import Tier
from views.keyboards import Button
from views.numbers import number
from views.quests import badge_label
from views.wording import listed


class DrawButton(Button, prefix="draw"):
    """The "参加 / Join" button on a draw's post."""

    id: int


class ClaimButton(Button, prefix="claim"):
    """The "领奖 / Claim" button on a draw's result: winners say they are there."""

    id: int


def draw_state(status: str) -> str:
    """A draw's status in words (the console's pages; the draw page)."""
    states = {"open": _("open"), "ended": _("ended"), "cancelled": _("cancelled")}
    return states.get(status, status)


def claim_keyboard(draw_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="领奖 / Claim", callback_data=ClaimButton(id=draw_id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def join_keyboard(draw_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="参加 / Join", callback_data=DrawButton(id=draw_id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def post_keyboard(draw: Draw) -> InlineKeyboardMarkup | None:
    """The post's Join button, while the draw is open."""
    return join_keyboard(draw.id) if draw.status == "open" and draw.event_id is None else None


def render_post(draw: Draw, timezone: str) -> str:
    language = I18n.get_current(no_error=False).current_locale
    ends = draw.ends_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    lines = [
        _("🎁 <b>Lucky draw #{id}</b>: {prize}").format(id=draw.id, prize=escape(draw.prize)),
        _("Winners: {count} · Ends: {ends} ({timezone})").format(
            count=draw.winners, ends=ends, timezone=timezone
        ),
    ]
    needs = requirements(draw, language)
    if needs:
        lines.append(_("Requirements: {list}").format(list=listed(needs)))
    if draw.cost:
        lines.append(
            ngettext("Entry: {cost} point", "Entry: {cost} points", draw.cost).format(
                cost=number(draw.cost)
            )
        )
    lines.append(_("Entrants: {count}").format(count=number(draw.entrants)))
    lines.append(_("Seed commitment (SHA-256): <code>{hash}</code>").format(hash=draw.commitment))
    if draw.status == "ended":
        lines.append(_("🏁 Ended. /verify {id}").format(id=draw.id))
    elif draw.status == "cancelled":
        lines.append(_("❌ Cancelled; entry costs were refunded."))
    return "\n".join(lines)


def requirements(draw: Draw, language: str) -> list[str]:
    needs = []
    if draw.min_tier:
        tier = Tier(draw.min_tier, draw.min_lifetime).label(language)
        needs.append(_("{tier} or above").format(tier=escape(tier)))
    if draw.min_points:
        needs.append(_("{points}+ points").format(points=number(draw.min_points)))
    if draw.min_member_days:
        needs.append(_("in the group {days}+ days").format(days=draw.min_member_days))
    if draw.min_messages:
        needs.append(_("{count}+ messages").format(count=number(draw.min_messages)))
    if draw.label is not None and draw.label.startswith(DRAW_PREFIX):  # a badge is public
        needs.append(_("the badge {badge}").format(badge=badge_label(draw.label[6:])))
    elif draw.label is not None:  # the label's name is the admins': everyone reads the post
        needs.append(_("selected members only"))
    if draw.event_id is not None:
        needs.append(_("signed up for event #{id}, sending its keyword during it").format(
            id=draw.event_id))  # fmt: skip
    return needs


def render_result(draw: Draw, entrants: int, names: dict[int, str], page: str | None = None) -> str:
    """The result post; `page`: the draw's public page, where a browser checks the winners."""
    head = _("🏁 <b>Draw #{id} has ended</b>: {prize}").format(id=draw.id, prize=escape(draw.prize))
    if not draw.winner_ids:
        return "\n".join([head, _("No entrants, so no winners.")])
    mentions = [
        f'{place}. <a href="tg://user?id={user}">{escape(names.get(user) or str(user))}</a>'
        + (" ✅" if user in draw.claimed_ids else "")
        for place, user in enumerate(draw.winner_ids, start=1)
    ]
    lines = [head, _("🎉 Winners (press Claim to collect):"), *mentions]
    if entrants < draw.winners:
        lines.append(_("Fewer entrants than prizes: every entrant wins."))
    elif entrants == draw.winners:
        lines.append(_("As many entrants as prizes: every entrant wins."))
    lines += [
        ngettext("{count} entrant", "{count} entrants", entrants).format(count=number(entrants)),
        _("Seed: <code>{seed}</code>").format(seed=draw.seed),
        _("Anyone can check the winners: send /verify {id}").format(id=draw.id),
    ]
    if page is not None:
        lines.append(_('🔎 <a href="{url}">Check them in your browser</a>').format(
            url=escape(page, quote=True)))  # fmt: skip
    return "\n".join(lines)
