"""What the bot says of boosts and reactions: their settings, and the boosts line of /stats."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.boosts import BoostFigures, BoostRules
from services.reactions import ReactionRules
from views.numbers import number
from views.wording import trend


def boost_settings(rules: BoostRules) -> list[str]:
    if rules.points <= 0:
        return [_("Boosts: counted, and pay no points")]
    return [
        ngettext(
            "Boosts: {points} point for each member's boost, taken back if it is removed",
            "Boosts: {points} points for each member's boost, taken back if it is removed",
            rules.points,
        ).format(points=number(rules.points))
    ]


def boost_points_set(points: int) -> str:
    if points <= 0:
        return _("✅ Boosts are counted and pay no points now.")
    return ngettext(
        "✅ A member's boost now earns {points} point (taken back if the boost is removed).",
        "✅ A member's boost now earns {points} points (taken back if the boost is removed).",
        points,
    ).format(points=number(points))


def reaction_settings(rules: ReactionRules) -> list[str]:
    if not rules.earn:
        return [_("Reactions: earn no points")]
    return [
        ngettext(
            "Reactions: {points} point to the author for each member's reaction, "
            "up to {cap} reactions a day",
            "Reactions: {points} points to the author for each member's reaction, "
            "up to {cap} reactions a day",
            rules.points,
        ).format(points=number(rules.points), cap=number(rules.cap))
    ]


def reaction_points_set(rules: ReactionRules) -> str:
    if not rules.earn:
        return _("✅ Reactions earn no points now.")
    return ngettext(
        "✅ A reaction from another member now earns a message's author {points} point, "
        "up to {cap} reactions a day.",
        "✅ A reaction from another member now earns a message's author {points} points, "
        "up to {cap} reactions a day.",
        rules.points,
    ).format(points=number(rules.points), cap=number(rules.cap))


def boost_stats_lines(now: BoostFigures) -> list[str]:
    """/stats' boosts, once the group has had any."""
    if not (now.active or now.added or now.added_before):
        return []
    return [
        _("🚀 Boosts: {active} now, {added} new {change}").format(
            active=number(now.active), added=number(now.added),
            change=trend(now.added, now.added_before),
        )
    ]  # fmt: skip
