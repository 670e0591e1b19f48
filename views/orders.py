"""What the bot says about orders: imports, recorded and refunded orders, bindings, and the
private note on what an order earned. Pure functions of the services' results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Campaign, Order
from services.bindings import BindStatus, Bound
from services.order_files import OrderFileError
from services.orders import ImportReport, MemberOrders, PointsState, Tally, payable
from services.sales import CampaignSales, CouponFunnel, OrderFigures
from services.tiers import Tier
from views.numbers import number, yuan
from views.wording import aside, sentences

MAX_REFUSED_SHOWN = 10


def refused_lines(refused: list[tuple[int, str]]) -> list[str]:
    """A file's refused lines (line number, reason), the first `MAX_REFUSED_SHOWN` of them:
    what an order import and a members import say alike."""
    if not refused:
        return []
    lines = [
        ngettext("⚠️ {n} line refused:", "⚠️ {n} lines refused:", len(refused)).format(
            n=number(len(refused))
        )
    ]
    lines += [
        _("line {line}: {reason}").format(line=number(line), reason=reason)
        for line, reason in refused[:MAX_REFUSED_SHOWN]
    ]
    if len(refused) > MAX_REFUSED_SHOWN:
        lines.append(_("… and {n} more").format(n=number(len(refused) - MAX_REFUSED_SHOWN)))
    return lines


def refusal_reason(reason: str) -> str:
    return {
        "order id": _("no order id"),
        "buyer": _("no buyer nickname"),
        "amount": _("the amount is not a sum of money"),
        "status": _("unknown status"),
        "paid at": _("the payment time is not a date"),
        "refund": _("the refund is more than the amount"),
        "twice": _("the same order id with another amount"),
        "too long": _("a field is too long"),
    }.get(reason, reason)


def file_problem(error: OrderFileError) -> str:
    if error.reason == "columns":
        return _("The file has no column for: {fields}. fanbot reads Taobao/Tmall exports "
                 "(订单编号, 买家会员名, 买家实际支付金额) or order_id,buyer,amount.").format(
            fields=", ".join(error.missing))  # fmt: skip
    if error.reason == "mixed encoding":
        return _("Line {line} is not {encoding} like the lines before it: save the whole "
                 "file in one encoding (UTF-8) and send it again.").format(
            line=error.line, encoding=error.encoding)  # fmt: skip
    if error.reason == "too long":
        return _("Line {line}: a field is too long; that is no order export.").format(
            line=error.line
        )
    return {
        "too big": _("The file is over 20 MB; split it."),
        "not text": _("That file is not text: send the CSV export (UTF-8 or GBK)."),
        "empty": _("The file is empty."),
        "too many rows": _("The file has over 100,000 orders; split it."),
    }.get(error.reason, _("I couldn't read that file; send it again."))


def tally_lines(tally: Tally) -> list[str]:
    """What an import did, one line per outcome: the new paid orders always, the rest when
    they happened (a closed order, a line already in, a line twice in the file)."""
    lines = [
        ngettext("🧾 {n} new paid order", "🧾 {n} new paid orders", tally.new).format(
            n=number(tally.new)
        )
        if tally.new
        else _("🧾 No new paid orders")
    ]
    if tally.new:
        lines.append(
            _("👤 {credited} credited to members, {waiting} waiting for /bind").format(
                credited=number(tally.credited), waiting=number(tally.waiting)
            )
        )
    if tally.points:
        lines.append(
            ngettext("💰 {n} purchase point", "💰 {n} purchase points", tally.points).format(
                n=number(tally.points)
            )
        )
    counted = [
        (tally.closed, ngettext(
            "🚫 {n} closed or refunded order recorded, without points",
            "🚫 {n} closed or refunded orders recorded, without points", tally.closed)),
        (tally.refunds, ngettext(
            "↩️ {n} refund applied to an order imported before",
            "↩️ {n} refunds applied to orders imported before", tally.refunds)),
        (tally.same, ngettext(
            "🔁 {n} order already imported before: unchanged",
            "🔁 {n} orders already imported before: unchanged", tally.same)),
        (tally.repeated, ngettext(
            "📑 {n} line repeats an order of this file: counted once",
            "📑 {n} lines repeat an order of this file: counted once", tally.repeated)),
        (tally.unpaid, ngettext(
            "⏳ {n} order not paid yet: skipped", "⏳ {n} orders not paid yet: skipped",
            tally.unpaid)),
    ]  # fmt: skip
    lines += [text.format(n=number(n)) for n, text in counted if n]
    return lines


def import_text(report: ImportReport) -> str:
    tally = report.tally
    lines = [
        ngettext(
            "<b>Orders imported</b> ({rows} row)", "<b>Orders imported</b> ({rows} rows)",
            report.rows,
        ).format(rows=number(report.rows))
    ]  # fmt: skip
    lines += tally_lines(tally)
    refused = sorted(
        [(line.line, refusal_reason(line.reason)) for line in report.refused]
        + [(line, refusal_reason("twice")) for line in tally.conflicts]
    )
    lines += refused_lines(refused)
    return "\n".join(lines)


def recorded_text(tally: Tally, name: str, amount_fen: int, order_id: str) -> str:
    if tally.conflicts:
        return _("Order {id} is already in with another amount; nothing changed.").format(
            id=escape(order_id)
        )
    if not tally.new:
        return _("Order {id} is already in.").format(id=escape(order_id))
    return ngettext(
        "🧾 Order {id}: {amount} for {name}, {points} point waiting for the return window.",
        "🧾 Order {id}: {amount} for {name}, {points} points waiting for the return window.",
        tally.points,
    ).format(id=escape(order_id), amount=yuan(amount_fen), name=escape(name),
             points=number(tally.points))  # fmt: skip


def bound_text(bound: Bound, group: str | None = None, *, admins_told: bool = True) -> str:
    where = aside(escape(group)) if group else ""
    if bound.status is BindStatus.TAKEN:
        if not admins_told:
            return _("That shop nickname is bound to another member; an admin can move it.") + where
        return (
            _("That shop nickname is already bound to another member; the admins were told.")
            + where
        )
    if bound.status is BindStatus.NO_MATCH:
        return no_match_text(bound.buyer) + where
    if bound.status is BindStatus.ALREADY:
        return _("✅ {nickname} is already yours.").format(nickname=escape(bound.buyer)) + where
    text = _("✅ Shop nickname {nickname} bound.").format(nickname=escape(bound.buyer)) + where
    if bound.credited:
        text = sentences(
            text,
            ngettext(
                "{n} earlier order is now yours ({points} points).",
                "{n} earlier orders are now yours ({points} points).",
                bound.credited,
            ).format(n=number(bound.credited), points=number(bound.points)),
        )
    return text


def member_order_lines(mine: MemberOrders) -> list[str]:
    """/me's lines once a member has bought something (or has points waiting)."""
    if not mine.orders and not mine.pending_points and not mine.owed:
        return []
    lines = [
        ngettext("🛍 {n} order, {amount}", "🛍 {n} orders, {amount}", mine.orders).format(
            n=number(mine.orders), amount=yuan(mine.spent_fen)
        )
    ]
    if mine.pending_points:
        lines[0] += " · " + _("⏳ {points} points pending").format(
            points=number(mine.pending_points)
        )
    if mine.owed:
        lines.append(_("↩️ {points} points owed after a refund").format(points=number(mine.owed)))
    return lines


