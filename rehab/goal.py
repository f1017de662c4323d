"""A functional SMART goal with its action steps, measure and Goal Attainment Scale levels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

from rehab.errors import FieldError
from rehab.jsonread import MISSING, Reader, join

# A goal whose domain is this template area is about pain intensity, not function
# (clinical.md: "pain (secondary only)"); every other area counts as functional.
PAIN_DOMAIN = "pain"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_STEPS = 5
_SIGNED = {"+1": "1", "+2": "2"}


class ExpressedBy(Enum):
    """Who expressed the goal (FHIR Goal.expressedBy is a reference; these are the app's words)."""

    PATIENT = "patient"
    CLINICIAN = "clinician"
    SHARED = "shared"


class PeriodUnit(Enum):
    """Units of a repeat period; values are FHIR Timing.repeat.periodUnit codes (UCUM)."""

    DAY = "d"
    WEEK = "wk"
    MONTH = "mo"


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """`frequency` times per `period` `unit`s, as FHIR Timing.repeat."""

    frequency: int
    period: int
    unit: PeriodUnit

    def to_dict(self) -> dict[str, object]:
        """The JSON of the payload."""
        return {"frequency": self.frequency, "period": self.period, "unit": self.unit.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionStep:
    """A between-visit task: what, how much, when, how often (Brief Action Planning)."""

    what: str
    how_much: str
    when: str
    how_often: Frequency

    def to_dict(self) -> dict[str, object]:
        """The JSON of the payload."""
        return {
            "what": self.what,
            "how_much": self.how_much,
            "when": self.when,
            "how_often": self.how_often.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Measure:
    """How progress is counted, with an optional numeric target."""

    text: str
    target: float | None
    unit: str

    def to_dict(self) -> dict[str, object]:
        """The JSON of the payload."""
        return {"text": self.text, "target": self.target, "unit": self.unit}


@dataclass(frozen=True, slots=True, kw_only=True)
class GasLevels:
    """The five Goal Attainment Scale levels; `expected` (0) is the goal, baseline usually -1."""

    minus_two: str
    minus_one: str
    expected: str
    plus_one: str
    plus_two: str

    def by_score(self) -> tuple[tuple[int, str], ...]:
        """The levels from -2 to +2 with their scores."""
        return (
            (-2, self.minus_two),
            (-1, self.minus_one),
            (0, self.expected),
            (1, self.plus_one),
            (2, self.plus_two),
        )

    def to_dict(self) -> dict[str, object]:
        """The JSON of the payload: keys "-2" ... "2"."""
        return {str(score): text for score, text in self.by_score()}


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionalGoal:
    """One SMART goal of a plan; `key` is stable within the plan and names its identifiers."""

    key: str
    domain: str
    description: str
    measure: Measure | None
    start: date
    due: date
    gas: GasLevels | None
    steps: tuple[ActionStep, ...]
    expressed_by: ExpressedBy | None = None

    @property
    def is_pain_intensity(self) -> bool:
        """True when the goal is about pain intensity rather than function."""
        return self.domain == PAIN_DOMAIN

    def to_dict(self) -> dict[str, object]:
        """The JSON of the payload, dates YYYY-MM-DD."""
        return {
            "key": self.key,
            "domain": self.domain,
            "description": self.description,
            "measure": None if self.measure is None else self.measure.to_dict(),
            "start": self.start.isoformat(),
            "due": self.due.isoformat(),
            "gas": None if self.gas is None else self.gas.to_dict(),
            "steps": [step.to_dict() for step in self.steps],
            "expressed_by": None if self.expressed_by is None else self.expressed_by.value,
        }


def parse_frequency(data: object, path: str, errors: list[FieldError]) -> Frequency | None:
    """A Frequency from JSON, or None with errors added."""
    read = Reader.of(data, path, errors, ("frequency", "period", "unit"))
    if read is None:
        return None
    frequency = read.integer("frequency", low=1, high=50)
    period = read.integer("period", low=1, high=99)
    unit = read.choice("unit", PeriodUnit)
    if frequency is None or period is None or unit is None:
        return None
    return Frequency(frequency=frequency, period=period, unit=unit)


def parse_step(data: object, path: str, errors: list[FieldError]) -> ActionStep | None:
    """An ActionStep from JSON; blank what/how much/when are left to the SMART check."""
    read = Reader.of(data, path, errors, ("what", "how_much", "when", "how_often"))
    if read is None:
        return None
    what = read.loose_text("what")
    how_much = read.loose_text("how_much")
    when = read.loose_text("when")
    how_often = parse_frequency(read.raw("how_often"), join(path, "how_often"), errors)
    if how_often is None:
        return None
    return ActionStep(what=what, how_much=how_much, when=when, how_often=how_often)


def parse_measure(data: object, path: str, errors: list[FieldError]) -> Measure | None:
    """A Measure from JSON."""
    read = Reader.of(data, path, errors, ("text", "target", "unit"))
    if read is None:
        return None
    text = read.text("text", max_len=200)
    target = read.number("target", required=False)
    unit = read.loose_text("unit", max_len=50)
    if text is None:
        return None
    return Measure(text=text, target=target, unit=unit)


def parse_gas(data: object, path: str, errors: list[FieldError]) -> GasLevels | None:
    """GAS levels from JSON keyed "-2".."2" ("+1"/"+2" accepted); every level must be described."""
    if isinstance(data, dict):
        for signed, plain in _SIGNED.items():
            if signed in data and plain in data:
                twice = f"Level {plain} is given twice."
                errors.append(FieldError(path=join(path, signed), message=twice))
                return None
        data = {_SIGNED.get(k, k): v for k, v in data.items()}
    read = Reader.of(data, path, errors, ("-2", "-1", "0", "1", "2"))
    if read is None:
        return None
    levels = [read.text(key, max_len=300) for key in ("-2", "-1", "0", "1", "2")]
    if any(level is None for level in levels):
        return None
    m2, m1, zero, p1, p2 = (level or "" for level in levels)
    return GasLevels(minus_two=m2, minus_one=m1, expected=zero, plus_one=p1, plus_two=p2)


GOAL_FIELDS = (
    "key", "domain", "description", "measure", "start", "due", "gas", "steps", "expressed_by",
)


def parse_goal(data: object, path: str, errors: list[FieldError]) -> FunctionalGoal | None:
    """A FunctionalGoal from JSON, or None with errors added (due must not be before start)."""
    read = Reader.of(data, path, errors, GOAL_FIELDS)
    if read is None:
        return None
    before = len(errors)
    key = read.text("key", max_len=64)
    if key is not None and not _KEY.match(key):
        read.fail("key", "A goal key may use only letters, digits, '.', '_' and '-'.")
    domain = read.text("domain", max_len=40)
    if domain is not None and not _SLUG.match(domain):
        read.fail("domain", "Choose a life area such as walking or sleep.")
    description = read.text("description", max_len=500)
    raw_measure, raw_gas = read.raw("measure"), read.raw("gas")
    measure = None
    if raw_measure is not MISSING:
        measure = parse_measure(raw_measure, join(path, "measure"), errors)
    gas = None if raw_gas is MISSING else parse_gas(raw_gas, join(path, "gas"), errors)
    start, due = read.day("start"), read.day("due")
    if start is not None and due is not None and due < start:
        read.fail("due", "must not be before the start date")
    steps: list[ActionStep] = []
    for index, raw in enumerate(read.items("steps", low=0, high=MAX_STEPS) or ()):
        step = parse_step(raw, join(join(path, "steps"), index), errors)
        if step is not None:
            steps.append(step)
    expressed_by = read.choice("expressed_by", ExpressedBy, required=False)
    if (
        len(errors) > before
        or key is None
        or domain is None
        or description is None
        or start is None
        or due is None
    ):
        return None
    return FunctionalGoal(
        key=key, domain=domain, description=description, measure=measure, start=start,
        due=due, gas=gas, steps=tuple(steps), expressed_by=expressed_by,
    )

