"""The tenant record: one EHR registration of the app (loaded by `launch.tenants`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

# SMART v2 by default: the least the app uses (SMART 2.2 "minimum necessary"). `launch` or
# `launch/patient` is added per launch kind by the authorize step.
DEFAULT_SCOPES: tuple[str, ...] = (
    "openid",
    "fhirUser",
    "offline_access",
    "patient/Patient.r",
    "patient/Condition.rs",
    "patient/Observation.crs",
    "patient/MedicationRequest.rs",
    "patient/Medication.rs",  # the Medication an order names (`_include`), as Epic's orders do
    "patient/Goal.crus",
    "patient/CarePlan.crus",
    "patient/ServiceRequest.crs",
    "patient/DocumentReference.c",
    "patient/Provenance.c",
)


class ClientAuth(Enum):
    """How the app authenticates at the token endpoint (SMART 2.2 client authentication)."""

    PUBLIC = "public"
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 (a method name)
    PRIVATE_KEY_JWT = "private_key_jwt"


class SigningAlg(Enum):
    """Assertion algorithms SMART 2.2 asymmetric clients SHALL support."""

    RS384 = "RS384"
    ES384 = "ES384"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    """One EHR registration of the app."""

    name: str
    iss: str  # the FHIR base, without a trailing slash
    client_id: str
    client_auth: ClientAuth = ClientAuth.PUBLIC
    client_secret: str | None = field(default=None, repr=False)
    kid: str | None = None
    signing_alg: SigningAlg = SigningAlg.RS384
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    standalone: bool = False
    frame_ancestors: tuple[str, ...] = ()
    quirks: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    write_strategy: str | None = None  # None: chosen from the server's capabilities
    allow_http_loopback: bool = False
    auth_hosts: tuple[str, ...] = ()  # hosts besides the iss host that may serve OAuth endpoints
    # "Organization/<id>" the app's writes are made for: Provenance.agent.onBehalfOf (FHIR R4).
    organization: str | None = None
    # Scopes of a patient's own standalone launch; None: derived from `scopes` (patient_scopes()).
    patient_scopes: tuple[str, ...] | None = None

    def quirk(self, name: str) -> bool:
        """Whether a vendor quirk is switched on for this tenant."""
        return bool(self.quirks.get(name, False))


# Kept from `scopes` for a patient's launch besides its patient/ scopes (SMART 2.2 scopes).
_PATIENT_KEEPS = ("offline_access", "online_access")


def patient_facing_scopes(tenant: Tenant) -> tuple[str, ...]:
    """What a patient's standalone launch asks for: `openid fhirUser` plus patient/ scopes.

    The tenant's `patient_scopes` when set; otherwise its `scopes` without user/ and system/
    scopes (a patient signs in for their own record only, SMART 2.2 patient-facing apps).
    """
    chosen = tenant.patient_scopes
    if chosen is None:
        chosen = tuple(s for s in tenant.scopes if s.startswith("patient/") or s in _PATIENT_KEEPS)
    rest = tuple(s for s in chosen if s not in ("openid", "fhirUser", "launch", "launch/patient"))
    return ("openid", "fhirUser", *rest)


def normalise_iss(iss: str) -> str:
    """Drop one trailing slash; nothing else changes (the match stays exact)."""
    return iss[:-1] if iss.endswith("/") else iss