def item_line(title: str | None) -> str:
    """The order's item title (宝贝标题) under a private note about it, when the shop gave one."""
    return f"\n📦 {escape(title)}" if title else ""


def order_points_text(
    group: str,
    amount_fen: int,
    points: int,
    confirm_at: datetime,
    timezone: str,
    title: str | None = None,
) -> str:
    day = confirm_at.astimezone(ZoneInfo(timezone))
    return ngettext(
        "🛍 Thank you for your order of {amount} ({group})! It earns {points} point, "
        "yours on {day} once the return window closes.",
        "🛍 Thank you for your order of {amount} ({group})! It earns {points} points, "
        "yours on {day} once the return window closes.",
        points,
    ).format(amount=yuan(amount_fen), group=escape(group), points=number(points),
             day=f"{day:%Y-%m-%d}") + item_line(title)  # fmt: skip


def order_state(order: Order) -> str:
    """An order's state as the console shows it: paid, partly refunded, refunded."""
    if order.refunded_fen >= order.amount_fen:
        return _("refunded")
    return _("partly refunded") if order.refunded_fen else _("paid")


def points_state(order: Order, timezone: str) -> str:
    """What an order's purchase points are doing: waiting for its buyer's /bind, pending until
    the return window closes (that local day), paid, or none (refunded, or nothing to pay)."""
    if order.refunded_fen >= order.amount_fen or order.points_state == PointsState.VOID:
        return _("no points")
    if order.points_state == PointsState.WAITING:
        return _("waiting for /bind")
    if order.points_state == PointsState.PENDING and order.confirm_at is not None:
        day = order.confirm_at.astimezone(ZoneInfo(timezone))
        return ngettext(
            "{points} point on {day}", "{points} points on {day}", payable(order)
        ).format(points=number(payable(order)), day=f"{day:%Y-%m-%d}")
    paid = order.points - order.clawed_back
    return ngettext("{points} point paid", "{points} points paid", paid).format(points=number(paid))


