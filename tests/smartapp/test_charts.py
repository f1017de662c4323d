"""The trend chart: geometry for the SVG, a summary sentence and a table alternative."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from smartapp.charts import (
    SEVERAL_A_DAY,
    WEEKLY_NOTE,
    Series,
    format_value,
    lookback_window,
    trend_chart,
)

START, END = date(2026, 1, 1), date(2026, 7, 1)


def make_series(*readings: tuple[date, float], key: str = "peg", name: str = "PEG") -> Series:
    return Series(key=key, name=name, readings=tuple(readings))


def test_a_reading_at_the_start_sits_on_the_left_edge_and_the_top_of_the_scale_on_top() -> None:
    chart = trend_chart([make_series((START, 10.0))], start=START, end=END)
    point = chart.lines[0].points[0]
    assert point.x == chart.left
    assert point.y == chart.top


def test_a_zero_at_the_end_sits_on_the_bottom_right_corner() -> None:
    chart = trend_chart([make_series((END, 0.0))], start=START, end=END)
    point = chart.lines[0].points[0]
    assert (point.x, point.y) == (chart.right, chart.bottom)


def test_readings_are_drawn_in_date_order_as_one_path() -> None:
    chart = trend_chart(
        [make_series((date(2026, 3, 1), 6.0), (date(2026, 2, 1), 8.0))], start=START, end=END
    )
    line = chart.lines[0]
    assert [p.when for p in line.points] == [date(2026, 2, 1), date(2026, 3, 1)]
    assert line.path.startswith("M")
    assert line.path.count("L") == 1


def test_readings_outside_the_window_are_left_out_of_drawing_and_table() -> None:
    chart = trend_chart(
        [make_series((date(2025, 6, 1), 9.0), (date(2026, 2, 1), 5.0))], start=START, end=END
    )
    assert [p.value for p in chart.lines[0].points] == [5.0]
    assert [row.when for row in chart.rows] == [date(2026, 2, 1)]


def test_values_beyond_the_scale_are_clamped_to_the_frame() -> None:
    chart = trend_chart([make_series((START, 14.0), (END, -2.0))], start=START, end=END)
    ys = [p.y for p in chart.lines[0].points]
    assert ys == [chart.top, chart.bottom]


def test_the_table_joins_series_by_date_newest_first() -> None:
    nrs = make_series((date(2026, 2, 1), 7.0), (date(2026, 3, 1), 6.0), key="nrs", name="Pain")
    peg = make_series((date(2026, 3, 1), 5.3))
    chart = trend_chart([nrs, peg], start=START, end=END)
    assert [(r.when, r.values) for r in chart.rows] == [
        (date(2026, 3, 1), (6.0, 5.3)),
        (date(2026, 2, 1), (7.0, None)),
    ]
    assert chart.names == ("Pain", "PEG")


def test_the_summary_names_first_and_latest_values_of_each_series() -> None:
    nrs = make_series((date(2026, 2, 1), 7.0), (date(2026, 5, 1), 4.0), key="nrs", name="Pain")
    chart = trend_chart([nrs, make_series()], start=START, end=END)
    assert "Pain: 2 readings, from 7 on 2026-02-01 to 4 on 2026-05-01." in chart.summary
    assert "PEG: no readings." in chart.summary


def test_a_chart_without_readings_says_it_is_empty() -> None:
    assert trend_chart([make_series()], start=START, end=END).empty
    assert not trend_chart([make_series((START, 1.0))], start=START, end=END).empty


def test_month_ticks_are_few_and_inside_the_frame() -> None:
    start, end = lookback_window(date(2026, 11, 23), 730)
    chart = trend_chart([make_series()], start=start, end=end)
    assert 3 <= len(chart.x_ticks) <= 7
    assert all(chart.left <= t.pos <= chart.right for t in chart.x_ticks)
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]


def test_a_window_that_does_not_move_forward_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after"):
        trend_chart([make_series()], start=END, end=START)


def test_a_day_with_several_readings_counts_as_its_highest_in_drawing_table_and_words() -> None:
    day = date(2026, 5, 1)
    for order in (((day, 6.0), (day, 5.0)), ((day, 5.0), (day, 6.0))):  # either search order
        nrs = make_series((date(2026, 2, 1), 7.0), *order, key="nrs", name="Pain")
        chart = trend_chart([nrs], start=START, end=END)
        assert [(p.when, p.value) for p in chart.lines[0].points][-1] == (day, 6.0)
        assert len(chart.lines[0].points) == 2
        assert chart.rows[0].values == (6.0,)
        assert "3 readings, from 7 on 2026-02-01 to 6 on 2026-05-01." in chart.summary
        assert SEVERAL_A_DAY in chart.summary


def test_one_number_format_one_decimal_at_most() -> None:
    assert [format_value(v) for v in (4.333, 6.0, 5.96, 4.46)] == ["4.3", "6", "6", "4.5"]
    chart = trend_chart([make_series((START, 4.333), (END, 2.0))], start=START, end=END)
    assert "from 4.3 on" in chart.summary
    assert "4.33" not in chart.summary


def heavy_diary(today: date) -> list[tuple[date, float]]:
    """Three NRS readings a day for two years (~2,200), as the heavy patient's diary."""
    start = today - timedelta(days=729)
    return [
        (start + timedelta(days=d), float((d + k) % 5 + 3)) for d in range(730) for k in range(3)
    ]


