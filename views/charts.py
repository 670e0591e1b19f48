"""The /stats chart: daily messages, active members and joins over the period, as a PNG.

Drawn with matplotlib's Agg backend (no display) in a worker thread, so the bot keeps answering
while it renders. Chinese labels need a CJK font (Debian's fonts-noto-cjk, or any of
`CJK_FAMILIES`), found whatever matplotlib's font cache holds; without one the chart falls
back to English labels rather than boxes.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import threading
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from services.stats import DayPoint

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
COLORS = ("#2f6fdf", "#f28e2b", "#59a14f")  # messages, active members, joins

_LABELS = {
    "en": ("Messages", "Active members", "Joins", "{title} · last {days} days"),
    "zh": ("消息", "活跃成员", "新成员", "{title} · 近 {days} 天"),
}
_drawing = threading.Lock()  # pyplot's state is global: one chart at a time


@dataclass(frozen=True, slots=True)
class ChartLabels:
    messages: str
    active: str
    joins: str
    title: str
    font: str | None  # a CJK family, or None for matplotlib's default


# Where Debian and Ubuntu put the CJK fonts, for a system without fontconfig's fc-match.
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@cache
def cjk_font() -> str | None:
    """The first font family that has Chinese glyphs, if any is installed. matplotlib lists
    the fonts it found when it wrote its cache, and does not look again: a font installed
    after that (`apt-get install fonts-noto-cjk` on a running server) is found through
    fontconfig or at Debian's paths and added to matplotlib's list."""
    from matplotlib import font_manager

    found = _listed_cjk_family(font_manager.fontManager)
    for path in () if found else _cjk_font_files():
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # unreadable, or not a font after all
            continue
        if found := _listed_cjk_family(font_manager.fontManager):
            break
    return found


def _listed_cjk_family(manager: Any) -> str | None:
    installed = {font.name for font in manager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def _cjk_font_files() -> list[str]:
    """fontconfig's best font for Chinese (it knows what was installed since), then the
    known paths; only files that exist."""
    candidates: list[str] = []
    fc_match = shutil.which("fc-match")
    if fc_match is not None:
        with suppress(OSError, subprocess.SubprocessError):
            answer = subprocess.run(  # a fixed program, no shell, no user input
                [fc_match, "--format=%{file}", ":lang=zh-cn"],
                capture_output=True, text=True, timeout=5, check=False,
            )  # fmt: skip
            candidates.append(answer.stdout.strip())
    candidates += CJK_FILES
    return [path for path in dict.fromkeys(candidates) if path and os.path.isfile(path)]


def labels_for(language: str, group: str, days: int, font: str | None) -> ChartLabels:
    """Chinese labels when asked for and a CJK font can draw them, else English; a group
    title the font cannot draw is left out of the title."""
    chinese = language == "zh" and font is not None
    messages, active, joins, title = _LABELS["zh" if chinese else "en"]
    if font is None and not group.isascii():
        group = "fanbot"
    return ChartLabels(messages, active, joins, title.format(title=group, days=days), font)


def render_png(series: list[DayPoint], labels: ChartLabels) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates, ticker
    from matplotlib.figure import Figure

    fonts = [labels.font, "DejaVu Sans"] if labels.font is not None else ["DejaVu Sans"]
    with _drawing, matplotlib.rc_context({"font.sans-serif": fonts}):
        figure = Figure(figsize=(8, 4.2), dpi=120, layout="constrained")
        axes = figure.subplots()
        days = [float(dates.date2num(point.day)) for point in series]  # type: ignore[no-untyped-call]
        joins = axes.twinx()  # joins are a few a day beside hundreds of messages: own scale
        joins.bar(days, [p.joins for p in series], color=COLORS[2], alpha=0.45, label=labels.joins)
        joins.set_ylim(0, max(4, max(p.joins for p in series) * 3))  # low, under the lines
        joins.tick_params(axis="y", colors=COLORS[2])
        joins.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        joins.spines[["top", "left"]].set_visible(False)
        axes.set_zorder(joins.get_zorder() + 1)
        axes.patch.set_visible(False)
        axes.plot(days, [p.messages for p in series], color=COLORS[0], marker="o",
                  markersize=3, linewidth=2, label=labels.messages)  # fmt: skip
        axes.plot(days, [p.active_members for p in series], color=COLORS[1], marker="o",
                  markersize=3, linewidth=2, label=labels.active)  # fmt: skip
        axes.set_title(labels.title, fontsize=12)
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top"]].set_visible(False)
        axes.set_ylim(bottom=0)
        handles = axes.get_legend_handles_labels()[0] + joins.get_legend_handles_labels()[0]
        axes.legend(handles=handles, loc="upper left", frameon=False, ncols=3)
        axes.xaxis.set_major_formatter(dates.DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
        for label in axes.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def chart_png(series: list[DayPoint], language: str, group: str, days: int) -> bytes:
    def draw() -> bytes:
        return render_png(series, labels_for(language, group, days, cjk_font()))

    return await asyncio.to_thread(draw)


WARM_UP_AFTER = 10.0  # seconds: the start-up's own work (the scheduler's first plan) goes first


async def warm_up() -> None:
    """Import matplotlib, find the fonts and draw once, in a worker thread, so the first /stats
    after a start does not pay for them (about 2 s on these machines). It waits a little first:
    the import holds the interpreter for long stretches, which would hold up the start."""
    await asyncio.sleep(WARM_UP_AFTER)
    today = date.today()
    blank = [DayPoint(today - timedelta(days=n), 0, 0, 0) for n in (1, 0)]
    await chart_png(blank, "zh", "fanbot", 2)
