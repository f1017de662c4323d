"""SMART scopes (v1 and v2) as the sandbox EHR reads them to decide what a token may do."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# SMART 2.2 scopes-and-launch-context: v1 `.read` = `.rs`, `.write` = `.cud`, `.*` = `.cruds`.
_V1_ACTIONS: Mapping[str, str] = MappingProxyType({"read": "rs", "write": "cud", "*": "cruds"})
_V2_LETTERS = "cruds"


class Interaction(enum.Enum):
    """The letter of a SMART v2 permission."""

    CREATE = "c"
    READ = "r"
    UPDATE = "u"
    DELETE = "d"
    SEARCH = "s"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceScope:
    """One parsed resource scope, e.g. `patient/Goal.crus`."""

    context: str  # "patient", "user" or "system"
    resource_type: str  # a FHIR type or "*"
    letters: str

    def allows(self, resource_type: str, interaction: Interaction) -> bool:
        """Whether this scope covers the interaction on the type."""
        type_ok = self.resource_type in ("*", resource_type)
        return type_ok and interaction.value in self.letters


def parse_resource_scope(scope: str) -> ResourceScope | None:
    """Parse `context/Type.perm` (v1 or v2, granular `?param=` ignored); None when not one."""
    if "/" not in scope or "." not in scope:
        return None
    context, _, rest = scope.partition("/")
    if context not in ("patient", "user", "system"):
        return None
    resource_type, _, action = rest.partition(".")
    action = action.split("?", 1)[0]
    if action in _V1_ACTIONS:
        letters = _V1_ACTIONS[action]
    elif action and all(c in _V2_LETTERS for c in action) and _in_order(action):
        letters = action
    else:
        return None
    if not resource_type:
        return None
    return ResourceScope(context=context, resource_type=resource_type, letters=letters)


def _in_order(action: str) -> bool:
    # SMART 2.x: the letters must keep the order c, r, u, d, s.
    positions = [_V2_LETTERS.index(c) for c in action]
    return positions == sorted(set(positions))


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """What a token's scope string allows."""

    raw: str
    resources: tuple[ResourceScope, ...]

    @classmethod
    def parse(cls, scope: str) -> Grant:
        """Read a space-separated scope string."""
        parsed = tuple(p for p in (parse_resource_scope(s) for s in scope.split()) if p)
        return cls(raw=scope, resources=parsed)

    def allows(self, resource_type: str, interaction: Interaction) -> ResourceScope | None:
        """The scope that allows the interaction, preferring user/system over patient."""
        matches = [s for s in self.resources if s.allows(resource_type, interaction)]
        if not matches:
            return None
        wide = [s for s in matches if s.context != "patient"]
        return (wide or matches)[0]

    @property
    def names(self) -> tuple[str, ...]:
        """The individual scope strings."""
        return tuple(self.raw.split())


def is_known_scope(scope: str) -> bool:
    """Whether the EHR understands the scope (otherwise `invalid_scope`)."""
    if scope in ("openid", "fhirUser", "profile", "launch", "offline_access", "online_access"):
        return True
    if scope.startswith("launch/"):
        return scope in ("launch/patient", "launch/encounter")
    return parse_resource_scope(scope) is not None
