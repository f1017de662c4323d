"""The sandbox's practitioners: fixed names and roles (Practitioner and PractitionerRole)."""

from __future__ import annotations

from sandbox.patients import codes as c
from sandbox.patients.model import Json, SeedPractitioner, put_entry
from sandbox.patients.resources import concept

ORGANIZATION_ID = "ff-org-clinic"
# id, given, family, prefix, suffix, role text, role coding (system, code, display), specialty.
_PEOPLE: tuple[tuple[str, str, str, str, str, str, tuple[str, str, str], tuple[str, str]], ...] = (
    (
        "ff-pr-okafor",
        "Maya",
        "Okafor",
        "Dr.",
        "MD",
        "Primary care physician",
        (c.PRACTITIONER_ROLE, "doctor", "Doctor"),
        ("419772000", "Family practice"),
    ),
    (
        "ff-pr-raman",
        "Priya",
        "Raman",
        "Dr.",
        "MD",
        "Pain medicine physician",
        (c.PRACTITIONER_ROLE, "doctor", "Doctor"),
        ("394882004", "Pain management"),
    ),
    (
        "ff-pr-lindqvist",
        "Sam",
        "Lindqvist",
        "",
        "PT",
        "Physiotherapist",
        (c.SNOMED, "36682004", "Physiotherapist"),
        ("722170006", "Physiotherapy service"),
    ),
    (
        "ff-pr-ellis",
        "Jordan",
        "Ellis",
        "",
        "RN",
        "Nurse care manager",
        (c.PRACTITIONER_ROLE, "nurse", "Nurse"),
        ("722172003", "Nursing service"),
    ),
    (
        "ff-pr-haddad",
        "Omar",
        "Haddad",
        "",
        "PsyD",
        "Clinical psychologist",
        (c.SNOMED, "59944000", "Psychologist"),
        ("722162001", "Psychology service"),
    ),
)


def _organization() -> Json:
    return {
        "resourceType": "Organization",
        "id": ORGANIZATION_ID,
        "active": True,
        "name": "FunctionFirst Sandbox Community Clinic",
    }


def build_practitioners() -> tuple[SeedPractitioner, ...]:
    """Practitioners with names and roles (the first carries the clinic Organization too)."""
    out = []
    for index, (pid, given, family, prefix, suffix, role, role_code, specialty) in enumerate(
        _PEOPLE
    ):
        name: Json = {"use": "official", "family": family, "given": [given]}
        if prefix:
            name["prefix"] = [prefix]
        name["suffix"] = [suffix]
        practitioner = {
            "resourceType": "Practitioner",
            "id": pid,
            "identifier": [
                {"system": "http://hl7.org/fhir/sid/us-npi", "value": f"99900000{index + 1:02d}"}
            ],
            "active": True,
            "name": [name],
        }
        practitioner_role = {
            "resourceType": "PractitionerRole",
            "id": f"{pid}-role",
            "active": True,
            "practitioner": {"reference": f"Practitioner/{pid}", "display": f"{given} {family}"},
            "organization": {"reference": f"Organization/{ORGANIZATION_ID}"},
            "code": [concept(role_code[0], role_code[1], role_code[2], text=role)],
            "specialty": [concept(c.SNOMED, specialty[0], specialty[1])],
        }
        entries = [put_entry(practitioner), put_entry(practitioner_role)]
        if index == 0:
            entries.insert(0, put_entry(_organization()))
        display = " ".join(p for p in (prefix, given, family) if p) + f", {suffix}"
        out.append(SeedPractitioner(id=pid, name=display, role=role, entries=tuple(entries)))
    return tuple(out)
