"""What the EHR's views share: config, state, the sites and their authorization servers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests
from flask import abort, current_app

from sandbox.ehr.config import EhrConfig
from sandbox.ehr.oauth import Site, SiteServer
from sandbox.ehr.state import EhrState

EXTENSION = "sandbox.ehr"


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """The EHR's parts, kept in `app.extensions`."""

    config: EhrConfig
    state: EhrState
    sites: Mapping[str, Site]
    servers: Mapping[str, SiteServer]
    # One pool of keep-alive connections to the backend for every proxied request.
    http: requests.Session


def runtime() -> Runtime:
    """The runtime of the current app."""
    found: Runtime = current_app.extensions[EXTENSION]
    return found


def site_or_404(profile: str) -> tuple[Site, SiteServer]:
    """The site of that profile name, or a 404."""
    rt = runtime()
    if profile not in rt.sites:
        abort(404)
    return rt.sites[profile], rt.servers[profile]
