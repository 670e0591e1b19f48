"""What raid mode says: the admins' alert and summary, `/raid`'s answers, and its settings."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from models import Raid
from services.raids import RaidRules, RaidTally
from views.numbers import number
from views.wording import duration, sentences


def _at(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")


def _paused(rules: RaidRules) -> str:
    return _(
        "Newcomers are read-only for {hold}; welcomes and join questions in the group pause."
    ).format(hold=duration(rules.hold))


def raid_alert(group: str, raid: Raid, rules: RaidRules, timezone: str) -> str:
    """The admins' news that a raid began (once per raid)."""
    if raid.started_by is None:
        head = _(
            "🚨 Raid mode is on in {group}: more than {threshold} people joined within a minute."
        ).format(group=escape(group), threshold=number(rules.threshold))
        end = _(
            "It ends by itself after {calm} without such a surge, or with <code>/raid off</code>."
        ).format(calm=duration(rules.calm))
    else:
        head = _("🚨 Raid mode is on in {group}, turned on by an admin.").format(
            group=escape(group)
        )
        end = _("It ends at {time}, or with <code>/raid off</code>.").format(
            time=_at(raid.ends_at, timezone)
        )
    return sentences(head, _paused(rules), end)


def raid_summary(group: str, raid: Raid, tally: RaidTally, timezone: str) -> str:
    """The admins' summary once the raid ended."""
    assert raid.ended_at is not None
    head = _("✅ Raid mode is over in {group} ({start} – {end}).").format(
        group=escape(group), start=_at(raid.started_at, timezone), end=_at(raid.ended_at, timezone)
    )
    return "\n".join([head, tally_text(tally)])


def tally_text(tally: RaidTally) -> str:
    joined = ngettext(
        "{n} person joined during it", "{n} people joined during it", tally.joins
    ).format(n=number(tally.joins))
    held = ngettext("{n} was made read-only.", "{n} were made read-only.", tally.restricted).format(
        n=number(tally.restricted)
    )
    return _("{joined}; {held}").format(joined=joined, held=held)


def raid_started_text(raid: Raid, rules: RaidRules, timezone: str, started: bool) -> str:
    """`/raid on`'s answer."""
    if not started:
        return _("Raid mode is already on, until at least {time}.").format(
            time=_at(raid.ends_at, timezone)
        )
    return sentences(
        _("🚨 Raid mode is on until {time}.").format(time=_at(raid.ends_at, timezone)),
        _paused(rules),
        _("<code>/raid off</code> ends it."),
    )


def raid_ended_text(tally: RaidTally) -> str:
    """`/raid off`'s answer."""
    return "\n".join([_("✅ Raid mode is off."), tally_text(tally)])


def no_raid_text() -> str:
    return _("Raid mode is not on.")


def raid_status_text(
    raid: Raid | None, tally: RaidTally | None, rules: RaidRules, timezone: str
) -> str:
    """`/raid` alone: whether a raid is on, and when one starts by itself."""
    if raid is not None and tally is not None:
        return "\n".join([
            _("🚨 Raid mode is on since {start}, until at least {end}.").format(
                start=_at(raid.started_at, timezone), end=_at(raid.ends_at, timezone)
            ),
            tally_text(tally),
        ])  # fmt: skip
    return "\n".join([_("Raid mode is off."), *raid_settings(rules)])


def raid_settings(rules: RaidRules) -> list[str]:
    """The raid line of `/settings`."""
    if not rules.threshold:
        return [_("Raid mode: only by hand (<code>/raid on</code>)")]
    return [
        _(
            "Raid mode: on at more than {n} joins a minute · newcomers read-only {hold} · "
            "ends after {calm} calm"
        ).format(n=number(rules.threshold), hold=duration(rules.hold), calm=duration(rules.calm))
    ]
