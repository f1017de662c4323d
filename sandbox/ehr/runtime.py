"""What the EHR's views share: config, state, the sites and their authorization servers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from flask import abort, current_app

from sandbox.ehr.config import EhrConfig
from sandbox.ehr.oauth import Site, SiteServer
from sandbox.ehr.state import EhrState

EXTENSION = "sandbox.ehr"


class BackendHttp:
    """HTTP to the FHIR backend: every request on a connection of its own, closed when it ends.

    Both backends close an idle keep-alive connection after a few seconds (Node's and uvicorn's
    5 s default). A pooled connection reused just as the backend closes it ends in "Connection
    reset by peer"; CI saw that under load. Asking the backend to close (`Connection: close`) is
    not enough: a server that does not say `close` back leaves the connection in the client's
    pool, and the next request can race the server's close. So each request gets a session of
    its own, closed (with its connection) before the answer is returned. On localhost a
    connection costs next to nothing.
    """

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request and read the whole answer; no connection outlives the call."""
        with requests.Session() as session:
            session.headers["Connection"] = "close"
            return session.request(method, url, stream=False, **kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """The EHR's parts, kept in `app.extensions`."""

    config: EhrConfig
    state: EhrState
    sites: Mapping[str, Site]
    servers: Mapping[str, SiteServer]
    http: BackendHttp


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
