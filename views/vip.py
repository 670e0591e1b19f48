"""What the bot says about VIP rooms and paid membership (issue 38): `/vip`, `/membership`, the
answers to a join request, the room's private notices, payments, and the figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import VipPlan, VipRoom
from services.tiers import Tier
from services.vip import Held, PaidUntil, VipFigures
from services.vip_rules import Rule, RuleError, Shortfall
from views.numbers import number

RULE_FORMS = "spend>=<yuan>, tag:<label>, paid"


def stars(count: int) -> str:
    return ngettext("{count} Star", "{count} Stars", count).format(count=number(count))


def tier_name(ladder: Sequence[Tier], key: str | None, language: str) -> str:
    tier = next((t for t in ladder if t.key == key), None)
    return escape(tier.label(language)) if tier else escape(key or "")


def rule_text(rule: Rule, ladder: Sequence[Tier], language: str) -> str:
    """The rule in words: “Gold or above · or a paid membership”."""
    parts = []
    if rule.tier:
        parts.append(_("{tier} or above").format(tier=tier_name(ladder, rule.tier, language)))
    if rule.spend_yuan is not None:
        parts.append(_("spent ¥{yuan} or more").format(yuan=number(rule.spend_yuan)))
    if rule.label:
        parts.append(_("tagged “{label}”").format(label=escape(rule.label)))
    if rule.paid:
        parts.append(_("a paid membership"))
    return _(" or ").join(parts)


def rule_problem(error: RuleError) -> str:
    if error.reason == "tier":
        return _("“{word}” is no tier of the ladder (/tiers), nor {forms}.").format(
            word=escape(error.word), forms=escape(RULE_FORMS)
        )  # fmt: skip
    if error.reason == "long":
        return _("A rule has 5 parts at most.")
    return _("Say who may come in: a tier, {forms}, joined by “or”.").format(
        forms=escape(RULE_FORMS)
    )


def room_made(room: VipRoom, rule: Rule, ladder: Sequence[Tier], language: str) -> str:
    lines = [
        _("👑 This group is now the VIP room. Who may come in: {rule}.").format(
            rule=rule_text(rule, ladder, language)
        ),
        _("Join requests only: {link}").format(link=room.link or "—"),
        ngettext(
            "Members who stop qualifying are told, then removed after {days} day.",
            "Members who stop qualifying are told, then removed after {days} days.",
            room.grace_days,
        ).format(days=room.grace_days),
    ]
    return "\n".join(lines)


def room_closed() -> str:
    return _("This group is no VIP room any more: join requests are left to the admins.")


def no_room() -> str:
    return _("This group is no VIP room: {form} makes it one.").format(
        form=escape("/vip room <rule>")
    )


def grace_set(days: int) -> str:
    return ngettext(
        "Members who stop qualifying may stay {days} day after they are told.",
        "Members who stop qualifying may stay {days} days after they are told.",
        days,
    ).format(days=days)


def grace_problem() -> str:
    return _("The grace period is 0 to 30 days.")


def cannot_link() -> str:
    return _(
        "I can't create the room's invite link: give me the “Invite users via link” right, "
        "then try again."
    )


def overview(
    rooms: Sequence[tuple[VipRoom, str]], plans: Sequence[VipPlan], ladder: Sequence[Tier],
    language: str,
) -> str:  # fmt: skip
    lines = [_("👑 VIP")]
    for room, title in rooms:
        rule = rule_text(Rule.stored(room.rule), ladder, language)
        lines.append(_("Room “{title}”: {rule}").format(title=escape(title), rule=rule))
    if not rooms:
        lines.append(_("No VIP room yet: {form} in the room.").format(
            form=escape("/vip room <rule>")))  # fmt: skip
    for plan in plans:
        lines.append(plan_line(plan, ladder, language))
    if not plans:
        lines.append(_("No plan yet: {form}").format(
            form=escape("/vip plan <name> <stars> [tier=…]")))  # fmt: skip
    return "\n".join(lines)


def plan_line(plan: VipPlan, ladder: Sequence[Tier], language: str) -> str:
    parts = [escape(plan.name), _("{stars} a month").format(stars=stars(plan.stars))]
    if plan.tier:
        parts.append(_("{tier} perks").format(tier=tier_name(ladder, plan.tier, language)))
    if plan.points:
        parts.append(_("+{points} points a month").format(points=number(plan.points)))
    if not plan.on_sale:
        parts.append(_("off sale"))
    line = "• " + " · ".join(parts)
    return f"{line}\n  {plan.link}" if plan.on_sale and plan.link else line


def plan_buttons(plans: Sequence[VipPlan]) -> list[list[InlineKeyboardButton]]:
    """A paid plan's link as a button (the shop's page ends with them)."""
    return [
        [InlineKeyboardButton(text=f"👑 {plan.name} · {plan.stars} ⭐", url=plan.link)]
        for plan in plans
        if plan.link
    ]


def plan_items(plans: Sequence[VipPlan]) -> list[dict[str, str]]:
    """The Mini App's plans: each opens its invoice in Telegram (`openInvoice`)."""
    return [
        {"name": plan.name, "price": _("{stars} a month").format(stars=stars(plan.stars)),
         "link": plan.link, "button": _("Subscribe")}
        for plan in plans
        if plan.link
    ]  # fmt: skip


