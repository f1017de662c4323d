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

WIDTH = 640
HEIGHT = 220
MARGIN_LEFT = 36
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 28
SEVERAL_A_DAY = "Where a day has several readings, the highest is shown."

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
    """Ticks on the first of a month; about six of them whatever the window."""
    months = []
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        if cursor >= start:
            months.append(cursor)
        cursor = date(cursor.year + (cursor.month // 12), cursor.month % 12 + 1, 1)
    step = max(1, -(-len(months) // 6))
    return tuple(
        Tick(pos=round(left + (m - start).days * per_day, 1), label=m.strftime("%b %Y"))
        for m in months[::step]
    )


def _describe(series: Sequence[Series], start: date, end: date) -> str:
    """A plain sentence per series: first and latest value in the window."""
    parts = []
    several = False
    for one in series:
        inside = [r for r in one.readings if start <= r[0] <= end]
        days = daily(inside)
        several = several or any(count > 1 for _, count in days)
        if not days:
            parts.append(f"{one.name}: no readings.")
        elif len(inside) == 1:
            when, value = days[0][0]
            parts.append(f"{one.name}: one reading, {format_value(value)} on {when.isoformat()}.")
        else:
            (first_when, first), (last_when, last) = days[0][0], days[-1][0]
            parts.append(
                f"{one.name}: {len(inside)} readings, from {format_value(first)} on "
                f"{first_when.isoformat()} to {format_value(last)} on {last_when.isoformat()}."
            )
    if several:
        parts.append(SEVERAL_A_DAY)
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
    lines = []
    for one in series:
        inside = [day for day, _ in daily(r for r in one.readings if start <= r[0] <= end)]
        points = tuple(
            Point(
                x=round(x0 + (when - start).days * per_day, 1),
                y=round(bottom - min(max(value, 0.0), y_max) * per_unit, 1),
                when=when,
                value=value,
            )
            for when, value in inside
        )
        path = " ".join(f"{'M' if i == 0 else 'L'}{p.x:g} {p.y:g}" for i, p in enumerate(points))
        lines.append(Line(key=one.key, name=one.name, points=points, path=path))
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
        names=tuple(one.name for one in series),
        rows=_table(series, start, end),
        summary=_describe(series, start, end),
    )


def _table(series: Sequence[Series], start: date, end: date) -> tuple[TableRow, ...]:
    """Readings by date, newest first (a day's highest); a series without one that day: None."""
    by_day: dict[date, list[float | None]] = {}
    for index, one in enumerate(series):
        for (when, value), _ in daily(r for r in one.readings if start <= r[0] <= end):
            row = by_day.setdefault(when, [None] * len(series))
            row[index] = value
    return tuple(
        TableRow(when=when, values=tuple(values))
        for when, values in sorted(by_day.items(), reverse=True)
    )


def lookback_window(today: date, days: int) -> tuple[date, date]:
    """The chart window ending today (a day of margin so today's reading is not on the edge)."""
    return today - timedelta(days=days), today + timedelta(days=1)
