"""Debian's Chromium: a scope string too long for a URL goes to the sandbox EHR as a form POST.

smart.md 19: the app asks for what it needs; granular scopes (one per code) can pass the ~2 kB a
URL safely carries. Where the EHR advertises `authorize-post`, the app's page sends the
authorize request as a POST, inside the EHR's frame, under the app's CSP.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Request

from sandbox.stack import Stack

from .browser_kit import app_frame, csp_violations, framed_launcher
from .fake_ehr import GRANULAR_SCOPES
from .live import LiveApp, serve_app

pytestmark = [pytest.mark.browser, pytest.mark.integration]

@pytest.fixture(scope="module")
def live(sekmet_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app on the sekmet stack's app port, asking for many granular scopes."""
    with serve_app(
        sekmet_stack, tmp_path_factory.mktemp("app-post"), more_scopes=GRANULAR_SCOPES
    ) as running:
        yield running


def test_a_long_scope_string_is_posted_to_the_authorize_endpoint_in_the_frame(
    live: LiveApp, browser: Browser
) -> None:
    # smart.md 19 (and 20, 61: the frame and the CSP still hold)
    patient = next(p for p in live.stack.patients if p.kind == "typical")
    authorize = f"{live.stack.ehr_url}/open/auth/authorize"
    context = browser.new_context()
    try:
        page = context.new_page()
        sent: list[Request] = []
        page.on("request", lambda r: sent.append(r) if r.url.startswith(authorize) else None)
        blocked = csp_violations(page)
        page.goto(framed_launcher(live))
        frame = app_frame(page, live.url, tries=150)
        assert [(r.method, r.url) for r in sent] == [("POST", authorize)]  # no query string
        body = sent[0].post_data or ""
        assert "Observation.rs%3Fcode%3Dhttp%3A%2F%2Floinc.org%7C10039-9" in body
        assert len(body) > 2000
        frame.goto(frame.url + "session")
        assert frame.get_by_test_id("patient-id").inner_text() == patient.id
        granted = frame.locator("ul.scopes").inner_text()
        assert "patient/Observation.rs?code=http://loinc.org|10039-9" in granted
        assert blocked == []
    finally:
        context.close()