def test_a_dense_diary_is_drawn_as_weekly_averages_and_the_peg_stays_on_top() -> None:
    today = date(2026, 11, 23)
    start, end = lookback_window(today, 730)
    nrs = make_series(*heavy_diary(today), key="nrs", name="Pain (NRS)")
    peg = make_series(*((today - timedelta(days=90 * n), 6.0 - n * 0.5) for n in range(8)))
    chart = trend_chart([nrs, peg], start=start, end=end)
    weekly, pegs = chart.lines
    assert weekly.name == "Pain (NRS), weekly average"
    assert 100 <= len(weekly.points) <= 106  # one per week, not 2,190
    assert not weekly.dots
    assert all(p.when.weekday() == 0 or p.when == start for p in weekly.points)
    assert pegs.dots  # drawn last, so on top, every reading marked
    assert len(pegs.points) == 8
    assert "Pain (NRS), weekly average: 2,190 readings in" in chart.summary
    assert "in the week of 2026-11-23." in chart.summary
    assert WEEKLY_NOTE in chart.summary
    assert chart.names == ("Pain (NRS), weekly average", "PEG")
    assert len(chart.rows) <= 106 + 8
    week = [v for w, v in heavy_diary(today) if date(2026, 11, 16) <= w <= date(2026, 11, 22)]
    assert [r.values[0] for r in chart.rows if r.when == date(2026, 11, 16)] == [
        sum(week) / len(week)
    ]


def test_a_sparse_series_keeps_every_reading() -> None:
    readings = [(START + timedelta(days=4 * n), 5.0) for n in range(40)]  # one per 4 days
    chart = trend_chart([make_series(*readings)], start=START, end=END)
    assert chart.lines[0].dots
    assert len(chart.lines[0].points) == len([r for r in readings if r[0] <= END])
    assert "weekly" not in chart.summary


def test_marks_are_left_off_when_they_would_merge_into_a_band() -> None:
    today = date(2026, 11, 23)
    start, end = lookback_window(today, 730)
    many = make_series(*((start + timedelta(days=6 * n), 5.0) for n in range(113)))
    few = make_series(*((start + timedelta(days=60 * n), 5.0) for n in range(12)), key="nrs")
    chart = trend_chart([few, many], start=start, end=end)
    assert chart.lines[0].dots
    assert not chart.lines[1].dots
    assert len(chart.lines[1].points) == 113  # still every reading on the line
