"""What the pages show as the bot says it, in one place: times in the group's time zone (and
which zone that is), money as ¥1,876.00, numbers grouped, and the bot's own words for tiers,
ledger reasons, draw and redemption states and segments (from `views/`, never a second copy).

Templates use them as filters: `{{ row.created_at|local(group.timezone) }}`,
`{{ sales.gmv_fen|yuan }}`, `{{ member.points|number }}`, `{{ member.tier|tier(tiers) }}`,
`{{ entry|ledger_reason(rewards) }}`, `{{ draw.status|draw_state }}`,
`{{ redemption.status|redemption_state }}`, `{{ segment|segment }}`,
`{{ post.schedule|schedule }}`, `{{ order|order_state }}`,
`{{ order|points_state(group.timezone) }}`, `{{ kind|export_name(language) }}` (over
`export_kinds`), and `zone_note(timezone)` for the line that says which zone a page's times
are in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from models import LedgerEntry
from services.clock import Clock
from services.export_columns import ExportKind, export_name
from services.stats import Segment
from services.tiers import Tier
from views.draws import draw_state
from views.member_card import reason_detail, reason_label
from views.numbers import number, signed, yuan
from views.orders import order_state, points_state
from views.posts import schedule_text
from views.segments import segment_labels
from views.shop import redemption_source, redemption_state


def local_time(moment: datetime | None, timezone: str, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time as the group's clock shows it; a dash for none."""
    return moment.astimezone(ZoneInfo(timezone)).strftime(pattern) if moment else "—"


def local_day(moment: datetime | None, timezone: str) -> str:
    return local_time(moment, timezone, "%Y-%m-%d")


def utc_offset(timezone: str, at: datetime) -> str:
    """`UTC+8`, `UTC-4`, `UTC+5:30`, `UTC`: the zone's offset at that moment."""
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@pass_context
def tier_name(context: Context, key: str | None, ladder: Sequence[Tier]) -> str:
    """A member's tier (stored as its key) as the ladder names it in the page's language."""
    tier = next((tier for tier in ladder if tier.key == key), None)
    if tier is None:
        return key or "—"
    return tier.label(context.get("language", "en"))


def ledger_reason(entry: LedgerEntry, rewards: Mapping[int, str] | None = None) -> str:
    """`兑换 · 茶样`, `抽奖 · #5`, `管理员调整 · welcome`: the reason, then what it names."""
    detail = reason_detail(entry.reason, entry.ref, rewards or {})
    label = reason_label(entry.reason, entry.ref)
    return f"{label} · {detail}" if detail else label


def segment_name(value: str) -> str:
    return segment_labels().get(Segment(value), value) if value in set(Segment) else value


def schedule_words(schedule: str) -> Markup:
    """A post's schedule as /posts says it (每天 09:00). The view escapes what it quotes, for
    Telegram's HTML, which a page reads as HTML too."""
    return Markup(schedule_text(schedule))


def install(templates: Environment, clock: Clock) -> None:
    def zone_note(timezone: str) -> str:
        return _("Times are {zone} ({offset}).").format(
            zone=timezone, offset=utc_offset(timezone, clock.now())
        )

    templates.filters.update(
        local=local_time, local_day=local_day, yuan=yuan, number=number, signed=signed,
        tier=tier_name, ledger_reason=ledger_reason, draw_state=draw_state,
        redemption_state=redemption_state, redemption_source=redemption_source,
        segment=segment_name, schedule=schedule_words, order_state=order_state,
        points_state=points_state, export_name=export_name,
    )  # fmt: skip
    templates.globals["export_kinds"] = list(ExportKind)
    templates.globals["zone_note"] = zone_note
