"""What the bot says of member tags (`/settings tags`)."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from views.numbers import number


def tags_line(on: bool) -> str:
    """The `/settings` overview's line."""
    shown = _("on") if on else _("off")
    return _("Tiers as tags beside names: {shown}").format(shown=shown)


def tags_switched(on: bool, changing: int) -> str:
    """The answer to `/settings tags on|off`: what will change, paced a second apart."""
    if on:
        head = _(
            "✅ The tag beside each member's name now shows their tier (every tier but the "
            "first, which everyone holds)."
        )
        if not changing:
            return head
        return (
            head
            + "\n"
            + ngettext(
                "{count} member gets a tag, one a second.",
                "{count} members get a tag, one a second.",
                changing,
            ).format(count=number(changing))
        )
    head = _("✅ Tags no longer show tiers.")
    if not changing:
        return head
    return (
        head
        + "\n"
        + ngettext(
            "The {count} tag I set will be cleared; tags others chose stay.",
            "The {count} tags I set will be cleared; tags others chose stay.",
            changing,
        ).format(count=number(changing))
    )
