"""Pain and function measures: NRS, PEG with the 30% change rule, PROMIS, Goal Attainment Scale."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Literal

# Krebs et al., JGIM 2009;24:733: a drop of about 30% in the PEG mean is clinically meaningful.
MEANINGFUL_PEG_CHANGE_PERCENT = 30.0

# PCO IG GAS terminology (LOINC answer list LL6900-6): score -> (answer code, display).
GAS_ANSWERS: tuple[tuple[int, str, str], ...] = (
    (2, "LA34479-8", "Much better than expected"),
    (1, "LA34480-6", "Better than expected"),
    (0, "LA34481-4", "Expected outcome"),
    (-1, "LA34483-0", "Less than expected"),
    (-2, "LA34484-8", "Much less than expected"),
)
_GAS_SCORES = {code: score for score, code, _display in GAS_ANSWERS}

Direction = Literal["better", "worse", "same"]


class PromisKind(Enum):
    """Which PROMIS T-score: physical function (higher is better) or pain interference (worse)."""

    PHYSICAL_FUNCTION = "physical-function"
    PAIN_INTERFERENCE = "pain-interference"


@dataclass(frozen=True, slots=True, kw_only=True)
class PegItems:
    """The three PEG items, each 0-10: Pain, interference with Enjoyment, with General activity."""

    pain: int
    enjoyment: int
    activity: int

    @property
    def score(self) -> float:
        """The PEG score: the mean of the three items (0-10)."""
        return (self.pain + self.enjoyment + self.activity) / 3

    def to_dict(self) -> dict[str, object]:
        """The JSON of the payload."""
        return {"pain": self.pain, "enjoyment": self.enjoyment, "activity": self.activity}


@dataclass(frozen=True, slots=True, kw_only=True)
class NrsReading:
    """A pain intensity numeric rating (0 none ... 10 worst)."""

    when: date
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PegReading:
    """A PEG score, with its items when the EHR sent them."""

    when: date
    score: float
    items: PegItems | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PromisReading:
    """A PROMIS T-score (mean 50, SD 10 in the reference population)."""

    when: date
    kind: PromisKind
    t_score: float

    @property
    def higher_is_better(self) -> bool:
        """True for physical function, False for pain interference."""
        return self.kind is PromisKind.PHYSICAL_FUNCTION


@dataclass(frozen=True, slots=True, kw_only=True)
class PegChange:
    """A change in PEG score: signed percent of the baseline, and whether it is meaningful."""

    percent: float
    meaningful: bool
    direction: Direction


def peg_change(baseline: float, current: float) -> PegChange:
    """Change from baseline; meaningful at 30% or more of the baseline (lower PEG is better)."""
    if not (math.isfinite(baseline) and math.isfinite(current)):
        return PegChange(percent=0.0, meaningful=False, direction="same")
    difference = current - baseline
    if math.isclose(difference, 0.0, abs_tol=1e-9):
        return PegChange(percent=0.0, meaningful=False, direction="same")
    direction: Direction = "better" if difference < 0 else "worse"
    if baseline <= 0:
        # No relative change exists from a zero baseline; any rise is reported as a 100% rise.
        return PegChange(percent=100.0, meaningful=True, direction=direction)
    percent = 100.0 * difference / baseline
    # Rounded before comparing so 10 -> 7 (exactly 30%) counts despite float error.
    meaningful = round(abs(percent), 6) >= MEANINGFUL_PEG_CHANGE_PERCENT
    return PegChange(percent=percent, meaningful=meaningful, direction=direction)


def gas_achieved(score: int) -> bool:
    """A goal counts as achieved at GAS 0 (the expected outcome) or above (PCO IG)."""
    return score >= 0


def gas_answer(score: int) -> tuple[str, str] | None:
    """The LOINC answer code and display for a GAS score -2..+2, else None."""
    for value, code, display in GAS_ANSWERS:
        if value == score:
            return code, display
    return None


def gas_score(code: object) -> int | None:
    """The GAS score -2..+2 of a LOINC answer code (the inverse of gas_answer), else None."""
    return _GAS_SCORES.get(code) if isinstance(code, str) else None
