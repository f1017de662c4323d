"""Time patient_context for a heavy patient (5,000 Observations, 200 medication requests, 50 goals).

Run: .venv/bin/python benchmarks/context_build.py [--runs N]. Target: median under 150 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from fhir_mappers import patient_context

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TODAY = date(2026, 11, 23)
PRODUCTS = [
    ("1049717", "Oxycodone Hydrochloride 10 MG Oral Capsule"),
    ("835603", "tramadol hydrochloride 50 MG Oral Tablet"),
    ("905505", "Chlordiazepoxide Hydrochloride 25 MG Oral Tablet"),
    ("197806", "Ibuprofen 600 MG Oral Tablet"),
    ("198440", "Acetaminophen 500 MG Oral Tablet"),
]


def _coded(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], "text": display or code}


def _observation(rng: random.Random, n: int) -> dict[str, Any]:
    when = (TODAY - timedelta(days=rng.randrange(730))).isoformat() + "T09:30:00-05:00"
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"obs-{n}",
        "status": "final",
        "category": [
            _coded("http://terminology.hl7.org/CodeSystem/observation-category", "survey")
        ],
        "subject": {"reference": "Patient/heavy"},
        "effectiveDateTime": when,
        "meta": {"versionId": "1", "lastUpdated": when},
    }
    kind = n % 5
    if kind in (0, 1):
        base["code"] = _coded(LOINC, "72514-3", "Pain severity 0-10")
        base["valueQuantity"] = {"value": rng.randrange(11), "unit": "{score}"}
    elif kind == 2:
        base["code"] = _coded(LOINC, "91148-7", "PEG panel")
        base["component"] = [
            {"code": _coded(LOINC, code), "valueInteger": rng.randrange(11)}
            for code in ("75893-8", "91145-3", "91146-1")
        ]
    elif kind == 3:
        base["code"] = _coded(LOINC, rng.choice(["91721-1", "77865-4"]), "PROMIS T-score")
        base["valueQuantity"] = {"value": round(rng.uniform(25, 75), 1)}
    else:
        base["code"] = _coded(LOINC, "107333-7", "GAS follow-up score")
        base["focus"] = [{"reference": f"Goal/goal-{rng.randrange(50)}"}]
        base["valueCodeableConcept"] = _coded(LOINC, "LA34481-4", "Expected outcome")
    return base


def heavy_patient(seed: int = 7) -> list[dict[str, Any]]:
    """The resources of one heavy patient, as a gateway would hand them over."""
    rng = random.Random(seed)
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": "heavy",
            "gender": "male",
            "birthDate": "1958-04-02",
            "name": [{"use": "official", "given": ["Harold"], "family": "Heavy"}],
        },
    ]
    resources += [
        {
            "resourceType": "Condition",
            "id": f"cond-{n}",
            "clinicalStatus": _coded(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
            ),
            "code": {
                "coding": [
                    {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code},
                    {"system": "urn:local", "code": f"L{n}"},
                ]
            },
        }
        for n, code in enumerate(["G89.29", "M54.50", "M79.7", "I10", "E11.9"])
    ]
    resources += [_observation(rng, n) for n in range(5000)]
    for n in range(200):
        code, name = PRODUCTS[n % len(PRODUCTS)]
        resources.append(
            {
                "resourceType": "MedicationRequest",
                "id": f"med-{n}",
                "status": "active",
                "intent": "order",
                "subject": {"reference": "Patient/heavy"},
                "medicationCodeableConcept": _coded(RXNORM, code, name),
                "authoredOn": (TODAY - timedelta(days=rng.randrange(700))).isoformat(),
                "dosageInstruction": [
                    {
                        "timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}},
                        "doseAndRate": [{"doseQuantity": {"value": 1}}],
                    }
                ],
            }
        )
    resources += [
        {
            "resourceType": "Goal",
            "id": f"goal-{n}",
            "lifecycleStatus": "active",
            "description": {"text": f"Walk {10 + n} minutes a day" if n % 4 else "Pain 4 or lower"},
            "subject": {"reference": "Patient/heavy"},
            "startDate": "2026-01-01",
            "target": [
                {
                    "measure": {"text": "minutes"},
                    "detailQuantity": {"value": 10 + n},
                    "dueDate": "2026-06-01",
                }
            ],
        }
        for n in range(50)
    ]
    rng.shuffle(resources)
    return resources


def main() -> None:
    """Build the context several times and print the median time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    resources = heavy_patient()
    patient_context(resources, today=TODAY)  # warm up: code lists load once per process
    times, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        context = patient_context(resources, today=TODAY)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    print(f"resources: {len(resources)} (5000 Observations, 200 MedicationRequests, 50 Goals)")
    print(
        f"context: {len(context.nrs)} NRS, {len(context.peg)} PEG, {len(context.promis)} PROMIS, "
        f"{len(context.reviews)} reviews, {len(context.medications)} medications, "
        f"{len(context.goals)} goals, {len(context.skipped)} skipped"
    )
    print(
        f"patient_context median {statistics.median(times):.1f} ms over {args.runs} runs "
        f"(min {min(times):.1f}, max {max(times):.1f}); CPU time median "
        f"{statistics.median(cpu):.1f} ms; target < 150 ms"
    )


if __name__ == "__main__":
    main()
