"""Which endpoint URLs a tenant may use: the credential goes only where the tenant expects.

The rule (smart.md item 10, derived from SMART 2.2 conformance "endpoint URLs SHALL be
absolute"): relative URLs resolve against the FHIR base; the result must be `https` (plain
`http` only to a loopback host when the tenant sets `allow_http_loopback`), without user info
or fragment, and its `host[:port]` must be the host of the tenant's `iss` or one listed in the
tenant's `auth_hosts`.
"""

from __future__ import annotations

from urllib.parse import urljoin

from launch.errors import LaunchError
from launch.tenant_model import Tenant
from launch.urls import UrlParts, is_loopback_host, split_url


def expected_hosts(tenant: Tenant) -> frozenset[str]:
    """The `host[:port]` values the tenant's OAuth endpoints may live on."""
    parts = split_url(tenant.iss)
    own = {parts.host_port} if parts is not None else set()
    return frozenset(own | set(tenant.auth_hosts))


def scheme_allowed(tenant: Tenant, parts: UrlParts) -> bool:
    """https always; http only on loopback when the tenant allows it (development)."""
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and tenant.allow_http_loopback and is_loopback_host(parts.host)


def checked_endpoint(tenant: Tenant, name: str, value: object) -> str:
    """Resolve and validate one discovered endpoint; LaunchError("insecure_endpoint") if not fit."""
    if not isinstance(value, str) or not value.strip():
        raise LaunchError("insecure_endpoint", f"the EHR's {name} is not a URL")
    absolute = urljoin(tenant.iss + "/", value.strip())
    parts = split_url(absolute)
    if parts is None or parts.userinfo or parts.fragment:
        raise LaunchError("insecure_endpoint", f"the EHR's {name} is not an absolute URL")
    if not scheme_allowed(tenant, parts):
        raise LaunchError("insecure_endpoint", f"the EHR's {name} does not use https")
    if parts.host_port not in expected_hosts(tenant):
        raise LaunchError(
            "insecure_endpoint", f"the EHR's {name} is on a host not configured for this EHR"
        )
    return absolute
