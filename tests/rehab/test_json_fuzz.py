"""Property tests: random JSON never makes from_dict raise; valid plans round-trip exactly."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rehab.errors import FieldError
from rehab.plan import ActionPlan
from rehab.review import GoalReview
from tests.rehab.factories import make_plan_dict, make_review_dict, make_step_dict

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)

# Where a garbled value may land: the plan, its first goal, that goal's first step, its timing.
PLACES = ("plan", "goal", "step", "how_often", "follow_up")
FIELDS = sorted(
    set(make_plan_dict())
    | set(make_plan_dict()["goals"][0])
    | set(make_step_dict())
    | {"frequency", "period", "unit", "check_in", "review", "unknown"}
)


def mutated(base: dict[str, Any], changes: list[tuple[str, str, object]]) -> dict[str, Any]:
    """The base payload with the given (place, field, value) changes applied where possible."""
    data: dict[str, Any] = json.loads(json.dumps(base))
    for place, field, value in changes:
        goal = data["goals"][0] if isinstance(data.get("goals"), list) and data["goals"] else None
        steps = goal.get("steps") if isinstance(goal, dict) else None
        step = steps[0] if isinstance(steps, list) and steps else None
        targets: dict[str, object] = {
            "plan": data,
            "goal": goal,
            "step": step,
            "how_often": step.get("how_often") if isinstance(step, dict) else None,
            "follow_up": data.get("follow_up"),
        }
        target = targets[place]
        if isinstance(target, dict):
            target[field] = value
    return data


def check_result(result: tuple[object, list[FieldError]]) -> None:
    """Exactly one of an object or errors, and errors well formed."""
    value, errors = result
    assert (value is None) == bool(errors)
    for error in errors:
        assert isinstance(error.path, str)
        assert error.message


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_plan_from_dict_never_raises_on_any_json(data: object) -> None:
    check_result(ActionPlan.from_dict(data))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PLACES), st.sampled_from(FIELDS), json_values),
        min_size=1,
        max_size=5,
    )
)
def test_plan_from_dict_never_raises_when_fields_of_a_good_plan_are_garbled(
    changes: list[tuple[str, str, object]],
) -> None:
    check_result(ActionPlan.from_dict(mutated(make_plan_dict(), changes)))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*make_review_dict(), "peg"]), max_size=4),
    st.lists(json_values, min_size=4, max_size=4),
)
def test_review_from_dict_never_raises(keys: list[str], values: list[object]) -> None:
    data = make_review_dict()
    for key, value in zip(keys, values, strict=False):
        data[key] = value
    check_result(GoalReview.from_dict(data))


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s != "")
GAS_KEYS = ("-2", "-1", "0", "1", "2")
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1))


@st.composite
def valid_plans(draw: st.DrawFn) -> dict[str, Any]:
    """Normalized plan payloads that from_dict must accept and to_dict must reproduce."""
    goals = []
    for index in range(draw(st.integers(1, 5))):
        start = draw(days)
        due = start + timedelta(days=draw(st.integers(0, 400)))
        steps = [
            {
                "what": draw(texts),
                "how_much": draw(st.just("") | texts),
                "when": draw(texts),
                "how_often": {
                    "frequency": draw(st.integers(1, 50)),
                    "period": draw(st.integers(1, 99)),
                    "unit": draw(st.sampled_from(["d", "wk", "mo"])),
                },
            }
            for _ in range(draw(st.integers(0, 5)))
        ]
        target = draw(st.none() | st.floats(-1e6, 1e6, allow_nan=False))
        goals.append(
            {
                "key": f"g{index}",
                "domain": draw(st.sampled_from(["walking", "sleep", "pain", "work"])),
                "description": draw(texts),
                "measure": draw(st.none() | st.just({"text": "x", "target": target, "unit": ""})),
                "start": start.isoformat(),
                "due": due.isoformat(),
                "gas": draw(st.none() | st.just({k: f"level {k}" for k in GAS_KEYS})),
                "steps": steps,
                "expressed_by": draw(st.sampled_from([None, "patient", "clinician", "shared"])),
            }
        )
    review = draw(days)
    return {
        "what_matters": draw(texts),
        "expressed_by": draw(st.sampled_from(["patient", "clinician", "shared"])),
        "goals": goals,
        "confidence": draw(st.integers(0, 10)),
        "importance": draw(st.none() | st.integers(0, 10)),
        "barriers": draw(st.lists(texts, max_size=10)),
        "supports": draw(st.lists(texts, max_size=10)),
        "follow_up": {
            "check_in": draw(st.none() | st.just((review - timedelta(days=7)).isoformat())),
            "review": review.isoformat(),
        },
        "override_reason": draw(st.none() | texts),
    }


@settings(max_examples=200, deadline=None)
@given(valid_plans())
def test_valid_plans_round_trip_exactly(data: dict[str, Any]) -> None:
    plan, errors = ActionPlan.from_dict(data)

    assert errors == []
    assert plan is not None
    assert plan.to_dict() == data
    assert ActionPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == (plan, [])
