"""What the group is told when nobody asked: tier-up congratulations, referral thanks,
campaign greetings and thanks, and welcomes.

Pure functions of the rows' payloads (`services/*_messages.py`), called in the group's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from aiogram.utils.i18n import gettext as _

from models import Campaign
from services.campaigns import last_minute, multiplier_text
from services.chats import ChatProfile
from services.referral_messages import ReferralThanks
from services.tiers import Tier
from views.numbers import number
from views.wording import listed, sentences

MAX_NAMES = 10  # then "…and N more"


def congratulation(promotions: Sequence[tuple[str, Tier]], language: str) -> str:
    """One member's tier-up with the tier's perks, or a list of everyone's of that minute."""
    if len(promotions) == 1:
        name, tier = promotions[0]
        text = _("🎉 {name} reached {tier}!").format(
            name=f"<b>{escape(name)}</b>", tier=escape(tier.label(language))
        )
        perks = tier.perks_text(language)
        return f"{text}\n{escape(perks)}" if perks else text
    shown = [
        f"• <b>{escape(name)}</b> → {escape(tier.label(language))}"
        for name, tier in promotions[:MAX_NAMES]
    ]
    if len(promotions) > MAX_NAMES:
        shown.append(_("…and {count} more").format(count=len(promotions) - MAX_NAMES))
    return "\n".join([_("🎉 New VIP tiers, congratulations!"), *shown])


def referral_thanks(thanked: Sequence[ReferralThanks], names: Mapping[int, str]) -> str:
    """The inviters paid in one moment: who brought whom, and what it earned them."""
    lines = [_("🤝 <b>Thanks for bringing friends!</b>")]
    for done in thanked[:MAX_NAMES]:
        inviter = escape(names.get(done.inviter_id, str(done.inviter_id)))
        invitee = escape(names.get(done.invitee_id, str(done.invitee_id)))
        points = done.points
        lines.append(
            _("• {inviter} +{points}: {invitee} joined and stayed").format(
                inviter=inviter, points=number(points), invitee=invitee
            )
            if points is not None
            else _("• {inviter} brought {invitee}").format(inviter=inviter, invitee=invitee)
        )
    if len(thanked) > MAX_NAMES:
        lines.append(_("and {count} more").format(count=len(thanked) - MAX_NAMES))
    return "\n".join(lines)


def greeting_text(campaign: Campaign, timezone: str) -> str:
    ends = last_minute(campaign, timezone)
    lines = [
        _("🎉 <b>{name}</b> starts now: every point you earn counts {multiplier}!").format(
            name=escape(campaign.name), multiplier=multiplier_text(campaign.multiplier_pct)
        ),
        _("Until {end} ({timezone}).").format(end=f"{ends:%Y-%m-%d %H:%M}", timezone=timezone),
    ]
    if campaign.greeting:
        lines += ["", escape(campaign.greeting)]
    return "\n".join(lines)


def thanks_text(campaign: Campaign, points: int, members: int) -> str:
    return _(
        "🙏 <b>{name}</b> is over. Thank you all! "
        "Points earned: {points} ({multiplier}) · members earning: {members}"
    ).format(
        name=escape(campaign.name), members=number(members), points=number(points),
        multiplier=multiplier_text(campaign.multiplier_pct),
    )  # fmt: skip


def welcome_text(profile: ChatProfile, names: list[str], count: int) -> str:
    shown = listed([f"<b>{escape(name)}</b>" for name in names[:MAX_NAMES]])
    if len(names) > MAX_NAMES:
        shown = sentences(shown, _("and {count} more").format(count=len(names) - MAX_NAMES))
    template = profile.welcome.text
    if template is None:
        return _("👋 Welcome to {group}, {name}! Please read the rules, then say hello.").format(
            group=escape(profile.title), name=shown
        )
    return escape(template).format(name=shown, group=escape(profile.title), count=count)