BIND_EXAMPLE = "/bind 小明爱喝茶 3012345678901234567 199.00"


def bind_privately(bot_username: str) -> tuple[str, InlineKeyboardMarkup]:
    """A member's /bind in the group: proof is given privately, through the bot's link."""
    button = InlineKeyboardButton(
        text=_("🔐 Bind privately"), url=f"https://t.me/{bot_username}?start=bind"
    )
    text = _("🔐 A shop nickname is bound with proof that it is yours: I'll ask for it privately.")
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])


def bind_prompt(nickname: str | None, tries: int) -> str:
    """What proof to send, privately (the deep link, /bind alone, or a nickname alone)."""
    lead = (
        _("🔐 To bind {nickname}, prove it is yours:").format(nickname=escape(nickname))
        if nickname
        else _("🔐 To bind your shop nickname, prove it is yours:")
    )
    return "\n".join([
        lead,
        _("send it with the order number (订单编号) and amount paid (实付款) of one of its orders "
          "from the shop, e.g."),
        f"<code>{escape(BIND_EXAMPLE)}</code>",
        _("Both are in Taobao under 我的淘宝 → 已买到的宝贝 → 订单详情. An order counts once the "
          "shop has imported it."),
        ngettext("{n} try a day.", "{n} tries a day.", tries).format(n=number(tries)),
    ])  # fmt: skip


def no_match_text(nickname: str, left: int | None = None) -> str:
    """A proof that is none of the nickname's orders: the same answer whether the nickname has
    orders or not, so that nobody learns which nicknames bought."""
    text = _("No order of {nickname} here has that number and amount. A new order counts once "
             "the shop has imported it; an admin can also bind it for you.").format(
        nickname=escape(nickname))  # fmt: skip
    if left is None:
        return text
    return sentences(
        text, ngettext("{n} try left today.", "{n} tries left today.", left).format(n=number(left))
    )


def too_many_tries_text(tries: int) -> str:
    return ngettext(
        "You have used today's {n} try at binding; try again tomorrow, or ask an admin.",
        "You have used today's {n} tries at binding; try again tomorrow, or ask an admin.",
        tries,
    ).format(n=number(tries))


def bind_claimed_text(
    group: str, claimant: str, holder: str, nickname: str, holder_proof: str | None
) -> str:
    """To the admins: a member proved a nickname another member holds (HTML with no tags: a
    log channel gets it unescaped, as plain text)."""
    held = {
        "unproven": _("bound before proof was asked"),
        "admin": _("bound by an admin"),
        "order": _("proven with an order too"),
    }.get(holder_proof or "unproven", _("bound before proof was asked"))
    return _(
        "⚠️ {group}: {claimant} proved the shop nickname {nickname} with one of its orders, but "
        "{holder} holds it ({held}). To move it, in the group: /bind @user {nickname}"
    ).format(
        group=escape(group), claimant=escape(claimant), nickname=escape(nickname),
        holder=escape(holder), held=held,
    )  # fmt: skip


