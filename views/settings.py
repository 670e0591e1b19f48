"""What `/settings` shows and the answers its sections share."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from aiogram.utils.i18n import gettext as _

from infrastructure.commands import usage_of
from infrastructure.settings_sections import SettingsSection
from services.chats import LANGUAGES, ChatProfile


def render_settings(profile: ChatProfile, sections: Iterable[SettingsSection]) -> str:
    """The group's own settings, then each feature's lines in the sections' order."""
    return "\n".join(
        [
            _("<b>Settings for {title}</b>").format(title=escape(profile.title)),
            _("Time zone: {timezone}").format(timezone=escape(profile.timezone)),
            _("Language: {language}").format(language=language_name(profile.language)),
            *(line for section in sections for line in section.lines(profile)),
            "",
            _("Change them with {usage}").format(usage=usage_of("settings")),
            _("Languages: {languages}, or auto").format(languages=", ".join(LANGUAGES)),
        ]
    )


def language_name(language: str | None) -> str:
    names = {"zh": "中文", "en": "English"}
    return names.get(language or "", _("each member's own"))


def out_of_range(name: str, limits: tuple[int, int]) -> str:
    low, high = limits
    return _("{name} must be between {low} and {high}.").format(name=name, low=low, high=high)
