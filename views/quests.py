"""What the bot says of missions (任务), badges (徽章), seasons (赛季) and the points economy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from services.badges import MILESTONES, milestone_label
from services.economy import SINKS, SOURCES, Economy
from services.quest_rules import DAILY, TEMPLATES, MissionSet
from services.quests import QuestProgress, SetProgress
from services.seasons import Placing
from views.numbers import MEDALS, number

TEMPLATE_NAMES = {
    "checkin": __("Sign in"), "messages": __("Write messages"), "topic": __("Reply in a topic"),
    "photo": __("Post a 晒单 photo"), "reactions": __("Receive reactions"),
    "draw": __("Enter a draw"), "order": __("Buy something"),
    "friend": __("Bring a friend who stays"), "event": __("Attend an event"),
}  # fmt: skip
SOURCE_NAMES = {
    "messages": __("messages"), "signin": __("sign-in"), "topics": __("topics"),
    "reactions": __("reactions"), "referrals": __("referrals"), "quests": __("missions"),
    "games": __("games"), "purchases": __("purchases"), "admins": __("admins"),
    "refunds": __("refunds"), "other": __("other"), "shop": __("shop"), "draws": __("draws"),
    "clawbacks": __("taken back"), "expired": __("expired"),
}  # fmt: skip


def mission_name(template: str, count: int) -> str:
    name = str(TEMPLATE_NAMES.get(template, template))
    return f"{name} ×{count}" if count > 1 else name


def badge_name_plain(badge: str) -> str:
    """A milestone's name in the reader's language (services/badges.py's table, which is also
    what an admin may type for it); an admin's badge as it was given. Not escaped."""
    return milestone_label(badge, get_i18n().current_locale) if badge in MILESTONES else badge


def badge_label(badge: str) -> str:
    """A milestone's name in the reader's language; an admin's badge as it was given (HTML)."""
    return escape(badge_name_plain(badge))


def badge_choice(badge: str) -> str:
    """A badge as "No such badge" offers it: a milestone as `首次购物 (first_buy)`."""
    key = f"<code>{escape(badge)}</code>"
    return f"{badge_label(badge)} ({key})" if badge in MILESTONES else key


def badges_line(badges: Sequence[str]) -> str:
    return _("🎖 Badges: {badges}").format(badges=" · ".join(badge_label(b) for b in badges))


def set_title(kind: str) -> str:
    return _("Daily missions") if kind == DAILY else _("Weekly missions")


def progress_lines(progress: QuestProgress, timezone_label: str = "") -> list[str]:
    lines = []
    for chosen in progress.sets:
        lines.append(_set_head(chosen))
        for each in chosen.missions:
            mark = "✅" if each.completed else "▫️"
            lines.append(
                f"{mark} {mission_name(each.mission.template, each.mission.count)} "
                f"{each.done}/{each.mission.count} · +{number(each.mission.points)}"
            )
    if progress.streak:
        lines.append(_("🔥 Weekly sets in a row: {weeks}").format(weeks=progress.streak))
    return lines


def _set_head(chosen: SetProgress) -> str:
    done = sum(1 for m in chosen.missions if m.completed)
    head = f"<b>{set_title(chosen.kind)}</b> {done}/{len(chosen.missions)}"
    if chosen.bonus:
        head += " · " + _("all: +{points}").format(points=number(chosen.bonus))
    return head


def quests_text(progress: QuestProgress) -> str:
    if not progress.sets:
        return _("🎯 No missions here yet.")
    return "\n".join(["🎯 " + _("Your missions"), *progress_lines(progress)])


def missions_set_text(kind: str, chosen: MissionSet) -> str:
    if not chosen.missions:
        return _("✅ {set}: off.").format(set=set_title(kind))
    missions = ", ".join(
        f"{mission_name(m.template, m.count)} +{m.points}" for m in chosen.missions
    )
    text = _("✅ {set}: {missions}.").format(set=set_title(kind), missions=missions)
    if chosen.bonus:
        text += " " + _("All of them: +{points}.").format(points=number(chosen.bonus))
    return text


def streak_set_text(points: int) -> str:
    return _("✅ Each week completed in a row adds {points} points to the weekly bonus.").format(
        points=number(points)
    )


def templates_text() -> str:
    return _("Missions: {templates}").format(templates=", ".join(TEMPLATES))


def quest_problem_text(field: str) -> str:
    return {
        "template": _("Each mission is template=points or template:count=points."),
        "count": _("A count is a whole number from 1 to 1000."),
        "points": _("A mission pays 1 to 1000 points."),
        "bonus": _("The bonus is 0 to 10000 points."),
        "missions": _("A set has 1 to 8 missions."),
        "streak": _("The streak adds 0 to 1000 points."),
    }.get(field, field)


def quest_done_text(done: Sequence[tuple[str, int, int]], group: str) -> str:
    """(quest, points, streak) completed in a moment, told privately."""
    lines = []
    for quest, points, streak in done:
        if quest.startswith("set:"):
            name = set_title(quest.removeprefix("set:"))
            line = _("🏆 {set} all done in {group}!").format(set=name, group=escape(group))
            if streak > 1:
                line += " " + _("{weeks} weeks in a row.").format(weeks=streak)
        else:
            line = _("🎯 Mission done in {group}: {mission}.").format(
                group=escape(group), mission=mission_name(quest, 1)
            )
        if points:
            line += f" +{number(points)}"
        lines.append(line)
    return "\n".join(lines)


