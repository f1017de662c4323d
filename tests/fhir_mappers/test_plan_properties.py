"""Property-based: any plan the domain accepts becomes valid FHIR and reads back unchanged."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fhir_mappers import (
    careplan_from_fhir,
    check_resource,
    goal_from_fhir,
    plan_to_resources,
    review_to_resources,
)
from rehab import ActionPlan, GoalReview
from tests.fhir_mappers.factories import AUTHOR, PATIENT_ID, TODAY, fhirkit_errors

words = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
loose = st.one_of(st.just(""), words)
day = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
areas = st.one_of(
    st.sampled_from(["walking", "sleep", "pain", "work", "power-of-the-mind"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
)


@st.composite
def goal(draw: st.DrawFn, key: str) -> dict[str, Any]:
    """One goal of the payload."""
    start = draw(day)
    data: dict[str, Any] = {
        "key": key,
        "domain": draw(areas),
        "description": draw(words),
        "start": start.isoformat(),
        "due": (start + timedelta(days=draw(st.integers(0, 400)))).isoformat(),
        "steps": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "what": loose,
                        "how_much": loose,
                        "when": loose,
                        "how_often": st.fixed_dictionaries(
                            {
                                "frequency": st.integers(1, 50),
                                "period": st.integers(1, 99),
                                "unit": st.sampled_from(["d", "wk", "mo"]),
                            }
                        ),
                    }
                ),
                max_size=5,
            )
        ),
    }
    if draw(st.booleans()):
        data["measure"] = {
            "text": draw(words),
            "unit": draw(loose),
            "target": draw(
                st.one_of(st.none(), st.integers(0, 1000), st.floats(0, 1000, allow_nan=False))
            ),
        }
    if draw(st.booleans()):
        data["gas"] = {level: draw(words) for level in ("-2", "-1", "0", "1", "2")}
    if draw(st.booleans()):
        data["expressed_by"] = draw(st.sampled_from(["patient", "clinician", "shared"]))
    return data


@st.composite
def plans(draw: st.DrawFn) -> ActionPlan:
    """A plan accepted by ActionPlan.from_dict."""
    keys = draw(
        st.lists(
            st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,10}", fullmatch=True),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    review = draw(day)
    data = {
        "what_matters": draw(words),
        "expressed_by": draw(st.sampled_from(["patient", "clinician", "shared"])),
        "goals": [draw(goal(key)) for key in keys],
        "confidence": draw(st.integers(0, 10)),
        "importance": draw(st.one_of(st.none(), st.integers(0, 10))),
        "barriers": draw(st.lists(words, max_size=3)),
        "supports": draw(st.lists(words, max_size=3)),
        "follow_up": {
            "check_in": draw(st.one_of(st.none(), st.just(review.isoformat()))),
            "review": review.isoformat(),
        },
        "override_reason": draw(st.one_of(st.none(), words)),
    }
    plan, errors = ActionPlan.from_dict(data)
    assume(plan is not None and not errors)
    assert plan is not None
    return plan


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(plans(), st.sampled_from(["detail", "reference"]))
def test_any_accepted_plan_is_valid_fhir_and_reads_back_equal(plan: ActionPlan, style: str) -> None:
    resources = plan_to_resources(
        plan,
        patient_id=PATIENT_ID,
        author=AUTHOR,
        today=TODAY,
        plan_key="prop",
        activity_style=style,
    )  # type: ignore[arg-type]
    for resource in resources.all():
        assert check_resource(resource) == []
        assert fhirkit_errors(resource) == []
    back = careplan_from_fhir(
        resources.careplan.resource,
        [entry.resource for entry in resources.goals],
        [entry.resource for entry in resources.service_requests],
    )
    assert back == plan


reviews = st.fixed_dictionaries(
    {
        "gas_score": st.one_of(st.none(), st.integers(-2, 2)),
        "achievement_status": st.sampled_from(
            [
                "in-progress",
                "improving",
                "worsening",
                "no-change",
                "achieved",
                "sustaining",
                "not-achieved",
                "no-progress",
                "not-attainable",
            ]
        ),
        "peg": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "pain": st.integers(0, 10),
                    "enjoyment": st.integers(0, 10),
                    "activity": st.integers(0, 10),
                }
            ),
        ),
        "note": st.one_of(st.none(), words),
        "decision": st.sampled_from(["continue", "revise", "complete"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), reviews)
def test_any_accepted_review_of_a_written_goal_is_valid_fhir(plan: ActionPlan, data: Any) -> None:
    review, errors = GoalReview.from_dict(data)
    assume(review is not None and not errors)
    assert review is not None
    resources = plan_to_resources(
        plan, patient_id=PATIENT_ID, author=AUTHOR, today=TODAY, plan_key="prop"
    )
    goal = {**resources.goals[0].resource, "id": "g1"}
    made = review_to_resources(
        review, goal=goal, patient_id=PATIENT_ID, author=AUTHOR, today=plan.goals[0].due
    )
    assert len(made.observations) == (review.gas_score is not None) + (review.peg is not None)
    for resource in (*made.observations, made.goal):
        assert check_resource(resource) == []
        assert fhirkit_errors(resource) == []
    assert goal_from_fhir(made.goal) == goal_from_fhir(goal)
