"""What the bot says about channels (渠道活码): `/invitelink` and `/stats channels`."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Channel
from services.channels import ChannelFigures, Share
from views.numbers import number, yuan
from views.wording import aside, sentences


def channel_label(name: str | None) -> str:
    """A channel's name as shown; the members' own referral links are one channel of their own."""
    return escape(name) if name is not None else _("Members' invite links")


def share(counted: Share) -> str:
    """80% (8/10); — when nobody joined that long ago."""
    if counted.rate is None:
        return "—"
    return f"{counted.rate:.0%} ({number(counted.kept)}/{number(counted.of)})"


def name_problem(reason: str) -> str:
    return {
        "empty": _("Name the channel: where the link goes, such as 包裹卡 or 小红书."),
        "long": _("A channel's name is 32 characters at most (Telegram's limit for a link)."),
        "taken": _("This group has a channel of that name already: /invitelink lists them."),
    }[reason]


def no_such_channel(name: str) -> str:
    return _("This group has no channel called “{name}”: /invitelink lists them.").format(
        name=escape(name)
    )


def cannot_invite() -> str:
    return _(
        "I can't create or revoke invite links here: give me the “Invite users via link” "
        "right, then try again."
    )


def telegram_refused(description: str) -> str:
    return _("Telegram refused: {reason}").format(reason=escape(description))


def channel_made(channel: Channel) -> str:
    lines = [
        _("✅ Channel “{name}”: {link}").format(name=escape(channel.name), link=channel.link),
        _("Put it where the channel is (a parcel card, a note, a livestream): who joins through "
          "it counts for “{name}” in /stats channels.").format(name=escape(channel.name)),
    ]  # fmt: skip
    if channel.creates_join_request:
        lines.append(_("Joining through it asks to join: an admin (or my verification) approves."))
    return "\n".join(lines)


def channel_revoked(channel: Channel, joins: int) -> str:
    kept = ngettext(
        "Its {count} member and their figures stay in /stats channels.",
        "Its {count} members and their figures stay in /stats channels.",
        joins,
    ).format(count=number(joins))
    revoked = _("🚫 The link of “{name}” no longer works.").format(name=escape(channel.name))
    return sentences(revoked, kept)


def already_revoked(channel: Channel) -> str:
    return _("The link of “{name}” was revoked already.").format(name=escape(channel.name))


def channel_list(channels: Sequence[tuple[Channel, int]]) -> str:
    """`/invitelink`: the group's channels, their links and how many members each brought."""
    if not channels:
        return _("No channels yet. Make one for each place you show the group: "
                 "/invitelink new 包裹卡")  # fmt: skip
    lines = [_("🔗 <b>Channels</b>")]
    for channel, joins in channels:
        joined = ngettext("{count} joined", "{count} joined", joins).format(count=number(joins))
        marks = []
        if channel.creates_join_request:
            marks.append(_("join requests"))
        if channel.revoked_at is not None:
            marks.append(_("revoked"))
        notes = aside(", ".join(marks)) if marks else ""
        lines.append(f"• <b>{escape(channel.name)}</b>{notes} — {joined}")
        if channel.revoked_at is None:
            lines.append(f"  {channel.link}")
    lines.append(_("Who stayed, signed in and bought: /stats channels"))
    return "\n".join(lines)


def channel_stats(group: str, figures: Sequence[ChannelFigures]) -> str:
    """`/stats channels`: per channel, joins, still there after 7 and 30 days, signed in,
    bought and GMV."""
    shown = [each for each in figures if each.name is not None or each.joins]
    if not shown:
        return _("📊 No channels yet: make one with /invitelink new 包裹卡, and joins through "
                 "it are counted here.")  # fmt: skip
    lines = [_("📊 <b>Where members come from</b> · {group}").format(group=escape(group))]
    for each in shown:
        title = f"<b>{channel_label(each.name)}</b>"
        if each.revoked:
            title += aside(_("revoked"))
        joined = ngettext("{count} member joined", "{count} members joined", each.joins).format(
            count=number(each.joins)
        )
        lines += [
            f"{title}: {joined}",
            "  " + _("Still here after 7 days: {week} · after 30 days: {month}").format(
                week=share(each.stayed[7]), month=share(each.stayed[30])
            ),
            "  " + _("Signed in: {signed} · bought: {buyers} · GMV {gmv}").format(
                signed=number(each.signed_in), buyers=number(each.buyers), gmv=yuan(each.gmv_fen)
            ),
        ]  # fmt: skip
    lines.append(
        _("<i>Still here: of those who joined at least that long ago. Sign-ins and orders "
          "count from the join; GMV is less refunds.</i>")
    )  # fmt: skip
    return "\n".join(lines)


def channel_rows(figures: Sequence[ChannelFigures]) -> list[list[object]]:
    """The Channels table as CSV rows, headers first (written through `SafeWriter`: a name
    such as `=HYPERLINK(…)` stays text). Rates are blank when nobody joined that long ago."""

    def rate(counted: Share) -> object:
        return "" if counted.rate is None else round(counted.rate, 4)

    rows: list[list[object]] = [[
        _("Channel"), _("Revoked"), _("Joined"), _("Still here after 7 days"),
        _("Still here after 30 days"), _("Signed in"), _("Bought"), _("GMV (yuan)"),
    ]]  # fmt: skip
    for each in figures:
        rows.append([
            each.name if each.name is not None else _("Members' invite links"),
            _("yes") if each.revoked else "", each.joins, rate(each.stayed[7]),
            rate(each.stayed[30]), each.signed_in, each.buyers,
            f"{each.gmv_fen // 100}.{each.gmv_fen % 100:02d}",
        ])  # fmt: skip
    return rows
