"""What a 拼团 says: its post (kept current) and button, a press's toast, and each participant's
private result. Pure functions, called in the chat's language."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import GroupBuy
from services.group_buys import Joining, standing
from views.keyboards import Button
from views.numbers import number, yuan


class GroupBuyButton(Button, prefix="gb"):
    """A 拼团 post's buttons: join (1) or leave (0)."""

    id: int
    join: int


def group_buy_keyboard(group_buy: GroupBuy) -> InlineKeyboardMarkup | None:
    if group_buy.status != "open":
        return None
    join = GroupBuyButton(id=group_buy.id, join=1).pack()
    leave = GroupBuyButton(id=group_buy.id, join=0).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="参团 / Join", callback_data=join),
                InlineKeyboardButton(text="退出 / Leave", callback_data=leave),
            ]
        ]
    )


def group_buy_post(group_buy: GroupBuy, timezone: str) -> str:
    lines = [
        _("🛒 <b>拼团 #{id}</b>: {item}").format(id=group_buy.id, item=escape(group_buy.item)),
        " · ".join(
            _("{count}+: {price}").format(count=number(members), price=yuan(fen))
            for members, fen in group_buy.price_tiers
        ),
    ]
    now = standing(group_buy)
    joined = ngettext("{count} joined so far", "{count} joined so far", group_buy.joined).format(
        count=number(group_buy.joined)
    )
    if group_buy.status == "formed" and group_buy.price_fen is not None:
        lines.append(
            _("{joined} · formed at {price}: codes sent privately.").format(
                joined=joined, price=yuan(group_buy.price_fen)
            )
        )
        return "\n".join(lines)
    if group_buy.status == "failed":
        lines.append(_("{joined} · did not form.").format(joined=joined))
        return "\n".join(lines)
    price = yuan(now.price_fen) if now.price_fen is not None else _("not yet")
    lines.append(_("{joined} · price now: {price}").format(joined=joined, price=price))
    if now.next_members is not None and now.next_price_fen is not None:
        more = now.next_members - group_buy.joined
        lines.append(
            ngettext("{count} more for {price}", "{count} more for {price}", more).format(
                count=number(more), price=yuan(now.next_price_fen)
            )
        )
    ends = group_buy.ends_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    lines.append(_("Ends {ends}").format(ends=ends))
    return "\n".join(lines)


def joining_toast(outcome: Joining) -> str:
    toasts = {
        Joining.JOINED: _("✅ You're in. Your code comes privately when it ends."),
        Joining.ALREADY: _("You've already joined."),
        Joining.LEFT: _("You left this group buy."),
        Joining.NOT_IN: _("You haven't joined."),
        Joining.CLOSED: _("This group buy has ended."),
    }
    return toasts.get(outcome, _("This button no longer works."))


def group_buy_result(group_buy: GroupBuy, code: str | None) -> str:
    """To one participant, privately."""
    item = escape(group_buy.item)
    if group_buy.status != "formed" or group_buy.price_fen is None:
        return _("😔 拼团 #{id} {item} did not form: not enough joined.").format(
            id=group_buy.id, item=item
        )
    text = _("🎉 拼团 #{id} {item} formed at {price}.").format(
        id=group_buy.id, item=item, price=yuan(group_buy.price_fen)
    )
    if code is None:
        return text + "\n" + _("The codes ran out: an admin will send yours.")
    return text + "\n" + _("Your coupon code: <code>{code}</code>").format(code=escape(code))


def group_buy_problem(field: str) -> str:
    """Why the command was refused, by the field its parser named."""
    reasons = {
        "item": _("Give the item, then the price tiers."),
        "tiers": _("Price tiers are members:yuan, more members cheaper: 2:99,5:89,10:79."),
        "ends": _("ends= is needed, 10 s to 90 days from now: 30m, 2h, 7d or 2026-12-01 20:00."),
        "pool": _("pool= names a coupon reward of the shop by its number (/rewards)."),
    }
    return reasons.get(field, reasons["item"])