def plan_made(plan: VipPlan, ladder: Sequence[Tier], language: str) -> str:
    return "\n".join([
        _("✅ Plan “{name}” on sale.").format(name=escape(plan.name)),
        plan_line(plan, ladder, language),
    ])  # fmt: skip


def plan_problem(reason: str) -> str:
    return {
        "name": _("Name the plan in 1 to 32 characters."),
        "taken": _("There is a plan of that name already: /vip lists them."),
        "stars": _("A plan costs 1 to 10,000 Stars a month."),
        "points": _("A plan gives 0 to 100,000 points a month."),
        "tier": _("That is no tier of the ladder (/tiers)."),
    }[reason]


def plan_stopped(name: str) -> str:
    return _("Plan “{name}” is off sale; who holds it keeps it while they pay.").format(
        name=escape(name)
    )


def no_such_plan(name: str) -> str:
    return _("There is no plan called “{name}”: /vip lists them.").format(name=escape(name))


def refund_done(name: str, count: int, *, ended: bool) -> str:
    """Said in the group: no charge id (a member's payment record), whether they still hold a
    membership another payment pays for."""
    if ended:
        text = _("↩️ Refunded {stars} to {name}; the membership has ended.")
    else:
        text = _("↩️ Refunded {stars} to {name}; another payment still pays for the membership.")
    return text.format(stars=stars(count), name=escape(name))


def no_payment() -> str:
    return _("No payment of theirs to refund.")


def refund_reason_missing() -> str:
    return _("Give a reason for the refund.")


# -- members -------------------------------------------------------------------------------


def until(day: date) -> str:
    return day.isoformat()


def held_lines(held: Sequence[tuple[Held, date]]) -> list[str]:
    lines = []
    for membership, day in held:
        if membership.canceled:
            lines.append(_("👑 {plan}: until {day} (cancelled, not renewed)").format(
                plan=escape(membership.plan), day=until(day)))  # fmt: skip
        else:
            lines.append(_("👑 {plan}: until {day}, renewed monthly").format(
                plan=escape(membership.plan), day=until(day)))  # fmt: skip
    return lines


def paid_lines(paid: Sequence[PaidUntil], *, html: bool = True) -> list[str]:
    """/me (HTML) and the Mini App (plain text): each paid membership, until when."""
    return [
        (
            _("👑 {plan} until {day}") if held.renews else _("👑 {plan} until {day}, not renewed")
        ).format(plan=escape(held.plan) if html else held.plan, day=until(held.last_day))
        for held in paid
    ]


def membership_card(
    held: Sequence[tuple[Held, date]], plans: Sequence[VipPlan], ladder: Sequence[Tier],
    language: str,
) -> str:  # fmt: skip
    lines = held_lines(held) or [_("You have no paid membership.")]
    if plans:
        lines.append(_("Plans (paid in Telegram Stars):"))
        lines += [plan_line(plan, ladder, language) for plan in plans]
    if any(not membership.canceled for membership, _day in held):
        lines.append(_("Stop renewing: /membership cancel"))
    return "\n".join(lines)


