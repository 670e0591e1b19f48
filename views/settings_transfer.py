"""What `/settings export` and `/settings import` say."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.settings_transfer import Applied, SettingsFileError


def export_caption() -> str:
    return _(
        "⚙️ This group's settings: send this file to another group with /settings import as "
        "its caption. It holds no member data."
    )


def settings_file_problem(error: SettingsFileError) -> str:
    if error.reason == "refused":
        return _("Nothing changed: these parts cannot be applied: {parts}.").format(
            parts=", ".join(error.refused)
        )
    return {
        "too big": _("The file is too big for a settings file."),
        "not json": _("That is not a settings file: send the file /settings export made."),
        "format": _("That is not a settings file: send the file /settings export made."),
    }.get(error.reason, _("I couldn't read that file; send it again."))


def imported_text(applied: Applied) -> str:
    lines = [
        ngettext(
            "✅ Settings imported: time zone, language and {n} section",
            "✅ Settings imported: time zone, language and {n} sections",
            len(applied.sections),
        ).format(n=len(applied.sections))
    ]
    if applied.tiers:
        lines.append(
            ngettext("🏅 A ladder of {n} tier", "🏅 A ladder of {n} tiers", applied.tiers).format(
                n=applied.tiers
            )
        )
    return "\n".join(lines)
