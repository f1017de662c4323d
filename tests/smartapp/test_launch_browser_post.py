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

from .live import LAUNCHED, LiveApp, serve_app

pytestmark = [pytest.mark.browser, pytest.mark.integration]

GRANULAR = tuple(
    f"patient/Observation.rs?code=http://loinc.org|{code}-{code % 10}"
    for code in range(10000, 10040)
)


@pytest.fixture(scope="module")
def live(sekmet_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app on the sekmet stack's app port, asking for many granular scopes."""
    with serve_app(
        sekmet_stack, tmp_path_factory.mktemp("app-post"), more_scopes=GRANULAR
    ) as running:
        yield running


def test_a_long_scope_string_is_posted_to_the_authorize_endpoint_in_the_frame(
    live: LiveApp, browser: Browser
) -> None:
    # smart.md 19 (and 20, 61: the frame and the CSP still hold)
    patient = next(p for p in live.stack.patients if p.kind == "typical")
    launcher = (
        f"{live.stack.ehr_url}/launcher?patient={patient.id}"
        f"&practitioner={live.stack.practitioners[0].id}"
        f"&launch_uri={live.url}/launch&profile=open&auto=1&frame=1"
    )
    authorize = f"{live.stack.ehr_url}/open/auth/authorize"
    context = browser.new_context()
    try:
        page = context.new_page()
        sent: list[Request] = []
        page.on("request", lambda r: sent.append(r) if r.url.startswith(authorize) else None)
        blocked: list[str] = []
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
        )
        page.goto(launcher)
        frame = None
        for _ in range(150):
            frame = next(
                (f for f in page.frames if f.url.startswith(live.url) and LAUNCHED.search(f.url)),
                None,
            )
            if frame is not None:
                break
            page.wait_for_timeout(100)
        assert frame is not None, [f.url for f in page.frames]
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
