"""What the member segments are called: `/segments`, `/segment` and the console's filter say
them the same way."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from services.stats import Segment


def segment_labels() -> dict[Segment, str]:
    return {
        Segment.NEW: _("🌱 New (joined in the last 7 days)"),
        Segment.ACTIVE: _("🔥 Active (wrote on 3 of the last 7 days)"),
        Segment.SILENT: _("😴 Silent (nothing for 14 days)"),
        Segment.CORE: _("👑 Core (Gold tier or above)"),
        Segment.KOL: _("⭐ KOL candidates (replies received, topic posts, invites)"),
        Segment.PAYING: _("💳 Paying (an order in the last 90 days)"),
        Segment.LAPSED: _("🕰 Lapsed buyers (no order for 90 days)"),
    }
