"""URL checks shared by the tenant file, discovery and fhirUser resolution."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlParts:
    """The pieces of an absolute URL that the checks look at."""

    scheme: str
    host: str  # lowercase, IPv6 without brackets
    port: int | None
    userinfo: bool
    path: str
    query: str
    fragment: str

    @property
    def host_port(self) -> str:
        """`host` or `host:port` as written in an allow-list (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def split_url(url: str) -> UrlParts | None:
    """Split an absolute http(s) URL; None when it is not one (or the port is bad)."""
    if any(c.isspace() for c in url) or "\\" in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if port == {"http": 80, "https": 443}[parts.scheme]:
        port = None  # the default port is the same origin as no port
    return UrlParts(
        scheme=parts.scheme,
        host=parts.hostname.lower(),
        port=port,
        userinfo="@" in parts.netloc,
        path=parts.path,
        query=parts.query,
        fragment=parts.fragment,
    )


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback IP addresses (plain HTTP is allowed only there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def transport_allowed(scheme: str, host: str, *, allow_http_loopback: bool) -> bool:
    """https anywhere; plain http only to a loopback host, and only when allowed (development)."""
    if scheme == "https":
        return True
    return scheme == "http" and allow_http_loopback and is_loopback_host(host)


def origin_of(parts: UrlParts) -> str:
    """The origin `scheme://host[:port]` of a URL."""
    return f"{parts.scheme}://{parts.host_port}"
