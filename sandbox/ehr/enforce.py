"""What a real EHR enforces on FHIR requests: scopes, the launch patient, vendor rules.

Pure functions over the parsed request; the proxy turns a `Refusal` into an OperationOutcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sandbox.ehr.profiles import Profile
from sandbox.ehr.scopes import Grant, Interaction

# Types whose instances belong to one patient (FHIR R4 Patient compartment, the subset the
# sandbox serves) and the elements that name that patient.
PATIENT_REFS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Observation": ("subject",),
        "Condition": ("subject",),
        "Goal": ("subject",),
        "CarePlan": ("subject",),
        "CareTeam": ("subject",),
        "MedicationRequest": ("subject",),
        "MedicationStatement": ("subject",),
        "MedicationDispense": ("subject",),
        "Encounter": ("subject",),
        "DocumentReference": ("subject",),
        "DiagnosticReport": ("subject",),
        "Procedure": ("subject",),
        "ServiceRequest": ("subject",),
        "QuestionnaireResponse": ("subject",),
        "AllergyIntolerance": ("patient",),
        "Immunization": ("patient",),
        "Coverage": ("beneficiary",),
    }
)
PATIENT_SEARCH_PARAMS = ("patient", "subject", "subject:Patient", "beneficiary")


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """Why a request is refused: HTTP status, OperationOutcome issue code, message."""

    status: int
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FhirCall:
    """One FHIR interaction: `GET Observation?...`, `PUT Goal/1`, `POST Goal`."""

    method: str
    resource_type: str
    resource_id: str | None
    params: tuple[tuple[str, str], ...] = ()
    body: Mapping[str, object] | None = None
    headers: Mapping[str, str] | None = None

    @property
    def interaction(self) -> Interaction:
        """The SMART permission letter the call needs."""
        if self.method in ("GET", "HEAD"):
            return Interaction.READ if self.resource_id else Interaction.SEARCH
        if self.method == "POST":
            return Interaction.SEARCH if self.resource_id == "_search" else Interaction.CREATE
        if self.method in ("PUT", "PATCH"):
            return Interaction.UPDATE
        return Interaction.DELETE


def patient_of(resource: Mapping[str, object]) -> str | None:
    """The patient id a resource belongs to, or None when it names none."""
    rtype = resource.get("resourceType")
    if rtype == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) else None
    for element in PATIENT_REFS.get(str(rtype), ()):
        ref = resource.get(element)
        if isinstance(ref, Mapping) and isinstance(ref.get("reference"), str):
            return _patient_id(str(ref["reference"]))
    return None


def _patient_id(reference: str) -> str | None:
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Patient":
        return parts[-1]
    if len(parts) >= 4 and parts[-4] == "Patient" and parts[-2] == "_history":
        return parts[-3]
    return None


def check_scope(call: FhirCall, grant: Grant, patient: str | None) -> Refusal | None:
    """Scope not granted: 403; patient scopes reach the launch patient only."""
    scope = grant.allows(call.resource_type, call.interaction)
    if scope is None:
        needed = f"{call.resource_type}.{call.interaction.value}"
        return Refusal(status=403, code="forbidden", message=f"Scope does not allow {needed}")
    if scope.context != "patient":
        return None
    if patient is None:
        return Refusal(status=403, code="forbidden", message="No patient in the launch context")
    return _check_patient(call, patient)


def _check_patient(call: FhirCall, patient: str) -> Refusal | None:
    other = Refusal(status=403, code="forbidden", message="Outside the launch patient")
    rtype = call.resource_type
    if call.interaction is Interaction.SEARCH:
        if rtype == "Patient":
            ids = _values(call.params, ("_id",))
            return None if ids and set(ids) == {patient} else other
        if rtype not in PATIENT_REFS:
            return None
        named = _values(call.params, PATIENT_SEARCH_PARAMS)
        if not named:
            return Refusal(status=403, code="forbidden", message="Search must name the patient")
        named_ids = {_patient_id(v) or v for v in named}
        return None if named_ids == {patient} else other
    if rtype == "Patient" and call.resource_id not in (None, patient):
        return other
    if call.body is not None and (rtype == "Patient" or rtype in PATIENT_REFS):
        owner = patient_of(call.body)
        if owner != patient:
            return other
    return None


def _values(params: Iterable[tuple[str, str]], names: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for name, value in params:
        if name in names:
            found.extend(v for v in value.split(",") if v)
    return found


def check_profile(call: FhirCall, profile: Profile) -> Refusal | None:
    """The vendor's documented restrictions on this call."""
    rtype = call.resource_type
    if rtype in profile.read_only_types and call.interaction not in (
        Interaction.READ,
        Interaction.SEARCH,
    ):
        return Refusal(status=405, code="not-supported", message=f"{rtype} is read-only here")
    headers = {k.lower(): v for k, v in (call.headers or {}).items()}
    if call.method == "POST" and "if-none-exist" in headers and not profile.conditional_create:
        return Refusal(status=400, code="not-supported", message="Conditional create unsupported")
    if call.interaction is Interaction.SEARCH:
        names = {name.split(":", 1)[0] for name, _ in call.params}
        required = profile.required_search_params.get(rtype)
        if required and not names & set(required):
            wanted = " or ".join(required)
            return Refusal(status=400, code="required", message=f"{rtype} search needs {wanted}")
        exact = profile.required_search_values.get(rtype)
        if exact:
            values = [v.rsplit("|", 1)[-1] for v in _values(call.params, (exact[0],))]
            if exact[1] not in values:
                message = f"{rtype} search needs {exact[0]}={exact[1]}"
                return Refusal(status=400, code="required", message=message)
    return None


def without_ungranted(bundle: dict[str, object], grant: Grant) -> dict[str, object]:
    """The bundle without `_include`d resources the token may not read (as real EHRs do).

    A batch-response holds one searchset Bundle per search: those are filtered too.
    """
    entries = bundle.get("entry")
    if isinstance(entries, list):
        kept = [e for e in entries if not _ungranted_include(e, grant)]
        bundle["entry"] = kept
        for entry in kept:
            inner = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(inner, dict) and inner.get("resourceType") == "Bundle":
                without_ungranted(inner, grant)
    return bundle


def _ungranted_include(entry: object, grant: Grant) -> bool:
    if not isinstance(entry, Mapping):
        return False
    search = entry.get("search")
    resource = entry.get("resource")
    if not isinstance(search, Mapping) or search.get("mode") != "include":
        return False
    if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
        return False
    return grant.allows(str(resource["resourceType"]), Interaction.READ) is None


def without_foreign(bundle: dict[str, object], patient: str) -> dict[str, object]:
    """The bundle without entries of other patients (defence for `_include`/`_revinclude`)."""
    entries = bundle.get("entry")
    if isinstance(entries, list):
        bundle["entry"] = [e for e in entries if not _foreign(e, patient)]
    return bundle


def _foreign(entry: object, patient: str) -> bool:
    if not isinstance(entry, Mapping):
        return False
    resource = entry.get("resource")
    if not isinstance(resource, Mapping):
        return False
    rtype = resource.get("resourceType")
    if rtype != "Patient" and rtype not in PATIENT_REFS:
        return False
    owner = patient_of(resource)
    return owner is not None and owner != patient