def canceled(held: Sequence[tuple[Held, date]]) -> str:
    days = ", ".join(until(day) for _held, day in held)
    return _("Cancelled: no further payments. Your membership lasts until {day}.").format(day=days)


def nothing_to_cancel() -> str:
    return _("You have no membership that renews.")


def pay_support() -> str:
    return _(
        "Paid membership is sold in Telegram Stars. For a question or a refund, write to the "
        "group's admins: they can refund a payment. /membership shows yours and cancels it."
    )


def paid_thanks(plan: str, day: date, first: bool) -> str:
    if first:
        return _(
            "👑 Welcome to {plan}! Your membership lasts until {day}, renewed monthly."
        ).format(plan=escape(plan), day=until(day))
    return _("👑 {plan} renewed: your membership lasts until {day}.").format(
        plan=escape(plan), day=until(day)
    )


def checkout_refused(reason: str) -> str:
    if reason == "price":
        return _("This plan's price changed: open the plan again from /membership.")
    return _("This plan is no longer on sale.")


def shortfall_lines(short: Shortfall, language: str) -> list[str]:
    """What would qualify a member: “380 more points to reach Gold” …"""
    lines = []
    tier = escape(short.tier.label(language)) if short.tier else ""
    if short.points:
        lines.append(_("{points} more points to reach {tier}").format(
            points=number(short.points), tier=tier))  # fmt: skip
    if short.tier_yuan:
        lines.append(_("¥{yuan} more spent to reach {tier}").format(
            yuan=number(short.tier_yuan), tier=tier))  # fmt: skip
    if short.yuan:
        lines.append(_("¥{yuan} more spent in the shop").format(yuan=number(short.yuan)))
    if short.paid:
        lines.append(_("a paid membership: /membership"))
    if short.invited:
        lines.append(_("an invitation from the admins"))
    return lines


def declined(title: str, short: Shortfall, plans: Sequence[VipPlan], language: str) -> str:
    lines = [_("Your request to join {title} was declined: it is for VIP members.").format(
        title=escape(title))]  # fmt: skip
    ways = shortfall_lines(short, language)
    if ways:
        lines.append(_("What would let you in:"))
        lines += [f"• {way}" for way in ways]
    lines += [f"• {escape(plan.name)}: {stars(plan.stars)} — {plan.link}" for plan in plans]
    return "\n".join(lines)


def invited(title: str, link: str) -> str:
    return _("👑 You qualify for {title}, the VIP room. Ask to join here: {link}").format(
        title=escape(title), link=link
    )


def warned(title: str, day: date, ways: Sequence[str]) -> str:
    lines = [_("You no longer qualify for {title}. You may stay until {day}.").format(
        title=escape(title), day=until(day))]  # fmt: skip
    if ways:
        lines.append(_("What would keep you in:"))
        lines += [f"• {way}" for way in ways]
    return "\n".join(lines)


def removed(title: str) -> str:
    return _("You were removed from {title}, the VIP room. You may ask to join again once you "
             "qualify.").format(title=escape(title))  # fmt: skip


def figures(title: str, vip: VipFigures, month: str) -> str:
    lines = [_("👑 Paid membership · {title} · {month}").format(title=escape(title), month=month)]
    for name, count in vip.active:
        lines.append(_("{plan}: {count} active").format(plan=escape(name), count=number(count)))
    if not vip.active:
        lines.append(_("No active members."))
    lines.append(
        _("New {new} · renewed {renewed} · lapsed {lapsed} · refunded {refunded}").format(
            new=number(vip.new),
            renewed=number(vip.renewed),
            lapsed=number(vip.lapsed),
            refunded=number(vip.refunded),
        )
    )
    lines.append(_("Stars this month: {stars}").format(stars=number(vip.stars)))
    return "\n".join(lines)


def telegram_refused(description: str) -> str:
    return _("Telegram refused: {reason}").format(reason=escape(description))
