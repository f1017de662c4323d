"""The CapabilityStatement and resource bodies as each vendor profile shows them."""

from __future__ import annotations

from typing import Any

from sandbox.ehr.oauth import Site
from sandbox.ehr.profiles import Profile

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
_READ_ONLY = ("read", "vread", "search-type", "history-instance", "history-type")


def adjust_capabilities(statement: dict[str, Any], site: Site) -> dict[str, Any]:
    """Add SMART security (SMART 1.0 discovery fallback) and remove what the vendor lacks."""
    profile = site.profile
    statement["implementation"] = {
        "description": f"FunctionFirst sandbox EHR ({profile.title})",
        "url": site.iss,
    }
    rests = statement.get("rest") or [{"mode": "server"}]
    statement["rest"] = rests
    rest = rests[0]
    rest["security"] = {
        "cors": True,
        "service": [{"coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}]}],
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [
                    {"url": "authorize", "valueUri": site.auth_url("authorize")},
                    {"url": "token", "valueUri": site.auth_url("token")},
                    {"url": "introspect", "valueUri": site.auth_url("introspect")},
                ],
            }
        ],
    }
    if not profile.transactions:
        rest["interaction"] = [
            i
            for i in rest.get("interaction") or ()
            if i.get("code") not in ("transaction", "batch")
        ]
    for resource in rest.get("resource") or ():
        _adjust_resource(resource, profile)
    return statement


def _adjust_resource(resource: dict[str, Any], profile: Profile) -> None:
    rtype = resource.get("type")
    if not profile.conditional_create:
        resource["conditionalCreate"] = False
    if rtype in profile.read_only_types:
        resource["interaction"] = [
            i for i in resource.get("interaction") or () if i.get("code") in _READ_ONLY
        ]
        resource["conditionalCreate"] = False
        resource["conditionalUpdate"] = False
        resource["conditionalDelete"] = "not-supported"
    elif profile.name == "open":
        # The open profile promises versioned updates (If-Match), which both backends honour.
        resource["versioning"] = "versioned-update"


def strip_elements(data: dict[str, Any], profile: Profile) -> bool:
    """Remove, in place, elements the vendor does not return (Oracle: CarePlan activities)."""
    if not profile.strip_elements:
        return False
    changed = False
    resources = [data]
    if data.get("resourceType") == "Bundle":
        resources = [e.get("resource") for e in data.get("entry") or () if e.get("resource")]
    for resource in resources:
        for element in profile.strip_elements.get(str(resource.get("resourceType")), ()):
            changed = resource.pop(element, None) is not None or changed
    return changed
