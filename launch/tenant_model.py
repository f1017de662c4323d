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

    def quirk(self, name: str) -> bool:
        """Whether a vendor quirk is switched on for this tenant."""
        return bool(self.quirks.get(name, False))


def normalise_iss(iss: str) -> str:
    """Drop one trailing slash; nothing else changes (the match stays exact)."""
    return iss[:-1] if iss.endswith("/") else iss
