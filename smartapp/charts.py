"""Server-rendered trend charts: geometry for an SVG template, and a table alternative.

The chart is computed here and drawn by `templates/pages/_chart.html` as inline SVG, so no
chart script is loaded at run time and the page works without JavaScript. Every chart carries
a one-sentence summary and a table of its readings (WCAG 2.1 1.1.1: a text alternative).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

# The drawing's own units. The chart is shown about 400 px wide at 1024 px (the overview's
# wider column), and `.ff-chart .tick` is 14 units: a 440-unit width keeps tick labels at
# 12.7 px there (WCAG 1.4.4 asks text to stay readable; below 12 px it is not at that width).
WIDTH = 440
HEIGHT = 200
MARGIN_LEFT = 36
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 28
SEVERAL_A_DAY = "Where a day has several readings, the highest is shown."
WEEKLY_NOTE = (
    "Weekly averages are dated by the Monday their week starts (the first by the chart's start)."
)
# Denser than one reading per 3 days on average (and more than a handful), a series is drawn
# as weekly means: ~2,000 daily diary scores as dots would hide every other line.
DENSE_PER_DAY = 1 / 3
DENSE_MIN = 20
DOT_SPACING = 8  # drawing units per reading mark (marks are 7 units wide)

T = TypeVar("T")


def format_value(value: float) -> str:
    """A score as every page prints it: one decimal at most, whole numbers plain (4.3, 6)."""
    rounded = round(value, 1)
    return f"{rounded:.0f}" if float(rounded).is_integer() else f"{rounded:.1f}"


def one_per_day(
    items: Iterable[T], *, when: Callable[[T], date], value: Callable[[T], float]
) -> tuple[tuple[T, int], ...]:
    """Per day the item with the highest value and the day's count, oldest day first.

    Readings keep only their date, so the last of a day cannot be known; taking the day's
    highest does not depend on the order the EHR answered in, and the chart, its table and
    the overview's "now" all read a day this way.
    """
    days: dict[date, tuple[T, int]] = {}
    for item in items:
        day = when(item)
        kept = days.get(day)
        if kept is None:
            days[day] = (item, 1)
        else:
            best = item if value(item) > value(kept[0]) else kept[0]
            days[day] = (best, kept[1] + 1)
    return tuple(days[day] for day in sorted(days))


def daily(readings: Iterable[tuple[date, float]]) -> tuple[tuple[tuple[date, float], int], ...]:
    """Dated values, one per day (the day's highest) with the day's count, oldest first."""
    return one_per_day(readings, when=lambda r: r[0], value=lambda r: r[1])


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """One named line of dated values (e.g. NRS pain, PEG score)."""

    key: str
    name: str
    readings: tuple[tuple[date, float], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    """A reading placed on the drawing."""

    x: float
    y: float
    when: date
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """A series placed on the drawing; `path` is SVG path data."""

    key: str
    name: str
    points: tuple[Point, ...]
    path: str
    dots: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """An axis tick: its position on the drawing and its label."""

    pos: float
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TableRow:
    """One date of the table alternative: a value (or None) per series, in series order."""

    when: date
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendChart:
    """Everything the template needs to draw the chart and its table."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    names: tuple[str, ...]
    rows: tuple[TableRow, ...]
    summary: str

    @property
    def empty(self) -> bool:
        """True when no series has a reading in the window."""
        return not any(line.points for line in self.lines)


def _x_scale(start: date, end: date, left: float, right: float) -> tuple[float, float]:
    span = max((end - start).days, 1)
    return left, (right - left) / span


def _month_ticks(start: date, end: date, left: float, per_day: float) -> tuple[Tick, ...]:
    """Ticks on the first of a month; five or so whatever the window, so labels never touch."""
    months = []
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        if cursor >= start:
            months.append(cursor)
        cursor = date(cursor.year + (cursor.month // 12), cursor.month % 12 + 1, 1)
    step = max(1, -(-len(months) // 5))
    return tuple(
        Tick(pos=round(left + (m - start).days * per_day, 1), label=m.strftime("%b %Y"))
        for m in months[::step]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plotted:
    """A series as drawn: one value per day, or per week when its readings are dense."""

    name: str
    values: tuple[tuple[date, float], ...]
    readings: int
    weekly: bool
    several_a_day: bool


def _plot(one: Series, start: date, end: date) -> _Plotted:
    inside = [r for r in one.readings if start <= r[0] <= end]
    span = (max(r[0] for r in inside) - min(r[0] for r in inside)).days + 1 if inside else 1
    if len(inside) > DENSE_MIN and len(inside) > span * DENSE_PER_DAY:
        weeks: dict[date, list[float]] = {}
        for when, value in inside:
            weeks.setdefault(max(when - timedelta(days=when.weekday()), start), []).append(value)
        values = tuple((week, sum(v) / len(v)) for week, v in sorted(weeks.items()))
        name = f"{one.name}, weekly average"
        return _Plotted(
            name=name, values=values, readings=len(inside), weekly=True, several_a_day=False
        )
    days = daily(inside)
    return _Plotted(
        name=one.name,
        values=tuple(day for day, _ in days),
        readings=len(inside),
        weekly=False,
        several_a_day=any(count > 1 for _, count in days),
    )


def _describe(plotted: Sequence[_Plotted]) -> str:
    """A plain sentence per series: first and latest value in the window."""
    parts = []
    for one in plotted:
        at = "in the week of" if one.weekly else "on"
        if not one.values:
            parts.append(f"{one.name}: no readings.")
        elif one.readings == 1:
            when, value = one.values[0]
            parts.append(f"{one.name}: one reading, {format_value(value)} on {when.isoformat()}.")
        else:
            (first_when, first), (last_when, last) = one.values[0], one.values[-1]
            weeks = f" in {len(one.values)} weeks" if one.weekly else ""
            parts.append(
                f"{one.name}: {one.readings:,} readings{weeks}, from {format_value(first)} {at} "
                f"{first_when.isoformat()} to {format_value(last)} {at} {last_when.isoformat()}."
            )
    if any(one.several_a_day for one in plotted):
        parts.append(SEVERAL_A_DAY)
    if any(one.weekly for one in plotted):
        parts.append(WEEKLY_NOTE)
    return " ".join(parts)


def trend_chart(
    series: Sequence[Series],
    *,
    start: date,
    end: date,
    y_max: float = 10.0,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> TrendChart:
    """Place dated readings between `start` and `end` on a 0..y_max chart (0-10 scales)."""
    if end <= start:
        raise ValueError("the chart window must end after it starts")
    left, top = float(MARGIN_LEFT), float(MARGIN_TOP)
    right, bottom = float(width - MARGIN_RIGHT), float(height - MARGIN_BOTTOM)
    x0, per_day = _x_scale(start, end, left, right)
    per_unit = (bottom - top) / y_max
    plotted = tuple(_plot(one, start, end) for one in series)
    room = (right - left) / DOT_SPACING  # more marks than this merge into a band
    lines = []
    for one, drawn in zip(series, plotted, strict=True):
        points = tuple(
            Point(
                x=round(x0 + (when - start).days * per_day, 1),
                y=round(bottom - min(max(value, 0.0), y_max) * per_unit, 1),
                when=when,
                value=value,
            )
            for when, value in drawn.values
        )
        path = " ".join(f"{'M' if i == 0 else 'L'}{p.x:g} {p.y:g}" for i, p in enumerate(points))
        lines.append(
            Line(key=one.key, name=drawn.name, points=points, path=path, dots=len(points) <= room)
        )
    y_ticks = tuple(
        Tick(pos=round(bottom - v * per_unit, 1), label=f"{v:g}") for v in (0.0, y_max / 2, y_max)
    )
    return TrendChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        lines=tuple(lines),
        x_ticks=_month_ticks(start, end, x0, per_day),
        y_ticks=y_ticks,
        names=tuple(one.name for one in plotted),
        rows=_table(plotted),
        summary=_describe(plotted),
    )


def _table(plotted: Sequence[_Plotted]) -> tuple[TableRow, ...]:
    """Values by date, newest first, as drawn; a series without a value that date: None."""
    by_day: dict[date, list[float | None]] = {}
    for index, one in enumerate(plotted):
        for when, value in one.values:
            row = by_day.setdefault(when, [None] * len(plotted))
            row[index] = value
    return tuple(
        TableRow(when=when, values=tuple(values))
        for when, values in sorted(by_day.items(), reverse=True)
    )


def lookback_window(today: date, days: int) -> tuple[date, date]:
    """The chart window ending today (a day of margin so today's reading is not on the edge)."""
    return today - timedelta(days=days), today + timedelta(days=1)
