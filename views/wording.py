"""How pieces of a reply are put together in the reader's language: Chinese runs sentences on
with no space after 。 and writes "标签：值" with a full-width colon; English puts a space
between sentences and ": " after a label. Durations are read, not typed: 30 分钟, 2 hours."""

from __future__ import annotations

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _

from services.stats import change_pct
from views.numbers import number


def writes_chinese() -> bool:
    return get_i18n().current_locale.startswith("zh")


def sentences(*parts: str) -> str:
    """Sentences (or clauses ending in their own punctuation) one after another."""
    return ("" if writes_chinese() else " ").join(part for part in parts if part)


def labelled(label: str, value: str) -> str:
    """`label: value`, or `标签：值`."""
    return _("{label}: {value}").format(label=label, value=value)


def listed(items: list[str]) -> str:
    """a, b, c — or a、b、c: an enumeration inside a sentence."""
    return ("、" if writes_chinese() else ", ").join(items)


def duration(seconds: int) -> str:
    """A length of time as a person reads it, in its largest whole unit: 30 minutes, 2 小时;
    one day is "24 hours", as a draw or a mute is said."""
    if seconds > 86_400 and seconds % 86_400 == 0:
        return ngettext("{n} day", "{n} days", seconds // 86_400).format(
            n=number(seconds // 86_400)
        )
    if seconds and seconds % 3600 == 0:
        return ngettext("{n} hour", "{n} hours", seconds // 3600).format(n=number(seconds // 3600))
    if seconds and seconds % 60 == 0:
        return ngettext("{n} minute", "{n} minutes", seconds // 60).format(n=number(seconds // 60))
    return ngettext("{n} second", "{n} seconds", seconds).format(n=number(seconds))


def aside(text: str) -> str:
    """(text), or （text）: a note after a sentence or a name."""
    return f"（{text}）" if writes_chinese() else f" ({text})"


def trend(now: float, before: float) -> str:
    """(↑12%), (↓5%), (→0%); (new) when there was nothing before; nothing when both are 0."""
    change = change_pct(now, before)
    if change is None:
        return _("(new)") if now else ""
    arrow = "→" if round(change) == 0 else "↑" if change > 0 else "↓"
    shown = aside(f"{arrow}{abs(round(change))}%")
    return shown.lstrip()  # the line's own space stands before it in English
