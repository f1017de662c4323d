"""What a save or a review reports: what landed, how, and what did not."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from smartapp.gateway.capabilities import Strategy
from smartapp.writeback.placement import PlacedIssue


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    """One resource the EHR holds after the save (created now, or found from an earlier try)."""

    resource_type: str
    id: str
    version_id: str | None
    created: bool = True

    @property
    def reference(self) -> str:
        """"Type/id/_history/v" (or "Type/id" without a version), for Provenance and audit."""
        base = f"{self.resource_type}/{self.id}"
        return f"{base}/_history/{self.version_id}" if self.version_id else base

    def to_dict(self) -> dict[str, object]:
        """JSON form of the API answer."""
        return {"resourceType": self.resource_type, "id": self.id, "versionId": self.version_id}


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed:
    """One resource that did not land, with words for the clinician.

    `issues` are the EHR's OperationOutcome issues, placed in the plan by `save_plan` where that
    can be known. `sent` is what the refused request wrote, in order (a transaction's entries,
    or the one resource of a create), and `refused` the index in it of the resource refused when
    known; both stay in memory for the placement and never reach the API's JSON.
    """

    resource_type: str
    message: str
    status: int
    issues: tuple[PlacedIssue, ...] = ()
    sent: tuple[Mapping[str, Any], ...] = field(default=(), compare=False, repr=False)
    refused: int | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        """JSON form of the API answer."""
        return {
            "resourceType": self.resource_type,
            "message": self.message,
            "status": self.status,
            "issues": [issue.to_dict() for issue in self.issues],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SaveResult:
    """The outcome of saving a plan: complete when `failed` is empty."""

    strategy: Strategy
    written: tuple[Written, ...]
    warnings: tuple[str, ...] = ()
    failed: tuple[Failed, ...] = ()
    compensated: tuple[Written, ...] = ()
    export_bundle: Mapping[str, Any] | None = None
    round_trips: int = 0

    @property
    def complete(self) -> bool:
        """True when everything the strategy meant to write landed."""
        return not self.failed

    def to_dict(self) -> dict[str, object]:
        """JSON form of the API answer."""
        data: dict[str, object] = {
            "strategy": self.strategy.value,
            "complete": self.complete,
            "written": [w.to_dict() for w in self.written],
            "warnings": list(self.warnings),
            "failed": [f.to_dict() for f in self.failed],
            "compensated": [w.to_dict() for w in self.compensated],
        }
        if self.export_bundle is not None:
            data["bundle"] = dict(self.export_bundle)
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteEvent:
    """One write attempt, for the audit log (accepted or not)."""

    action: str
    accepted: bool
    resources: tuple[str, ...] = ()
    detail: str | None = None


WriteHook = Callable[[WriteEvent], None]


def no_hook(_event: WriteEvent) -> None:
    """A write hook that records nothing."""


_FORBIDDEN = re.compile(r"\bHTTP 403\b")


def scope_on_refusal(hook: WriteHook, granted_scope: str) -> WriteHook:
    """`hook`, with the granted scope string added to the event of a write refused with 403.

    smart.md 80: a 403 can come "to a write interaction that appears to be allowed by the
    granted scopes" (SMART scopes); the audit entry then names what was granted. Never the token.
    """
    if not granted_scope:
        return hook

    def with_scope(event: WriteEvent) -> None:
        if not event.accepted and event.detail and _FORBIDDEN.search(event.detail):
            event = replace(event, detail=f"{event.detail}; granted scope: {granted_scope}")
        hook(event)

    return with_scope


_LOCATION = re.compile(
    r"(?:^|/)(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/(?P<vid>[^/?#]+))?/?(?:[?#].*)?$"
)


def written_from_location(
    location: str | None, *, etag: str | None = None, created: bool = True
) -> Written | None:
    """A Written from a Location ("[base/]Type/id/_history/v") and, lacking a version, the ETag."""
    if not location:
        return None
    match = _LOCATION.search(location)
    if not match:
        return None
    version = match.group("vid") or version_from_etag(etag)
    return Written(
        resource_type=match.group("type"), id=match.group("id"), version_id=version,
        created=created,
    )


def written_from_resource(resource: Mapping[str, Any], *, created: bool = True) -> Written | None:
    """A Written from a returned resource body (id and meta.versionId)."""
    rid, rtype = resource.get("id"), resource.get("resourceType")
    if not isinstance(rid, str) or not isinstance(rtype, str):
        return None
    meta = resource.get("meta") if isinstance(resource.get("meta"), Mapping) else {}
    version = (meta or {}).get("versionId")
    return Written(
        resource_type=rtype, id=rid, version_id=str(version) if version else None, created=created
    )


def version_from_etag(etag: str | None) -> str | None:
    """The version inside an ETag such as W/"3" (FHIR http.html#versioning); opaque otherwise."""
    if not etag:
        return None
    value = etag.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def if_match(version_id: str) -> str:
    """The If-Match value for a version (FHIR R4 http.html#concurrency: a weak ETag)."""
    return f'W/"{version_id}"'


def created_status(status: str | int | None) -> bool | None:
    """Whether a transaction entry status ("201", "201 Created", "200 OK") is a create."""
    code = str(status or "").strip().split(" ", 1)[0]
    if not code.isdigit():
        return None
    return code == "201" if code.startswith("2") else None

