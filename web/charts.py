"""Bar charts as SVG geometry for the templates: no script, and each bar's <title> is its
hover value, so the figures read the same with JavaScript off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT, TOP = 600, 140, 12


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    title: str
    total: int
    peak: int
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT


def bar_chart(name: str, title: str, series: list[tuple[date, int]]) -> Chart:
    peak = max((value for _day, value in series), default=0)
    step = WIDTH / max(1, len(series))
    bars = []
    for index, (day, value) in enumerate(series):
        height = (HEIGHT - TOP) * value / peak if peak else 0
        bars.append(Bar(index * step + step * 0.1, HEIGHT - height, step * 0.8, height, day, value))
    return Chart(name, title, sum(value for _day, value in series), peak, bars)
