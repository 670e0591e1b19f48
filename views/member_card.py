"""What `/me` and `/points history` say of a member: pure functions of the card
(`services/member_card.py`) and of the ledger's last lines."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from services.campaigns import multiplier_text
from services.member_card import MemberCard
from services.standings import HistoryLine
from views.numbers import number, signed, yuan
from views.orders import member_order_lines
from views.points_expiry import expiring_line
from views.quests import quest_card_lines
from views.vip import paid_lines

BAR_LENGTH = 10
REASONS = {
    "message": __("message"), "checkin": __("sign-in"), "streak": __("streak bonus"),
    "topic": __("topic"), "draw": __("draw"), "referral": __("referral"),
    "admin": __("by an admin"), "redeem": __("redeemed"), "shop": __("redeemed"),
    "refund": __("refund"), "makeup": __("make-up sign-in"), "purchase": __("order"),
    "clawback": __("order refunded"), "boost": __("boost"), "reaction": __("reactions received"),
    "import": __("carried over"),
    "quest": __("mission"),
    "quest_bonus": __("missions completed"),
    "expire": __("expired"),
    "vip": __("paid membership"),
}  # fmt: skip


def card_text(card: MemberCard, name: str, language: str) -> str:
    """A member's standing in a group, as /me says it (in the group, or privately)."""
    tier = escape(card.tier.label(language)) if card.tier else "—"
    lines = [
        f"<b>{escape(name)}</b>",
        _("💰 Points: {points} (lifetime {lifetime})").format(
            points=number(card.points), lifetime=number(card.lifetime)
        ),
        _("🏅 Tier: {tier}").format(tier=tier),
    ]
    if (expiring := expiring_line(card.expiring)) is not None:
        lines.insert(2, f"⏳ {expiring}")
    lines += paid_lines(card.paid)  # after the tier a paid membership may hold
    if card.next_tier is not None:
        lines.append(
            f"{progress_bar(card.progress)} "
            + _("{missing} to {tier}").format(
                missing=yuan(card.to_next * 100) if card.by_spend else number(card.to_next),
                tier=escape(card.next_tier.label(language)),
            )
        )
    lines += [
        _("📊 Rank: #{rank}").format(rank=card.rank)
        if card.rank is not None
        else _("📊 Rank: not ranked yet"),
        ngettext("🔥 Streak: {days} day", "🔥 Streak: {days} days", card.streak).format(
            days=card.streak
        )
        + " · "
        + _("💬 Messages: {messages}").format(messages=number(card.messages)),
    ]
    if (campaign := card.campaign) is not None:
        lines.append(
            _("🎉 {name}: points {multiplier} until {end}").format(
                name=escape(campaign.name),
                multiplier=multiplier_text(campaign.multiplier_pct),
                end=f"{campaign.last_minute:%m-%d %H:%M}",
            )
        )
    if card.referrals.confirmed or card.referrals.pending:
        lines.append(
            _("🤝 Referrals: {confirmed} confirmed, {pending} waiting").format(
                confirmed=card.referrals.confirmed, pending=card.referrals.pending
            )
        )
    if card.redeemed:
        lines.append(
            ngettext("🎟 Redeemed: {n} reward · /mycoupons", "🎟 Redeemed: {n} rewards · /mycoupons",
                     card.redeemed).format(n=number(card.redeemed))
        )  # fmt: skip
    return "\n".join(lines + member_order_lines(card.orders) + quest_card_lines(card))


def progress_bar(done: float) -> str:
    filled = round(done * BAR_LENGTH)
    return "▰" * filled + "▱" * (BAR_LENGTH - filled) + f" {round(done * 100)}%"


def history_text(name: str, history: list[HistoryLine], timezone: str) -> str:
    """A member's last changes of points, newest first, as /points history says them."""
    if not history:
        return _("No points changes for {name} yet.").format(name=escape(name))
    zone = ZoneInfo(timezone)
    lines = [_("Last changes for {name}:").format(name=escape(name))]
    return "\n".join(lines + [history_line(line, zone) for line in history])


def history_line(line: HistoryLine, zone: ZoneInfo) -> str:
    entry = line.entry
    when = entry.created_at.astimezone(zone).strftime("%m-%d %H:%M")
    label = reason_label(entry.reason, entry.ref)
    note = f" · {escape(entry.ref)}" if entry.reason == "admin" and entry.ref else ""
    if line.campaign is not None:
        note += " · 🎉 " + escape(line.campaign)  # multiplied by this campaign
    return f"<code>{when}</code> {signed(entry.delta)} {label}{note}"


def reason_label(reason: str, ref: str | None) -> str:
    """A ledger row's reason in words: /points history and the console say it alike."""
    if reason == "clawback" and ref == "ban":  # `/ban … refund`, not an order
        return _("taken back at a ban")
    if reason == "clawback" and ref == "boost":  # the boost that paid was removed
        return _("boost removed")
    if reason == "clawback" and (ref or "").startswith("vip:"):  # a refunded membership
        return _("paid membership refunded")
    if reason == "merge":
        return _("accounts joined") if (ref or "").startswith("from:") else _("moved to the brand")
    return str(REASONS.get(reason, reason))


def reason_detail(reason: str, ref: str | None, rewards: Mapping[int, str]) -> str:
    """What a ledger row's `ref` points at, as plain text a reader knows: the reward by its
    name (`rewards`: id -> name), a draw or a topic by its number, an order by its number, an
    admin's own words."""
    if not ref or ref in ("ban", "boost") or reason == "expire":  # expire: its cut-off date
        return ""
    if ref == "owed":  # taken from new earnings: what a refund had left owing
        return _("owed from a refund")
    kind, _colon, ref_id = ref.partition(":")
    if kind == "reward" and ref_id.isdigit():
        return rewards.get(int(ref_id), f"#{ref_id}")
    if reason == "reaction" and kind == "message" and ref_id.isdigit():
        return _("message #{id}").format(id=ref_id)  # the message reacted to
    if kind in ("draw", "topic") and ref_id.isdigit():
        if reason == kind:  # 抽奖 · #5: the reason names it already
            return f"#{ref_id}"
        return (_("draw #{id}") if kind == "draw" else _("topic #{id}")).format(id=ref_id)
    if reason == "referral":
        return _("friend {user}").format(user=ref)
    return ref
