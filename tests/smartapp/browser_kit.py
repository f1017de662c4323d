"""What the launch tests in Chromium share: the framed launcher URL, the wait for a frame, and
the CSP violations the page reports."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Frame, Page

from .live import LAUNCHED, LiveApp


def typical_patient_id(live: LiveApp) -> str:
    """The seeded typical chronic-pain patient's id."""
    return next(p.id for p in live.stack.patients if p.kind == "typical")


def framed_launcher(live: LiveApp, *, ehr_url: str | None = None) -> str:
    """The launcher's scriptable form: the typical patient at the open site, auto-approved,
    the app inside the EHR's frame (`ehr_url`: the EHR under another name)."""
    return (
        f"{ehr_url or live.stack.ehr_url}/launcher?patient={typical_patient_id(live)}"
        f"&practitioner={live.stack.practitioners[0].id}"
        f"&launch_uri={live.url}/launch&profile=open&auto=1&frame=1"
    )


def wait_for_frame(page: Page, found: Callable[[Frame], bool], *, tries: int = 100) -> Frame:
    """The first frame of the page that `found` accepts, polled every 100 ms."""
    for _ in range(tries):
        frame = next((f for f in page.frames if found(f)), None)
        if frame is not None:
            return frame
        page.wait_for_timeout(100)
    raise AssertionError([f.url for f in page.frames])


def app_frame(page: Page, app_url: str, *, tries: int = 100) -> Frame:
    """The frame showing the app, once it has landed on a launched page."""
    return wait_for_frame(
        page, lambda f: f.url.startswith(app_url) and bool(LAUNCHED.search(f.url)), tries=tries
    )


def csp_violations(page: Page) -> list[str]:
    """A list that fills with the page's Content Security Policy reports from its console."""
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    return blocked