def order_refunded_text(
    group: str, refunded_fen: int, amount_fen: int, points: int, paid: bool,
    title: str | None = None,
) -> str:  # fmt: skip
    """Privately: a refund took purchase points the member had been told of, or been paid."""
    said = (
        ngettext(
            "↩️ {refunded} of your order of {amount} ({group}) was refunded: {points} point is "
            "taken back.",
            "↩️ {refunded} of your order of {amount} ({group}) was refunded: {points} points are "
            "taken back.",
            points,
        )
        if paid
        else ngettext(
            "↩️ {refunded} of your order of {amount} ({group}) was refunded: {points} pending "
            "point is cancelled.",
            "↩️ {refunded} of your order of {amount} ({group}) was refunded: {points} pending "
            "points are cancelled.",
            points,
        )
    )
    return said.format(refunded=yuan(refunded_fen), amount=yuan(amount_fen), group=escape(group),
                       points=number(points)) + item_line(title)  # fmt: skip


def sales_text(
    sales: OrderFigures,
    active: int,
    rewards: Sequence[CouponFunnel],
    campaigns: Sequence[CouponFunnel],
    ladder: Sequence[Tier],
    language: str,
) -> str:
    """/stats' sales: orders, GMV, paying members, conversion, AOV, repeat purchase, AOV by
    tier (the same definition: GMV per buyer), and the coupon funnels."""
    conversion = sales.paying_members / active if active else 0.0
    names = {tier.key: tier.label(language) for tier in ladder}
    lines = [
        ngettext(
            "🛍 <b>Sales</b>: {orders} order · GMV {gmv}",
            "🛍 <b>Sales</b>: {orders} orders · GMV {gmv}",
            sales.orders,
        ).format(orders=number(sales.orders), gmv=yuan(sales.gmv_fen)),
        _("💳 Paying members: {payers} · conversion {rate} of {active} active").format(
            payers=number(sales.paying_members), rate=f"{conversion:.1%}", active=number(active)
        ),
        ngettext(
            "🧮 AOV (客单价): {aov} per buyer, {buyers} buyer · repeat purchase: {rate}",
            "🧮 AOV (客单价): {aov} per buyer, {buyers} buyers · repeat purchase: {rate}",
            sales.buyers,
        ).format(
            aov=yuan(sales.aov_fen), buyers=number(sales.buyers), rate=f"{sales.repeat_rate:.0%}"
        ),
    ]
    tiers = [
        f"{escape(names.get(each.tier or '', each.tier or '—'))} {yuan(each.aov_fen)}"
        for each in sales.by_tier[:4]
    ]
    if tiers:
        lines.append(_("🏅 AOV by tier: {tiers}").format(tiers=" · ".join(tiers)))
    for funnel in [*campaigns[:3], *rewards[:3]]:
        lines.append(funnel_line(funnel))
    return "\n".join(lines)


def funnel_line(funnel: CouponFunnel) -> str:
    return ngettext(
        "🎟 {name}: {issued} issued → {used} used → {orders} order, {gmv}",
        "🎟 {name}: {issued} issued → {used} used → {orders} orders, {gmv}",
        funnel.orders,
    ).format(
        name=escape(funnel.label), issued=number(funnel.issued), used=number(funnel.used),
        orders=number(funnel.orders), gmv=yuan(funnel.gmv_fen),
    )  # fmt: skip


def campaign_sales_text(campaign: Campaign, sales: CampaignSales) -> str:
    lines = [
        _("🎉 <b>{name}</b> (#{id})").format(name=escape(campaign.name), id=campaign.id),
        _("🪙 {points} points to {members} members under its multiplier").format(
            points=number(sales.points), members=number(sales.members)
        ),
        ngettext(
            "🛍 {orders} order from its coupons · GMV {gmv}",
            "🛍 {orders} orders from its coupons · GMV {gmv}",
            sales.orders,
        ).format(orders=number(sales.orders), gmv=yuan(sales.gmv_fen)),
    ]
    if sales.coupons is not None:
        lines.append(funnel_line(sales.coupons))
    return "\n".join(lines)
