"""Score series over time (NRS, PEG, PROMIS) with a trend and noise, drawn from a seeded Random."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from sandbox.patients import codes as c
from sandbox.patients.model import Json
from sandbox.patients.resources import nrs, peg_panel, promis, when


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def days_back(today: date, span_days: int, every_days: int, rng: Random) -> tuple[date, ...]:
    """Dates from `span_days` ago up to today, about `every_days` apart (jittered), oldest first."""
    out = []
    offset = span_days
    while offset >= 0:
        out.append(today - timedelta(days=offset))
        step = max(1, every_days + rng.randint(-every_days // 4, every_days // 4))
        offset -= step
    return tuple(out)


def level_at(start: float, end: float, index: int, count: int, rng: Random, noise: float) -> float:
    """A value moving linearly from start to end, with Gaussian noise."""
    share = index / max(1, count - 1)
    return start + (end - start) * share + rng.gauss(0, noise)


def nrs_series(
    pid: str,
    rng: Random,
    days: tuple[date, ...],
    *,
    start: float,
    end: float,
    per_day: int = 1,
    prefix: str = "nrs",
) -> list[Json]:
    """NRS Observations on each day (several a day for diary data)."""
    out = []
    hours = (8, 14, 20)
    for index, day in enumerate(days):
        for slot in range(per_day):
            value = round(_clamp(level_at(start, end, index, len(days), rng, 0.9), 0, 10))
            rid = f"{pid}-{prefix}-{index:04d}" + (f"-{slot}" if per_day > 1 else "")
            out.append(nrs(rid, pid, when(day, hours[slot % 3], rng.randint(0, 59)), value))
    return out


def peg_series(
    pid: str, rng: Random, days: tuple[date, ...], *, start: float, end: float
) -> list[Json]:
    """PEG panels (three items and their mean) on each day."""
    out = []
    for index, day in enumerate(days):
        base = level_at(start, end, index, len(days), rng, 0.6)
        items = [round(_clamp(base + rng.gauss(0, 0.8), 0, 10)) for _ in range(3)]
        out.append(peg_panel(f"{pid}-peg-{index:03d}", pid, when(day, 11), *items))
    return out


def promis_series(
    pid: str,
    rng: Random,
    days: tuple[date, ...],
    *,
    interference: tuple[float, float],
    function: tuple[float, float],
) -> list[Json]:
    """PROMIS pain interference and physical function T-scores on each day."""
    out = []
    for index, day in enumerate(days):
        pi = round(_clamp(level_at(*interference, index, len(days), rng, 1.5), 38, 80), 1)
        pf = round(_clamp(level_at(*function, index, len(days), rng, 1.5), 20, 60), 1)
        effective = when(day, 11, 30)
        out.append(
            promis(f"{pid}-promis-pi-{index:03d}", pid, effective, c.PROMIS_PAIN_INTERFERENCE, pi)
        )
        out.append(
            promis(f"{pid}-promis-pf-{index:03d}", pid, effective, c.PROMIS_PHYSICAL_FUNCTION, pf)
        )
    return out
