"""The Mini App's member centre (会员中心) as its page reads it: every text translated and every
number grouped here, in the member's language and the group's time zone, so that the page's
script (`web/static/miniapp.js`) only places plain text (it never parses HTML)."""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_skeleton, get_day_names

from models import Order, Redemption, Reward
from services.member_card import MemberCard
from services.member_centre import MemberCentre, ShelfItem
from services.orders import PointsState, payable
from views.numbers import number, yuan
from views.quests import quest_facts
from views.shop import badge_needed, kind_icon, redeemed_head, redemption_state
from views.vip import paid_lines


def page_labels() -> dict[str, str]:
    """The page's own words (headings, buttons), in the current language: the shell renders
    them in the browser's language and the card's answer again in the member's."""
    return {
        "title": _("Member centre"),
        "group": _("Group"),
        "calendar": _("Sign-ins this month"),
        "purchases": _("Shop orders"),
        "rewards": _("Points shop"),
        "coupons": _("My rewards"),
        "copy": _("Copy"),
        "copied": _("Copied"),
        "copy_failed": _("Press and hold the code to copy it."),
        "cancel": _("Cancel"),
        "confirm": _("Redeem"),
        "failed": _("This page opens from the bot: press 💳 My points in our chat."),
        "offline": _("No connection: try again in a moment."),
    }


def centre_page(centre: MemberCentre, name: str, language: str, timezone: str) -> dict[str, object]:
    """The member centre of one group: the card at the top, then the calendar, the shop's
    orders, the points shop and what the member received."""
    zone = ZoneInfo(timezone)
    return {
        "header": header(centre.card, name, language),
        "calendar": month_calendar(centre, language),
        "purchases": purchases(centre.card, centre.orders, zone),
        "rewards": [shelf_item(item, centre.card.points, language) for item in centre.shelf],
        "coupons": [received(*row, centre.now, zone) for row in centre.received],
        "none": _("Nothing yet."),
        "zone": _("Times are in the group's time zone ({zone}).").format(zone=timezone),
    }


def header(card: MemberCard, name: str, language: str) -> dict[str, object]:
    if card.next_tier is None:
        next_step = _("The top tier: well done!")
    else:
        missing = yuan(card.to_next * 100) if card.by_spend else number(card.to_next)
        next_step = _("{missing} to {tier}").format(
            missing=missing, tier=card.next_tier.label(language)
        )
    facts = [
        ngettext("🔥 Streak: {days} day", "🔥 Streak: {days} days", card.streak).format(
            days=number(card.streak)
        ),
        _("📊 Rank: #{rank}").format(rank=number(card.rank))
        if card.rank is not None
        else _("📊 Rank: not ranked yet"),
        _("Lifetime {points}").format(points=number(card.lifetime)),
        *paid_lines(card.paid, html=False),
        *quest_facts(card),
    ]
    return {
        "name": name,
        "initial": name[:1].upper() or "?",
        "tier": card.tier.label(language) if card.tier else _("No tier yet"),
        "balance": number(card.points),
        "unit": _("points"),
        "progress": round(card.progress, 4),
        "next": next_step,
        "facts": facts,
    }


def month_calendar(centre: MemberCentre, language: str) -> dict[str, object]:
    """This month in the group's time zone, weeks from Monday: each day signed, missed, today
    (not signed yet) or still to come."""
    today = centre.today
    first = today.replace(day=1)
    days = []
    for day in range(1, monthrange(today.year, today.month)[1] + 1):
        signed = first.replace(day=day) in centre.signed
        state = ("signed" if signed else "today" if day == today.day
                 else "future" if day > today.day else "missed")  # fmt: skip
        days.append({"day": day, "state": state})
    names = get_day_names("short", locale=language)
    return {
        "title": format_skeleton("yMMMM", first, locale=language),
        "weekdays": [names[weekday] for weekday in range(7)],
        "offset": first.weekday(),
        "days": days,
        "summary": ngettext(
            "Signed in {n} day this month", "Signed in {n} days this month", len(centre.signed)
        ).format(n=number(len(centre.signed))),
    }


