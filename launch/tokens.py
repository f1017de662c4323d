"""The token set of a launch, checked from the token response (SMART 2.2 app-launch).

Patient and encounter come only from here, never from the browser (smart.md item 36).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from launch.errors import LaunchError
from launch.scopes import GrantedScopes

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "GrantedScopes",
    "TokenSet",
    "needs_refresh",
    "token_set_from_response",
]

# smart.md 41: an access token is opaque; without `expires_in`, assume a short life.
DEFAULT_EXPIRES_IN = 300
_MAX_EXPIRES_IN = 86_400
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSet:
    """What the token endpoint granted for one launch (kept server-side, encrypted at rest)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime
    scopes: GrantedScopes
    patient: str | None = None
    encounter: str | None = None
    need_patient_banner: bool = True
    smart_style_url: str | None = None
    fhir_context: tuple[Mapping[str, object], ...] = ()
    fhir_user: str | None = None  # a relative reference such as "Practitioner/123"
    id_token_claims: Mapping[str, object] | None = None
    tenant: str
    intent: str | None = None
    tenant_param: str | None = None  # the opaque `tenant` launch parameter (SMART 2.2)

    def expires_within(self, now: datetime, skew: timedelta) -> bool:
        """True when the access token is expired or expires within `skew`."""
        return now + skew >= self.expires_at

    def to_json(self) -> str:
        """A JSON text for storage (the caller encrypts it; it holds the tokens)."""
        return json.dumps(self.to_dict())

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping for storage (the caller encrypts it; it holds the tokens)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scopes.to_string(),
            "patient": self.patient,
            "encounter": self.encounter,
            "need_patient_banner": self.need_patient_banner,
            "smart_style_url": self.smart_style_url,
            "fhir_context": [dict(item) for item in self.fhir_context],
            "fhir_user": self.fhir_user,
            "id_token_claims": dict(self.id_token_claims)
            if self.id_token_claims is not None
            else None,
            "tenant": self.tenant,
            "intent": self.intent,
            "tenant_param": self.tenant_param,
        }

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """Read back what `to_json` wrote; ValueError when it does not fit."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: object) -> TokenSet:
        """Read back what `to_dict` wrote; ValueError when it does not fit."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        try:
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=data.get("refresh_token"),
                expires_at=datetime.fromisoformat(data["expires_at"]),
                scopes=GrantedScopes.parse(data.get("scope")),
                patient=data.get("patient"),
                encounter=data.get("encounter"),
                need_patient_banner=bool(data.get("need_patient_banner", True)),
                smart_style_url=data.get("smart_style_url"),
                fhir_context=tuple(data.get("fhir_context") or ()),
                fhir_user=data.get("fhir_user"),
                id_token_claims=data.get("id_token_claims"),
                tenant=str(data["tenant"]),
                intent=data.get("intent"),
                tenant_param=data.get("tenant_param"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError("stored token set does not fit") from exc


def needs_refresh(
    tokens: TokenSet, now: datetime | None = None, skew: timedelta = timedelta(seconds=60)
) -> bool:
    """Proactive refresh: the token expires within `skew` (smart.md 51) and can be refreshed."""
    return tokens.refresh_token is not None and tokens.expires_within(
        now or datetime.now(UTC), skew
    )


def _fhir_id(body: Mapping[str, object], key: str, code: str) -> str | None:
    """`patient` / `encounter` must be a FHIR id (R4 `[A-Za-z0-9-.]{1,64}`): safe in a URL path."""
    value = _optional_str(body, key, code)
    if value is not None and not _FHIR_ID.match(value):
        raise LaunchError(code, f"the token response has a malformed {key!r}")
    return value


def _fhir_context(value: object) -> tuple[Mapping[str, object], ...]:
    """SMART 2.2 fhirContext: a missing role means "launch"; Patient and Encounter belong at
    the top level only, so such items here are dropped; items without a reference,
    canonical or identifier are dropped."""
    items: list[Mapping[str, object]] = []
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, dict):
            continue
        reference = item.get("reference")
        if isinstance(reference, str) and reference.split("/", 1)[0] in ("Patient", "Encounter"):
            continue
        if not any(
            isinstance(item.get(k), (str, dict)) for k in ("reference", "canonical", "identifier")
        ):
            continue
        role = item.get("role")
        items.append({**item, "role": role if isinstance(role, str) and role else "launch"})
    return tuple(items)


def _optional_str(body: Mapping[str, object], key: str, code: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise LaunchError(code, f"the token response has a malformed {key!r}")
    return value


def token_set_from_response(
    body: Mapping[str, object],
    *,
    tenant: str,
    now: datetime,
    code: str = "token_error",
    requested_scope: str | None = None,
    previous: TokenSet | None = None,
) -> TokenSet:
    """Check a token response and build the TokenSet (id_token checked by the caller).

    smart.md 34: `access_token` and `token_type` Bearer are required; `scope` is required too,
    but on refresh a missing scope means the same scopes (RFC 6749 6) so `previous` supplies it.
    smart.md 37: granted `patient/` scopes need a `patient` in the response.
    """
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise LaunchError(code, "the token response has no access token")
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise LaunchError(code, "the token response is not a Bearer token")
    scope = body.get("scope")
    if scope is None and previous is not None:
        scopes = previous.scopes
    elif scope is None and requested_scope is not None:
        # RFC 6749 5.1: no scope in the answer means the requested one (backend services).
        scopes = GrantedScopes.parse(requested_scope)
    elif isinstance(scope, str) and scope.strip():
        scopes = GrantedScopes.parse(scope)
    else:
        raise LaunchError(code, "the token response does not say which scopes were granted")
    expires_in = body.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float, str)):
        seconds = DEFAULT_EXPIRES_IN
    else:
        try:
            seconds = int(float(expires_in))
        except (ValueError, OverflowError):  # "abc", NaN, Infinity
            seconds = DEFAULT_EXPIRES_IN
    seconds = max(0, min(seconds, _MAX_EXPIRES_IN))
    refresh = _optional_str(body, "refresh_token", code)
    patient = _fhir_id(body, "patient", code)
    if previous is not None:
        # smart.md 49: keep the old refresh token when none comes; context stays the launch's.
        return replace(
            previous,
            access_token=access,
            refresh_token=refresh or previous.refresh_token,
            expires_at=now + timedelta(seconds=seconds),
            scopes=scopes,
        )
    if scopes.has_patient_scopes and patient is None:
        raise LaunchError(code, "patient scopes were granted but the EHR named no patient")
    banner = body.get("need_patient_banner", True)
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=now + timedelta(seconds=seconds),
        scopes=scopes,
        patient=patient,
        encounter=_fhir_id(body, "encounter", code),
        need_patient_banner=banner if isinstance(banner, bool) else True,
        smart_style_url=_optional_str(body, "smart_style_url", code),
        fhir_context=_fhir_context(body.get("fhirContext")),
        tenant=tenant,
        intent=_optional_str(body, "intent", code),
        tenant_param=_optional_str(body, "tenant", code),
    )