def badge_given_text(name: str, badge: str, new: bool) -> str:
    if not new:
        return _("🎖 {name} already has the badge {badge}.").format(
            name=escape(name), badge=badge_label(badge)
        )
    return _("🎖 {name} got the badge {badge}.").format(name=escape(name), badge=badge_label(badge))


def badge_taken_text(name: str, badge: str, held: bool) -> str:
    if not held:
        return _("{name} doesn't have the badge {badge}.").format(
            name=escape(name), badge=badge_label(badge)
        )
    return _("🎖 Badge {badge} taken from {name}.").format(
        name=escape(name), badge=badge_label(badge)
    )


def badge_problem_text() -> str:
    return _("A badge's name is one word of at most 14 characters.")


def badge_counts_text(counts: Sequence[tuple[str, int]]) -> str:
    if not counts:
        return _("🎖 No badges given yet.")
    lines = [_("🎖 Badges:")]
    lines += [
        ngettext("{badge} · {n} member", "{badge} · {n} members", count).format(
            badge=badge_label(badge), n=number(count))
        for badge, count in counts
    ]  # fmt: skip
    return "\n".join(lines)


def period_label(period: str) -> str:
    return period[2:]  # w:2027-W05 -> 2027-W05


def season_text(
    every: str | None, period: str, board: Sequence[Placing], names: Mapping[int, str]
) -> str:
    if every is None:
        return _("🏁 No season here. Admins: /season week|month")
    title = _("🏁 Weekly season {period}") if every == "week" else _("🏁 Monthly season {period}")
    lines = [title.format(period=period_label(period))]
    if not board:
        lines.append(_("No points yet this season."))
    lines += _board_lines(board, names)
    return "\n".join(lines)


def _board_lines(board: Sequence[Placing], names: Mapping[int, str]) -> list[str]:
    return [
        f"{MEDALS[rank] if rank < len(MEDALS) else f'{rank + 1}.'} "
        f"{escape(names.get(p.user_id, str(p.user_id)))} · {number(p.points)}"
        for rank, p in enumerate(board)
    ]


def season_set_text(every: str | None, winners: int, reward: str | None) -> str:
    if every is None:
        return _("✅ The season is off.")
    text = (_("✅ A weekly season, top {n} win.") if every == "week"
            else _("✅ A monthly season, top {n} win.")).format(n=winners)  # fmt: skip
    if reward:
        text += " " + _("Prize: {reward}.").format(reward=escape(reward))
    return text


def season_problem_text(field: str) -> str:
    return {
        "every": _("Say week, month or off."),
        "winners": _("winners= is 1 to 10."),
        "reward": _("reward= names a reward of the shop by its number (/rewards)."),
    }.get(field, field)


def season_winners_text(
    period: str, board: Sequence[Placing], names: Mapping[int, str], reward: str | None
) -> str:
    lines = [_("🏁 Season {period} is over. The winners:").format(period=period_label(period))]
    if not board:
        lines = [_("🏁 Season {period} is over: nobody earned points.").format(
            period=period_label(period))]  # fmt: skip
    lines += _board_lines(board, names)
    if reward and board:
        lines.append(_("🎁 Each winner gets {reward}: see /mycoupons.").format(
            reward=escape(reward)))  # fmt: skip
    lines.append(_("A new season starts now."))
    return "\n".join(lines)


def economy_text(economy: Economy) -> str:
    now, before = economy.this_week, economy.last_week
    lines = [
        _("💹 Points economy, last 7 days (the 7 before):"),
        _("Issued: {now} ({before})").format(
            now=number(now.issued_total), before=number(before.issued_total)),
    ]  # fmt: skip
    lines += [
        f"  · {SOURCE_NAMES[source]}: {number(now.issued[source])} "
        f"({number(before.issued[source])})"
        for source in SOURCES
        if now.issued[source] or before.issued[source]
    ]
    lines.append(_("Spent: {now} ({before})").format(
        now=number(now.spent_total), before=number(before.spent_total)))  # fmt: skip
    lines += [
        f"  · {SOURCE_NAMES[sink]}: {number(now.spent[sink])} ({number(before.spent[sink])})"
        for sink in SINKS
        if now.spent[sink] or before.spent[sink]
    ]
    lines.append(
        _("Held by members: {held} (a week ago {before}), {holders} holding").format(
            held=number(economy.held), before=number(economy.held_week_ago),
            holders=number(economy.holders))
    )  # fmt: skip
    if now.issued_total > now.spent_total * 2 and now.issued_total > before.issued_total:
        lines.append(_("⚠️ Issuing more than twice what is spent, and rising."))
    return "\n".join(lines)


def quest_card_lines(card: Any) -> list[str]:
    """The member card's badges and missions (`/me`)."""
    lines = [badges_line(card.badges)] if card.badges else []
    if card.quests is not None and card.quests.sets:
        lines += ["🎯 " + _("Missions"), *progress_lines(card.quests)]
    return lines


def quest_facts(card: Any) -> list[str]:
    """The Mini App's lines of the card's badges and missions (plain text: the page sets them
    as text, so nothing is escaped)."""
    facts = []
    if card.badges:
        names = [badge_name_plain(b) for b in card.badges]
        facts.append(_("🎖 Badges: {badges}").format(badges=" · ".join(names)))
    for chosen in card.quests.sets if card.quests is not None else ():
        done = sum(1 for m in chosen.missions if m.completed)
        facts.append(f"🎯 {set_title(chosen.kind)} {done}/{len(chosen.missions)}")
    return facts