def purchases(card: MemberCard, orders: list[Order], zone: ZoneInfo) -> dict[str, object]:
    mine = card.orders
    figures = [
        {"value": number(mine.pending_points), "label": _("Points pending")},
        {"value": yuan(mine.spent_fen), "label": _("Spent")},
        {"value": number(mine.orders), "label": _("Orders")},
    ]
    notes = []
    if mine.pending_points:
        notes.append(_("Purchase points are yours once an order's return window closes."))
    if mine.owed:
        notes.append(_("↩️ {points} points owed after a refund").format(points=number(mine.owed)))
    if not orders and not mine.nicknames:
        notes.append(_("Bind your shop nickname with /bind in a private chat with the bot: "
                       "your orders then earn points."))  # fmt: skip
    return {"figures": figures, "notes": notes, "orders": [order_row(o, zone) for o in orders]}


def order_row(order: Order, zone: ZoneInfo) -> dict[str, object]:
    title = order.title  # the item title (宝贝标题), when the import or post had one
    amount = yuan(order.amount_fen)
    if order.refunded_fen >= order.amount_fen:
        amount += " · " + _("refunded")
    elif order.refunded_fen:
        amount += " · " + _("{amount} refunded").format(amount=yuan(order.refunded_fen))
    if order.points_state == PointsState.PENDING and order.confirm_at is not None:
        points = payable(order)
        state = ngettext("+{n} point on {day}", "+{n} points on {day}", points).format(
            n=number(points), day=f"{order.confirm_at.astimezone(zone):%Y-%m-%d}"
        )
    elif order.points_state == PointsState.CONFIRMED:
        points = max(0, order.points - order.clawed_back)
        state = ngettext("+{n} point credited", "+{n} points credited", points).format(
            n=number(points)
        )
    else:
        state = _("no points")
    return {
        "title": title or _("Order {number}").format(number=order.order_id),
        "number": order.order_id if title else None,
        "when": f"{order.paid_at.astimezone(zone):%Y-%m-%d %H:%M}",
        "amount": amount,
        "points": state,
        "pending": order.points_state == PointsState.PENDING,
    }


def shelf_item(item: ShelfItem, balance: int, language: str) -> dict[str, object]:
    reward = item.reward
    if item.left is not None and item.left <= 0:
        button, enabled = _("Sold out"), False
    elif item.needs is not None:
        button, enabled = _("{tier} and above").format(tier=item.needs.label(language)), False
    elif item.badge is not None:
        button, enabled = unescape(badge_needed(item.badge)), False
    elif balance < item.price:
        short = item.price - balance
        button = ngettext("{n} point short", "{n} points short", short).format(n=number(short))
        enabled = False
    else:
        button, enabled = _("Redeem"), True
    return {
        "id": reward.id,
        "name": reward.name,
        "icon": kind_icon(reward),
        "photo": reward.image_file_id is not None,
        "price": ngettext("{n} point", "{n} points", item.price).format(n=number(item.price)),
        "was": number(reward.price) if item.price != reward.price else None,
        "left": ngettext("{n} left", "{n} left", item.left).format(n=number(item.left))
        if item.left is not None and item.left > 0
        else "",
        "button": button,
        "enabled": enabled,
        "confirm": ngettext(
            "Redeem {name} for {n} point?", "Redeem {name} for {n} points?", item.price
        ).format(name=reward.name, n=number(item.price)),
    }


def received(
    redemption: Redemption, reward: Reward, code: str | None, now: datetime, zone: ZoneInfo
) -> dict[str, object]:
    """A reward the member received, with its code and its state in words."""
    expires = redemption.expires_at
    if redemption.status in ("used", "sent"):
        state, tone = redemption_state(redemption.status), "done"
    elif expires is not None and expires < now:
        state, tone = redemption_state("expired"), "done"
    elif reward.kind == "gift":
        state, tone = _("to be sent"), "wait"
    elif reward.kind == "perk":
        state, tone = _("to be granted"), "wait"
    elif expires is not None:
        state = _("until {day}").format(day=f"{expires.astimezone(zone):%Y-%m-%d}")
        tone = "ok"
    else:
        state, tone = _("valid"), "ok"
    return {
        "name": reward.name,
        "icon": kind_icon(reward),
        "code": code,
        "state": state,
        "tone": tone,
        "when": f"{redemption.created_at.astimezone(zone):%Y-%m-%d}",
    }


def redeemed_here(reward: Reward, price: int, balance: int, already: bool) -> str:
    """What a press in the page bought (plain text): a coupon's code shows in the page."""
    where = {
        "coupon": _("Your code is under My rewards."),
        "gift": _("The admins will contact you to send it."),
    }.get(reward.kind, _("The admins will grant it soon."))
    return f"{redeemed_head(reward.name, price, balance, already)}\n{where}"
