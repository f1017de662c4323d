"""Patients written by others: AHRQ's Brenda Jackson, a carebundle patient without chronic pain."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta
from importlib import resources as package_files
from random import Random

from sandbox.patients.model import Json, SeedPatient, transaction

AHRQ_FILE = "brenda_jackson.json"
# Upstream's dates are relative to the Bundle's meta.lastUpdated (2023-10-16).
AHRQ_SHIFTED_FIELDS = frozenset(
    {"onsetDateTime", "recordedDate", "authoredOn", "issued", "birthDate", "performedDateTime"}
)
_URN = re.compile(r"^urn:uuid:([0-9a-fA-F-]{36})$")


def _shift_value(value: str, delta: timedelta) -> str:
    """Shift a FHIR date or dateTime by `delta`, keeping its precision and format."""
    if len(value) == 10:
        return (date.fromisoformat(value) + delta).isoformat()
    if len(value) in (4, 7):  # year or year-month: shift by whole days is meaningless; keep
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    shifted = (parsed + delta).isoformat(timespec="milliseconds" if "." in value else "seconds")
    return shifted.replace("+00:00", "Z") if value.endswith("Z") else shifted


def _shift_dates(node: object, delta: timedelta) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in AHRQ_SHIFTED_FIELDS and isinstance(value, str):
                node[key] = _shift_value(value, delta)
            else:
                _shift_dates(value, delta)
    elif isinstance(node, list):
        for item in node:
            _shift_dates(item, delta)


def ahrq_patient(today: date) -> SeedPatient:
    """Brenda Jackson (AHRQ Pain Management Summary), dates shifted so they end near today."""
    text = (
        package_files.files("sandbox.patients")
        .joinpath("data")
        .joinpath(AHRQ_FILE)
        .read_text("utf-8")
    )
    source = json.loads(text)
    anchor = date.fromisoformat(source["meta"]["lastUpdated"][:10])
    delta = timedelta(days=(today - anchor).days)
    resources = [copy.deepcopy(entry["resource"]) for entry in source["entry"]]
    _shift_dates(resources, delta)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    name = patient["name"][0]
    return SeedPatient(
        id=patient["id"],
        name=f"{' '.join(name['given'])} {name['family']}",
        kind="ahrq",
        description=(
            "AHRQ Pain Management Summary test patient: fibromyalgia, low back pain, high-dose "
            "oxycodone with a benzodiazepine, PEG scores (dates shifted to recent)"
        ),
        bundle=transaction(resources),
    )


def _replace_urns(node: object, ids: dict[str, str]) -> object:
    if isinstance(node, dict):
        return {key: _replace_urns(value, ids) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_urns(item, ids) for item in node]
    if isinstance(node, str) and node in ids:
        return ids[node]
    return node


def no_chronic_pain_patient(
    seed: int, today: date, *, patient_id: str, practitioner_id: str
) -> SeedPatient:
    """A carebundle US Core patient (type 2 diabetes) rewritten as PUTs with fixed ids."""
    import carebundle

    rng = Random(f"{seed}:no-chronic-pain")  # noqa: S311 (synthetic data, not security)
    sex = rng.choice(("F", "M"))
    generated = carebundle.generate_bundle(
        profile="type2_diabetes", seed=seed, sex=sex, reference_date=today, include_vitals=True
    )
    source = json.loads(carebundle.to_json(generated))
    ids: dict[str, str] = {}
    for entry in source["entry"]:
        match = _URN.match(entry["fullUrl"])
        if match is None:
            raise ValueError(f"carebundle entry without a urn:uuid fullUrl: {entry['fullUrl']}")
        rtype = entry["resource"]["resourceType"]
        if rtype == "Practitioner":  # its clinician becomes the sandbox's primary care physician
            ids[entry["fullUrl"]] = f"Practitioner/{practitioner_id}"
            continue
        rid = patient_id if rtype == "Patient" else f"{patient_id}-{match.group(1)[:13]}"
        ids[entry["fullUrl"]] = f"{rtype}/{rid}"
    resources: list[Json] = []
    for entry in source["entry"]:
        if entry["resource"]["resourceType"] == "Practitioner":
            continue
        resource = _replace_urns(entry["resource"], ids)
        assert isinstance(resource, dict)
        resource["id"] = ids[entry["fullUrl"]].split("/", 1)[1]
        resources.append(resource)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    name = patient["name"][0]
    return SeedPatient(
        id=patient_id,
        name=f"{' '.join(name.get('given', []))} {name.get('family', '')}".strip(),
        kind="no-chronic-pain",
        description="Type 2 diabetes and routine labs (carebundle); no pain condition or scores",
        bundle=transaction(resources),
    )
