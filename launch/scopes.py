"""SMART scopes: syntax check for requested scopes and the parsed, authoritative granted set.

SMART 2.2 scopes-and-launch-context: v2 permissions are `c r u d s` in that order with optional
`?param=value` constraints; v1 `.read` maps to `.rs`, `.write` to `.cud`, `.*` to `.cruds`;
`*` as the resource type is a wildcard. The granted `scope` of the token response decides what
the app offers (it can differ from what was requested).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

_V2 = re.compile(
    r"^(?P<ctx>patient|user|system)/(?P<rt>\*|[A-Z][A-Za-z]{1,63})"
    r"\.(?P<perm>c?r?u?d?s?)(?:\?(?P<query>[^\s?]+))?$"
)
_V1 = re.compile(
    r"^(?P<ctx>patient|user|system)/(?P<rt>\*|[A-Z][A-Za-z]{1,63})\.(?P<perm>read|write|\*)$"
)
_V1_TO_V2 = {"read": "rs", "write": "cud", "*": "cruds"}
# Non-resource scopes the app may request (SMART 2.2 scopes-and-launch-context).
OTHER_SCOPES = frozenset(
    {
        "openid",
        "fhirUser",
        "profile",
        "launch",
        "launch/patient",
        "launch/encounter",
        "offline_access",
        "online_access",
    }
)


class ScopeContext(Enum):
    """Whose data a resource scope covers."""

    PATIENT = "patient"
    USER = "user"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceGrant:
    """One resource scope, normalised to v2 permission letters."""

    context: ScopeContext
    resource_type: str  # "*" for every type
    permissions: frozenset[str]
    constrained: bool  # a `?param=value` limits it to some resources of the type
    v1: bool


def parse_resource_scope(scope: str) -> ResourceGrant | None:
    """Parse one v1 or v2 resource scope; None when it is not a resource scope."""
    match = _V2.match(scope)
    if match and match["perm"]:
        letters = match["perm"]
        return ResourceGrant(
            context=ScopeContext(match["ctx"]),
            resource_type=match["rt"],
            permissions=frozenset(letters),
            constrained=match["query"] is not None,
            v1=False,
        )
    match = _V1.match(scope)
    if match:
        return ResourceGrant(
            context=ScopeContext(match["ctx"]),
            resource_type=match["rt"],
            permissions=frozenset(_V1_TO_V2[match["perm"]]),
            constrained=False,
            v1=True,
        )
    return None


def is_known_scope(scope: str) -> bool:
    """True when a scope is a well-formed v1/v2 resource scope or a known SMART scope."""
    return scope in OTHER_SCOPES or parse_resource_scope(scope) is not None


def v1_equivalents(scope: str) -> tuple[str, ...]:
    """The SMART v1 scopes for a v2 scope (`.rs` -> `.read`, any of `cud` -> `.write`).

    v1 has no search-only or `?param` forms: a constrained scope has no v1 equivalent (it is
    dropped rather than widened); other scopes come back unchanged.
    """
    grant = parse_resource_scope(scope)
    if grant is None or grant.v1:
        return (scope,)
    if grant.constrained:
        return ()
    base = f"{grant.context.value}/{grant.resource_type}"
    words = []
    if grant.permissions & {"r", "s"}:
        words.append(f"{base}.read")
    if grant.permissions & {"c", "u", "d"}:
        words.append(f"{base}.write")
    return tuple(words)


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantedScopes:
    """The scopes the server granted, with checks per resource type and interaction."""

    raw: tuple[str, ...]
    grants: tuple[ResourceGrant, ...] = field(default=())

    @classmethod
    def parse(cls, scope: str | None) -> GrantedScopes:
        """Parse a space-separated `scope` value; unknown words are kept in `raw` only."""
        words = tuple(dict.fromkeys((scope or "").split()))
        grants = tuple(g for g in (parse_resource_scope(w) for w in words) if g is not None)
        return cls(raw=words, grants=grants)

    def allows(
        self, resource_type: str, interaction: str, *, context: ScopeContext | None = None
    ) -> bool:
        """Whether a grant covers `interaction` (one of c r u d s) on `resource_type`.

        A constrained grant (`?category=...`) counts for read and search only: it does not
        cover every resource of the type, so the app never offers a write on its strength.
        """
        for grant in self.grants:
            if context is not None and grant.context is not context:
                continue
            if grant.resource_type not in ("*", resource_type):
                continue
            if interaction not in grant.permissions:
                continue
            if grant.constrained and interaction not in ("r", "s"):
                continue
            return True
        return False

    def can_read(self, resource_type: str) -> bool:
        """Read by id is granted for the type."""
        return self.allows(resource_type, "r")

    def can_search(self, resource_type: str) -> bool:
        """Search is granted for the type."""
        return self.allows(resource_type, "s")

    def can_create(self, resource_type: str) -> bool:
        """Create is granted for the type (v2 `c`, v1 `.write`)."""
        return self.allows(resource_type, "c")

    def can_update(self, resource_type: str) -> bool:
        """Update is granted for the type (v2 `u`, v1 `.write`)."""
        return self.allows(resource_type, "u")

    def can_delete(self, resource_type: str) -> bool:
        """Delete is granted for the type (v2 `d`, v1 `.write`)."""
        return self.allows(resource_type, "d")

    def has(self, scope: str) -> bool:
        """The exact scope word was granted (for `openid`, `offline_access`, ...)."""
        return scope in self.raw

    @property
    def has_patient_scopes(self) -> bool:
        """Any `patient/` resource scope was granted (then a patient must be in context)."""
        return any(g.context is ScopeContext.PATIENT for g in self.grants)

    def to_string(self) -> str:
        """The space-separated form, for storage."""
        return " ".join(self.raw)


def patient_scope_problem(scopes: tuple[str, ...]) -> str | None:
    """Why a `patient_scopes` list is wrong for a patient's launch, or None when it is fine."""
    kinds = {s.split("/")[0] for s in scopes}
    wrong = sorted(kinds & {"user", "system"})  # a patient sees their own record only
    if wrong:
        return f"a patient is granted no {wrong[0]}/ scope"
    if "patient" not in kinds:
        return "'patient_scopes' names no patient/ scope"
    return None
