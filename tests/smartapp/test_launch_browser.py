"""Debian's Chromium: a launch from the sandbox launcher inside its EHR frame lands in the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from sandbox.stack import Stack

from .browser_kit import app_frame, csp_violations, framed_launcher, wait_for_frame
from .live import LAUNCHED, LiveApp, serve_app

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def live(sekmet_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app on the sekmet stack's app port, for this module."""
    elsewhere = sekmet_stack.ehr_url.replace("127.0.0.1", "localhost")
    with serve_app(
        sekmet_stack, tmp_path_factory.mktemp("app"), more_frame_origins=(elsewhere,)
    ) as running:
        yield running


def test_a_launch_inside_the_ehr_frame_lands_on_the_launched_page(
    live: LiveApp, browser: Browser
) -> None:
    # smart.md 20, 59, 61, 86
    patient = next(p for p in live.stack.patients if p.kind == "typical")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        blocked = csp_violations(page)
        page.goto(framed_launcher(live))
        page.wait_for_function(
            "() => [...document.querySelectorAll('iframe')].length === 1", timeout=10_000
        )
        frame = app_frame(page, live.url)
        assert page.url.startswith(live.stack.ehr_url)  # the EHR stays the top window
        # In a 1280 px window the EHR gives the app the width it is built for (1024 px or more).
        box = page.locator("iframe").bounding_box()
        assert box is not None
        assert box["width"] >= 1024, box
        frame.wait_for_load_state()
        assert frame.locator("body").inner_text()  # rendered, not refused by frame-ancestors
        frame.goto(frame.url + "session")
        assert frame.get_by_test_id("patient-id").inner_text() == patient.id
        assert patient.name.split()[0] in frame.get_by_test_id("patient-name").inner_text()
        assert blocked == []
    finally:
        context.close()


def test_a_frame_without_cookies_offers_a_new_window_that_completes_the_launch(
    live: LiveApp, browser: Browser
) -> None:
    # smart.md 27, 63, 86: the EHR at "localhost", the app at 127.0.0.1: a cross-site frame,
    # where the browser keeps no cookie of the app's (SameSite=Lax on plain-HTTP loopback).
    ehr_elsewhere = live.stack.ehr_url.replace("127.0.0.1", "localhost")
    patient = next(p for p in live.stack.patients if p.kind == "typical")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(framed_launcher(live, ehr_url=ehr_elsewhere))
        frame = wait_for_frame(page, lambda f: "cookie_check=1" in f.url)
        frame.wait_for_load_state()
        link = frame.get_by_role("link", name="Open FunctionFirst in a new window")
        with page.context.expect_page() as opened:
            link.click()
        window = opened.value
        window.wait_for_url(LAUNCHED, timeout=30_000)
        window.goto(window.url + "session")
        assert window.get_by_test_id("patient-id").inner_text() == patient.id
    finally:
        context.close()
