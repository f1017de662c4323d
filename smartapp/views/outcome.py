"""What a save left in the EHR, in clinician words: the heading, each record named, the steps.

The saved page's heading must match what landed: a save that wrote one goal of two is "partly
saved", never "saved to the chart". The writes happen in the plan's order (goals, action
steps, care plan, then the scores: confidence, importance, one per barrier) and a save stops
at the first failure, so the n-th record of a kind written is the plan's n-th of that kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fhir_mappers.narrative import frequency_words
from rehab.goal import ActionStep
from rehab.plan import ActionPlan
from smartapp.views.refusal import objects
from smartapp.views.words import STRATEGY_WORDS, record_words

# Warnings the strategy's own words already say (shown once, not twice in two wordings).
_SAID_BY_STRATEGY = {
    "note": ("The EHR does not accept goals from this app",),
    "export": ("Nothing was written to the EHR",),
}
_NOUNS = {
    "Goal": ("goal", "goals"),
    "ServiceRequest": ("action step", "action steps"),
    "CarePlan": ("care plan", "care plans"),
    "Observation": ("score", "scores"),
    "DocumentReference": ("clinical note", "clinical notes"),
    "Provenance": ("record of who wrote it", "records of who wrote it"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The saved page's heading and first line; `kind` is complete, partial, none or export."""

    kind: str
    heading: str
    summary: str

    @property
    def ok(self) -> bool:
        """True when everything the strategy writes is in the EHR."""
        return self.kind == "complete"


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One record written: what it is, in words, with its EHR id and version."""

    record: str
    name: str
    id: str
    version: str


def _count_words(kinds: Sequence[str], goals_planned: int) -> str:
    """`1 of 2 goals, 3 scores and the care plan`."""
    counts = Counter(kinds)
    parts = []
    for kind, number in counts.items():
        one, many = _NOUNS.get(kind, (record_words(kind).lower(), record_words(kind).lower()))
        if kind == "Goal" and goals_planned > number:
            parts.append(f"{number} of {goals_planned} {many if goals_planned > 1 else one}")
        elif number == 1 and kind in ("CarePlan", "DocumentReference", "Provenance"):
            parts.append(f"the {one}")
        else:
            parts.append(f"{number} {one if number == 1 else many}")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def save_outcome(result: Mapping[str, object], *, goals_planned: int) -> Outcome:
    """The heading and first line for what the save left in the EHR."""
    strategy = str(result.get("strategy"))
    written = [str(w.get("resourceType")) for w in objects(result, "written")]
    failed = [str(f.get("resourceType")) for f in objects(result, "failed")]
    if strategy == "export":
        return Outcome(
            kind="export", heading="Plan ready to print", summary=STRATEGY_WORDS["export"]
        )
    if not failed:
        done = STRATEGY_WORDS.get(strategy, "Saved to the chart.")
        return Outcome(kind="complete", heading="Plan saved", summary=done)
    missing = _count_words(failed, 0)
    if not [w for w in written if w != "Provenance"]:
        return Outcome(
            kind="none",
            heading="Plan not saved",
            summary=f"Nothing was saved to the chart: {missing} did not land, so nothing was "
            "written. Press Save again; if it keeps failing, print the handout.",
        )
    landed = _count_words(written, goals_planned)
    return Outcome(
        kind="partial",
        heading="Plan partly saved",
        summary=f"Partly saved to the chart: {landed} landed; {missing} did not, and "
        "nothing after it was written. Press Save again to write the rest: what landed is "
        "not written twice.",
    )


def shown_warnings(result: Mapping[str, object]) -> tuple[str, ...]:
    """The save's warnings less those the strategy's heading already says."""
    said = _SAID_BY_STRATEGY.get(str(result.get("strategy")), ())
    found = result.get("warnings")
    items = found if isinstance(found, list) else []
    return tuple(str(w) for w in items if not str(w).startswith(said))


def step_words(step: ActionStep) -> str:
    """A step once: what, how much, when, how often (each only when set)."""
    parts = [step.what.strip().rstrip(".")]
    parts += [
        f"{label} {value.strip().rstrip('.')}"
        for label, value in (("how much:", step.how_much), ("when:", step.when))
        if value.strip()
    ]
    parts.append(f"how often: {frequency_words(step.how_often)}")
    return "; ".join(parts) + "."


def _names(plan: ActionPlan) -> dict[str, list[str]]:
    """The plan's records of each kind, named, in the order they are written."""
    scores = [f"Confidence {plan.confidence}/10"]
    if plan.importance is not None:
        scores.append(f"Importance {plan.importance}/10")
    scores += [f"Barrier: {text}" for text in plan.barriers]
    return {
        "Goal": [f"Goal {n}: {g.description}" for n, g in enumerate(plan.goals, start=1)],
        "ServiceRequest": [
            f"Goal {n}, step {m}: {s.what}"
            for n, g in enumerate(plan.goals, start=1)
            for m, s in enumerate(g.steps, start=1)
        ],
        "Observation": scores,
    }


def written_rows(result: Mapping[str, object], plan: ActionPlan) -> tuple[Row, ...]:
    """Each record written, named from the plan (a confidence score says `Confidence 8/10`)."""
    names = _names(plan)
    seen: Counter[str] = Counter()
    rows = []
    for item in objects(result, "written"):
        kind = str(item.get("resourceType"))
        known = names.get(kind, [])
        name = known[seen[kind]] if seen[kind] < len(known) else ""
        seen[kind] += 1
        rows.append(
            Row(
                record=record_words(kind),
                name=name,
                id=str(item.get("id") or ""),
                version=str(item.get("versionId") or "—"),
            )
        )
    return tuple(rows)
