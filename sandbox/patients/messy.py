"""The messy patient: vendor extensions, missing fields, duplicate codings, unknown codes.

Every resource here is valid FHIR R4 (both sandbox servers validate writes, so a structurally
broken resource could not be stored). The "does not parse" case is therefore one a reader must
refuse on meaning: an NRS Observation (72514-3) whose value is free text, not a 0-10 quantity.
Its reference is in `SeedPatient.unreadable`.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from sandbox.patients import codes as c
from sandbox.patients import resources as r
from sandbox.patients.kinds import PAIN_DOC, PRIMARY, medication_requests, mrn
from sandbox.patients.model import Json, SeedPatient, transaction
from sandbox.patients.people import draw_person, patient_resource

# A vendor's local code system (an Epic-style OID) and extension namespace.
LOCAL_CODES = "urn:oid:1.2.840.114350.1.13.0.1.7.2.696784"
VENDOR_EXT = "http://open.epic.com/FHIR/StructureDefinition/extension"


def _vendor_extension(name: str, value: str) -> Json:
    return {"url": f"{VENDOR_EXT}/{name}", "valueString": value}


def _observations(pid: str, today: date) -> list[Json]:
    out: list[Json] = []
    dup = r.nrs(f"{pid}-nrs-dup", pid, r.when(today - timedelta(days=3)), 6)
    dup["code"]["coding"].append(r.coding(c.LOINC, c.NRS[0], c.NRS[1]))  # the same coding twice
    dup["extension"] = [_vendor_extension("flowsheet-row-id", "1570000016")]
    out.append(dup)
    no_time = r.nrs(f"{pid}-nrs-no-effective", pid, r.when(today), 5)
    del no_time["effectiveDateTime"]  # some feeds send only `issued`
    no_time["issued"] = r.when(today - timedelta(days=10), 12).replace("Z", ".000Z")
    out.append(no_time)
    local = r.nrs(f"{pid}-pain-local", pid, r.when(today - timedelta(days=20)), 7)
    local["code"] = {
        "coding": [r.coding(LOCAL_CODES, "R PAIN SCORE", "Pain score")],
        "text": "Pain score (0-10)",
    }
    out.append(local)
    no_category = r.nrs(f"{pid}-nrs-no-category", pid, r.when(today - timedelta(days=30)), 8)
    del no_category["category"]
    out.append(no_category)
    erroneous = r.nrs(f"{pid}-nrs-error", pid, r.when(today - timedelta(days=31)), 10)
    erroneous["status"] = "entered-in-error"
    out.append(erroneous)
    partial = r.peg_panel(f"{pid}-peg-partial", pid, r.when(today - timedelta(days=45)), 7, 6, 6)
    partial["component"] = partial["component"][:2]  # activity item and score missing
    out.append(partial)
    lone = r.peg_score(f"{pid}-peg-score", pid, r.when(today - timedelta(days=60)), 6.3)
    lone["valueQuantity"] = {"value": 6.3}  # no unit at all
    out.append(lone)
    unreadable = r.nrs(f"{pid}-nrs-text", pid, r.when(today - timedelta(days=5)), 0)
    del unreadable["valueQuantity"]
    unreadable["valueString"] = "7-8, worse at night"
    out.append(unreadable)
    unknown = r.nrs(f"{pid}-obs-unknown", pid, r.when(today - timedelta(days=7)), 3)
    unknown["code"] = {"coding": [r.coding(c.LOINC, "99999-9", "Not a real LOINC code")]}
    out.append(unknown)
    return out


def _medications(pid: str, today: date) -> list[Json]:
    no_dose, text_only, local = medication_requests(
        pid,
        today,
        (
            ("oxy-nodose", c.OXYCODONE_10, 30, 6, PAIN_DOC, "active", False),
            ("text", c.GABAPENTIN_300, 90, 8, PRIMARY, "active", False),
            ("local", c.DULOXETINE_60, 120, 24, PRIMARY, "active", False),
        ),
    )
    del no_dose["dosageInstruction"]  # an opioid whose daily dose cannot be known
    text_only["medicationCodeableConcept"] = {
        "text": "Gabapentin 300mg caps (patient's own supply)"
    }
    local["medicationCodeableConcept"] = {
        "coding": [r.coding(f"{LOCAL_CODES}.1", "88412", "DULOXETINE 60 MG PO CPEP")],
        "text": "DULOXETINE 60 MG PO CPEP",
    }
    local["extension"] = [_vendor_extension("med-admin-instructions", "Take with food")]
    return [no_dose, text_only, local]


def messy(pid: str, rng: Random, today: date) -> SeedPatient:
    """Real-world mess, each resource still valid FHIR R4; one NRS has a text value."""
    person = draw_person(rng, today, ages=(30, 70))
    pat = patient_resource(pid, person, mrn=mrn(rng))
    pat["name"] = [{"text": f"{person.family.upper()}, {person.given.upper()}"}]  # text only
    del pat["birthDate"]
    pat["extension"] = [_vendor_extension("legal-sex", person.gender)]
    onset = today - timedelta(days=rng.randint(400, 900))
    dup = r.condition(f"{pid}-cond-dup", pid, c.LOW_BACK_PAIN, onset=onset, recorded=onset)
    dup["code"]["coding"].insert(1, r.coding(c.SNOMED, c.LOW_BACK_PAIN[0]))
    bare = r.condition(f"{pid}-cond-bare", pid, c.FIBROMYALGIA, onset=onset, recorded=onset)
    for key in ("onsetDateTime", "recordedDate", "verificationStatus", "category"):
        del bare[key]
    local = r.condition(f"{pid}-cond-local", pid, c.CHRONIC_PAIN, onset=onset, recorded=onset)
    local["code"] = {
        "coding": [r.coding(LOCAL_CODES, "IMO-1234567", "Chronic back ache")],
        "text": "Chronic back ache",
    }
    vague = r.goal(
        f"{pid}-goal-vague",
        pid,
        text="feel better",
        start=today,
        due=today,
        lifecycle="proposed",
        achievement=None,
    )
    for key in ("startDate", "target", "category"):
        del vague[key]
    vague["extension"] = [_vendor_extension("goal-owner", "Front desk")]
    res: list[Json] = [
        pat,
        dup,
        bare,
        local,
        vague,
        *_observations(pid, today),
        *_medications(pid, today),
    ]
    return SeedPatient(
        id=pid,
        name=person.name,
        kind="messy",
        description="Vendor extensions, missing fields, duplicate codings, local codes, text score",
        bundle=transaction(res),
        unreadable=(f"Observation/{pid}-nrs-text",),
    )
