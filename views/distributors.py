"""What the bot says about distributors and their commission (分销): `/distributor`,
`/commission`, `/payout`, `/stats distributors`."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.commission import Sums
from services.commission_figures import Figures
from services.distributors import Standing
from views.numbers import MEDALS, number, yuan

CODES_SHOWN = 10


def rate(rate_bp: int) -> str:
    """800 → 8%, 750 → 7.5%."""
    return f"{rate_bp / 100:g}%"


def added_text(name: str, rate_bp: int, link: str | None, new: bool) -> str:
    head = (
        _("✅ {name} now sells for the brand at {rate} commission.")
        if new
        else _("✅ {name}'s commission is now {rate}.")
    ).format(name=escape(name), rate=rate(rate_bp))
    lines = [head]
    if link:
        lines.append(_("Their link: {link}").format(link=link))
    lines.append(_("They see their link, codes and commission privately with /commission."))
    return "\n".join(lines)


def no_link_text() -> str:
    return _("⚠️ I could not make their link (I need the right to invite users); their coupon "
             "codes still count.")  # fmt: skip


def removed_text(name: str) -> str:
    return _(
        "🚫 {name} is no longer a distributor: new orders are not theirs; what they earned "
        "stays and is paid as before."
    ).format(name=escape(name))


def not_a_distributor_text(name: str) -> str:
    return _("{name} is not a distributor here: /distributor add @user").format(name=escape(name))


def bad_rate_text() -> str:
    return _("A rate is a percentage above 0 and at most 50, such as rate=8% or rate=7.5%.")


def codes_added_text(name: str, added: int, taken: Sequence[str]) -> str:
    lines = [
        ngettext(
            "🎟 {count} code added to {name}'s pool.",
            "🎟 {count} codes added to {name}'s pool.",
            added,
        ).format(count=number(added), name=escape(name))
    ]
    if taken:
        lines.append(
            ngettext(
                "{count} was in a pool already: {codes}",
                "{count} were in a pool already: {codes}",
                len(taken),
            ).format(count=number(len(taken)), codes=escape(", ".join(taken[:CODES_SHOWN])))
        )
    return "\n".join(lines)


def no_codes_text() -> str:
    return _("Name the codes, or generate some: /distributor codes @user generate 5")


def list_text(figures: Sequence[Figures], rates: dict[int, int]) -> str:
    if not figures:
        return _("No distributors yet: /distributor add @user [rate=8%]")
    lines = [_("🤝 Distributors")]
    for each in figures:
        lines.append(
            _("• {name} — {rate} · payable {payable}").format(
                name=escape(each.name), rate=rate(rates[each.user_id]),
                payable=yuan(each.sums.payable_fen),
            )
        )  # fmt: skip
    lines.append(_("Sales and the leaderboard: /stats distributors"))
    return "\n".join(lines)


def sums_lines(sums: Sums) -> list[str]:
    return [
        _("⏳ Pending: {amount} (in the return window)").format(amount=yuan(sums.pending_fen)),
        _("✅ Payable: {amount}").format(amount=yuan(sums.payable_fen)),
        _("💸 Paid: {amount}").format(amount=yuan(sums.paid_fen)),
    ]


def commission_text(standings: Sequence[tuple[Standing, str]]) -> str:
    """`/commission` privately: each program the member sells for, named by its group."""
    if not standings:
        return _("You are not a distributor of any group.")
    blocks = []
    for standing, group in standings:
        lines = [
            _("💰 Commission · {group} ({rate})").format(
                group=escape(group), rate=rate(standing.rate_bp)
            ),
            *sums_lines(standing.sums),
        ]
        if standing.removed:
            lines.append(_("You no longer sell for this group: new orders are not yours."))
        else:
            if standing.link:
                lines.append(_("🔗 Your link: {link}").format(link=standing.link))
            if standing.codes:
                shown = ", ".join(f"<code>{escape(c)}</code>" for c in standing.codes[:CODES_SHOWN])
                more = len(standing.codes) - CODES_SHOWN
                lines.append(_("🎟 Your coupon codes: {codes}").format(codes=shown))
                if more > 0:
                    lines.append(
                        ngettext("… and {count} more", "… and {count} more", more).format(
                            count=number(more)
                        )
                    )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def commission_is_private() -> str:
    return _("Your commission is private: I'll show it in our chat.")


def open_commission() -> str:
    return _("💰 Open my commission")


def payout_text(name: str, amount_fen: int, reference: str, sums: Sums) -> str:
    return _(
        "💸 Paid {amount} to {name} ({reference}). Payable now {payable}; paid in all {paid}."
    ).format(
        amount=yuan(amount_fen), name=escape(name), reference=escape(reference),
        payable=yuan(sums.payable_fen), paid=yuan(sums.paid_fen),
    )  # fmt: skip


def payout_refused_text(reason: str, name: str, payable_fen: int) -> str:
    return {
        "not a distributor": not_a_distributor_text(name),
        "nothing payable": _("{name} has nothing payable now.").format(name=escape(name)),
        "too much": _("That is more than {name}'s payable {amount}.").format(
            name=escape(name), amount=yuan(payable_fen)
        ),
        "already": _("A payout with that reference was recorded for {name} already.").format(
            name=escape(name)
        ),
    }[reason]


def bad_amount_text() -> str:
    return _("The amount is yuan, such as 120 or 99.50.")


def stats_text(title: str, figures: Sequence[Figures]) -> str:
    """`/stats distributors`: a leaderboard by commission, with orders and GMV."""
    if not figures:
        return _("No distributors yet: /distributor add @user [rate=8%]")
    lines = [_("📊 Distributors · {group}").format(group=escape(title))]
    for place, each in enumerate(figures):
        badge = MEDALS[place] if place < len(MEDALS) else f"{place + 1}."
        lines.append(
            ngettext(
                "{badge} {name}: {orders} order · GMV {gmv} · commission {commission}",
                "{badge} {name}: {orders} orders · GMV {gmv} · commission {commission}",
                each.orders,
            ).format(
                badge=badge, name=escape(each.name), orders=number(each.orders),
                gmv=yuan(each.gmv_fen), commission=yuan(each.commission_fen),
            )
        )  # fmt: skip
        lines.append(
            _("  pending {pending} · payable {payable} · paid {paid}").format(
                pending=yuan(each.sums.pending_fen), payable=yuan(each.sums.payable_fen),
                paid=yuan(each.sums.paid_fen),
            )
        )  # fmt: skip
    total = sum(each.gmv_fen for each in figures)
    lines.append(
        _("In all: GMV {gmv} · commission {commission}").format(
            gmv=yuan(total), commission=yuan(sum(each.commission_fen for each in figures))
        )
    )
    return "\n".join(lines)


def link_name(name: str) -> str:
    """The channel a distributor's link is (32 characters at most: Telegram's limit)."""
    return _("Seller {name}").format(name=name)[:32]


def export_caption(title: str) -> str:
    return _("📄 Commission ledger of {group}.").format(group=escape(title))


def in_joined_group() -> str:
    return _("This group sells for its program: set this in the program's first group.")


def link_days_set(days: int) -> str:
    return ngettext(
        "✅ A buyer who joined through a distributor's link is theirs for {days} day.",
        "✅ A buyer who joined through a distributor's link is theirs for {days} days.",
        days,
    ).format(days=number(days))


def link_days_line(days: int) -> str:
    return ngettext(
        "Distributor links: a buyer is theirs for {days} day after joining",
        "Distributor links: a buyer is theirs for {days} days after joining",
        days,
    ).format(days=number(days))


def link_days_of_program_line() -> str:
    """A group in another's program: the window is the program's, shown in its first group."""
    return _("Distributor links: the program's window, set in its first group")
