"""Property-based: patient_context never raises, and good resources beside bad ones are used."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_mappers import patient_context
from tests.fhir_mappers.factories import TODAY

LOINC = "http://loinc.org"
TYPES = [
    "Patient",
    "Condition",
    "Observation",
    "Goal",
    "CarePlan",
    "MedicationRequest",
    "Medication",
    "Bundle",
    "Procedure",
]
KEYS = [
    "id",
    "code",
    "coding",
    "system",
    "status",
    "lifecycleStatus",
    "valueQuantity",
    "value",
    "valueInteger",
    "valueString",
    "valueCodeableConcept",
    "effectiveDateTime",
    "issued",
    "effectivePeriod",
    "start",
    "component",
    "focus",
    "reference",
    "target",
    "dueDate",
    "startDate",
    "description",
    "text",
    "name",
    "given",
    "family",
    "birthDate",
    "identifier",
    "medicationCodeableConcept",
    "medicationReference",
    "dosageInstruction",
    "timing",
    "repeat",
    "frequency",
    "period",
    "periodUnit",
    "doseAndRate",
    "doseQuantity",
    "entry",
    "resource",
    "clinicalStatus",
    "activity",
    "detail",
    "category",
    "extension",
    "meta",
    "versionId",
    "achievementStatus",
    "onsetDateTime",
    "authoredOn",
    "ingredient",
]
CODES = [
    "72514-3",
    "91147-9",
    "91148-7",
    "75893-8",
    "91721-1",
    "77865-4",
    "107333-7",
    "LA34480-6",
    "82423001",
    "G89.29",
    "M54.5",
    "1049717",
    "7804",
    "905505",
    "MME",
    "active",
]
SYSTEMS = [
    LOINC,
    "http://snomed.info/sct",
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "urn:local",
    "http://cds.ahrq.gov/cdsconnect/pms",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(CODES),
    st.sampled_from(SYSTEMS),
    st.sampled_from(["2026-11-01", "2026-11-01T10:00:00Z", "2026", "not a date", "9999-99-99"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    ),
    max_leaves=20,
)
# Well-formed resources of every kind the context reads; mutations of them reach deep paths.
TEMPLATES: list[dict[str, Any]] = [
    {
        "resourceType": "Patient",
        "id": "t-p",
        "name": [{"given": ["A"], "family": "B"}],
        "birthDate": "1961-01-25",
        "gender": "female",
    },
    {
        "resourceType": "Condition",
        "id": "t-c",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.5"}]},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "onsetDateTime": "2020-01-01",
    },
    {
        "resourceType": "Observation",
        "id": "t-peg",
        "status": "final",
        "issued": "2026-01-01",
        "code": {"coding": [{"system": LOINC, "code": "91148-7"}]},
        "component": [
            {"code": {"coding": [{"system": LOINC, "code": "75893-8"}]}, "valueInteger": 5},
            {
                "code": {"coding": [{"system": LOINC, "code": "91147-9"}]},
                "valueQuantity": {"value": 5},
            },
        ],
    },
    {
        "resourceType": "Observation",
        "id": "t-gas",
        "status": "final",
        "effectivePeriod": {"start": "2026-01-01"},
        "code": {"coding": [{"system": LOINC, "code": "107333-7"}]},
        "focus": [{"reference": "Goal/x"}],
        "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA34480-6"}]},
    },
    {
        "resourceType": "Observation",
        "id": "t-promis",
        "status": "final",
        "effectiveDateTime": "2026-01-01",
        "code": {"coding": [{"system": LOINC, "code": "91721-1"}]},
        "valueQuantity": {"value": 40},
    },
    {
        "resourceType": "Observation",
        "id": "t-mme",
        "status": "final",
        "issued": "2026-01-01T11:06:11.683Z",
        "code": {"coding": [{"system": "http://cds.ahrq.gov/cdsconnect/pms", "code": "MME"}]},
        "valueQuantity": {"value": 220, "unit": "{MME}/d", "code": "{MME}/d"},
    },
    {
        "resourceType": "Goal",
        "id": "t-g",
        "lifecycleStatus": "active",
        "description": {"text": "Reduce pain"},
        "startDate": "2026-01-01",
        "target": [
            {"measure": {"coding": [{"system": LOINC, "code": "91147-9"}]}, "dueDate": "2026-03-01"}
        ],
        "identifier": [
            {"system": "https://fhir.functionfirst.app/sid/plan-item", "value": "k/goal/a"}
        ],
        "meta": {"versionId": "1"},
    },
    {
        "resourceType": "CarePlan",
        "id": "t-cp",
        "status": "active",
        "period": {"start": "2026-01-01"},
        "activity": [{"detail": {"code": {"text": "Walk"}}}, {"reference": {"display": "PT"}}],
    },
    {
        "resourceType": "MedicationRequest",
        "id": "t-m",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [
                {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1049717"}
            ],
            "text": "Oxy",
        },
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}},
                "doseAndRate": [{"doseQuantity": {"value": 1}}],
            }
        ],
        "medicationReference": {"reference": "Medication/t-med"},
    },
    {
        "resourceType": "Medication",
        "id": "t-med",
        "code": {"text": "Oxy"},
        "ingredient": [
            {
                "itemCodeableConcept": {
                    "coding": [
                        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7804"}
                    ]
                }
            }
        ],
    },
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A template with one to three of its values replaced by random JSON (or removed)."""
    resource = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(resource) if p != ("resourceType",)]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = resource
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return resource


malformed = st.one_of(
    json_values,
    st.builds(
        lambda kind, body: {**body, "resourceType": kind},
        st.sampled_from(TYPES),
        st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8),
    ),
    mutated(),
)


@st.composite
def good_nrs(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed NRS Observation with a unique id."""
    value = draw(st.integers(0, 10))
    when = TODAY - timedelta(days=draw(st.integers(0, 700)))
    return {
        "resourceType": "Observation",
        "id": f"good-{draw(st.uuids()).hex}",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "72514-3"}]},
        "effectiveDateTime": when.isoformat(),
        "valueQuantity": {"value": value},
    }


def good_goal(gid: str) -> dict[str, Any]:
    return {
        "resourceType": "Goal",
        "id": gid,
        "lifecycleStatus": "active",
        "description": {"text": "Walk 10 minutes"},
        "subject": {"reference": "Patient/1"},
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(malformed, max_size=12))
def test_patient_context_never_raises(resources: list[Any]) -> None:
    context = patient_context(resources, today=TODAY)
    assert len(context.skipped) <= len(resources) + sum(
        len(r.get("entry", [])) if isinstance(r, dict) and isinstance(r.get("entry"), list) else 0
        for r in resources
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(malformed, max_size=8),
    st.lists(good_nrs(), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
def test_good_resources_beside_bad_ones_are_still_used(
    bad: list[Any], good: list[dict[str, Any]], shuffle: Any
) -> None:
    goals = [good_goal("goal-ok-1"), good_goal("goal-ok-2")]
    mixed = [*bad, *good, *goals]
    shuffle.shuffle(mixed)
    context = patient_context(mixed, today=TODAY)
    good_readings = sorted(
        (date.fromisoformat(g["effectiveDateTime"]), float(g["valueQuantity"]["value"]))
        for g in good
    )
    found = [(r.when, r.value) for r in context.nrs]
    # Every good reading is there (bad input may add readings of its own, never remove these).
    for reading in good_readings:
        assert reading in found
    assert {"goal-ok-1", "goal-ok-2"} <= {g.id for g in context.goals}
    assert not any(label.startswith("Observation/good-") for label in context.skipped)
