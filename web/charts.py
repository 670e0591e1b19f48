"""Bar charts a day as SVG geometry for the templates (`templates/chart.html` draws them): a
bar for every day of the period (a day without data is a zero, never left out), dated along
the bottom, a y-axis of round, grouped numbers, and each day's value as its <title> (the hover
value, with JavaScript off too) and, for a week or two, printed above its bar so a phone reads
it without hovering. The viewBox is about the size the chart is shown at, so its text stays
readable when the page scales it to a phone's width."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from views.numbers import number, yuan

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 6, 14, 20  # the plot's margins: y labels left, dates below
MOST_DATES = 7  # date labels along the bottom, at most
MOST_VALUES = 14  # up to this many days, each bar's value is printed above it


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int
    shown: str  # the value as the page writes it: 1,234 or ¥1,234.00


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class DayLabel:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    title: str
    total: str
    bars: list[Bar]
    ticks: list[Tick]
    days: list[DayLabel]
    values_shown: bool
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def daily_series(first: date, days: int, values: dict[date, int]) -> list[tuple[date, int]]:
    """Every day from `first` for `days` days, zero where `values` has none."""
    return [
        (first + timedelta(days=offset), values.get(first + timedelta(days=offset), 0))
        for offset in range(days)
    ]


def bar_chart(
    name: str, title: str, series: list[tuple[date, int]], *, money: bool = False
) -> Chart:
    """`series`: a value a day, every day (see `daily_series`); `money`: values in fen,
    shown as yuan."""
    unit = 100 if money else 1  # the axis counts whole yuan

    def shown(value: int) -> str:
        return yuan(value) if money else number(value)

    peak = max((value for _day, value in series), default=0)
    step = nice_step(-(-peak // unit)) * unit
    top = max(step, -(-peak // step) * step)
    plot = HEIGHT - BOTTOM - TOP
    ticks = [
        Tick(HEIGHT - BOTTOM - plot * value / top, ("¥" if money else "") + number(value // unit))
        for value in range(0, top + 1, step)
    ]
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(series))
    bars = []
    for index, (day, value) in enumerate(series):
        height = plot * value / top
        bars.append(Bar(LEFT + index * slot + slot * 0.12, HEIGHT - BOTTOM - height, slot * 0.76,
                        height, day, value, shown(value)))  # fmt: skip
    # Dates every `every` days, counted back from the last, so the latest day is always dated.
    every = -(-len(series) // MOST_DATES)
    days = [
        # Kept inside the frame: a label is about 30 units wide, centred on its day.
        DayLabel(min(LEFT + index * slot + slot / 2, WIDTH - 16), f"{day:%m-%d}")
        for index, (day, _value) in enumerate(series)
        if (len(series) - 1 - index) % every == 0
    ]
    total = shown(sum(value for _day, value in series))
    return Chart(name, title, total, bars, ticks, days, len(series) <= MOST_VALUES)


def nice_step(peak: int) -> int:
    """A round step (1, 2, 5, 10, 20, 50 …) that reaches `peak` in at most 4 ticks."""
    step = 1
    while step * 4 < peak:
        for factor in (2, 5 / 2, 2):
            step = int(step * factor)
            if step * 4 >= peak:
                break
    return step
