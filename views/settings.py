"""What `/settings` shows: the overview with a button per section, a section's page (its
settings and how to change them) with a back button, and the answers the sections share."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from infrastructure.commands import shown_form
from infrastructure.settings_sections import SettingsSection
from services.chats import ChatProfile
from views.keyboards import Button
from views.numbers import number


class SettingsButton(Button, prefix="settings"):
    """A section's page (`section` is its key), or the overview (`section` empty)."""

    section: str = ""


def overview(profile: ChatProfile, sections: Sequence[SettingsSection]) -> str:
    """A line or two a section, each under its name; the buttons below open the pages."""
    lines = [_("<b>Settings for {title}</b>").format(title=escape(profile.title))]
    for section in sections:
        lines += section.lines(profile)
    lines += ["", _("Press a section to see its settings and how to change them.")]
    return "\n".join(lines)


def overview_keyboard(sections: Sequence[SettingsSection]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=str(section.title), callback_data=SettingsButton(section=section.key).pack()
        )
        for section in sections
    ]
    rows = [buttons[start : start + 2] for start in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def section_page(profile: ChatProfile, section: SettingsSection) -> str:
    """The section's settings, then each form that changes them."""
    lines = [
        f"<b>{escape(profile.title)} · {section.title}</b>",
        *section.page_lines(profile),
        "",
        _("To change:"),
        *(shown_form(str(form)) for form in section.usage),
    ]
    return "\n".join(lines)


def section_keyboard() -> InlineKeyboardMarkup:
    back = InlineKeyboardButton(text=_("⬅️ All settings"), callback_data=SettingsButton().pack())
    return InlineKeyboardMarkup(inline_keyboard=[[back]])


def general_settings(profile: ChatProfile) -> list[str]:
    return [
        _("Time zone: {timezone}").format(timezone=escape(profile.timezone)),
        _("Language: {language}").format(language=language_name(profile.language)),
    ]


def language_name(language: str | None) -> str:
    names = {"zh": "中文", "en": "English"}
    return names.get(language or "", _("each member's own"))


def out_of_range(name: str, limits: tuple[int, int]) -> str:
    low, high = limits
    return _("{name} must be between {low} and {high}.").format(
        name=f"<code>{name}</code>", low=number(low), high=number(high)
    )
