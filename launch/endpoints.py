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
from launch.urls import split_url, transport_allowed


def expected_hosts(tenant: Tenant) -> frozenset[str]:
    """The `host[:port]` values the tenant's OAuth endpoints may live on."""
    parts = split_url(tenant.iss)
    own = {parts.host_port} if parts is not None else set()
    return frozenset(own | set(tenant.auth_hosts))


def checked_endpoint(tenant: Tenant, name: str, value: object) -> str:
    """Resolve and validate one discovered endpoint; LaunchError("insecure_endpoint") if not fit."""
    if not isinstance(value, str) or not value.strip():
        raise LaunchError("insecure_endpoint", f"the EHR's {name} is not a URL")
    absolute = urljoin(tenant.iss + "/", value.strip())
    parts = split_url(absolute)
    if parts is None or parts.userinfo or parts.fragment:
        raise LaunchError("insecure_endpoint", f"the EHR's {name} is not an absolute URL")
    if not transport_allowed(
        parts.scheme, parts.host, allow_http_loopback=tenant.allow_http_loopback
    ):
        raise LaunchError("insecure_endpoint", f"the EHR's {name} does not use https")
    if parts.host_port not in expected_hosts(tenant):
        raise LaunchError(
            "insecure_endpoint", f"the EHR's {name} is on a host not configured for this EHR"
        )
    return absolute
