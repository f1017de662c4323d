"""The overview in real Chromium at 1024 px: chart legibility, in a window and in the EHR frame."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from sandbox.stack import Stack

from .conftest import Shots, launch_url

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Rendered size of each chart tick label: the font size in SVG units times the SVG's scale.
TICK_SIZES = """() => Array.from(document.querySelectorAll('.ff-chart text.tick')).map(
  t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""


@pytest.fixture
def narrow(browser: Browser) -> Iterator[Page]:
    """A fresh browser context at 1024 x 768, the smallest width the app supports."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    yield context.new_page()
    context.close()


def app_frame(page: Page, stack: Stack) -> Frame:
    return next(f for f in page.frames if f.url.startswith(stack.app_url))


@pytest.mark.parametrize("framed", [False, True], ids=["window", "ehr-frame"])
def test_chart_tick_labels_are_at_least_12_px_at_1024(
    stack: Stack, narrow: Page, shots: Shots, framed: bool
) -> None:
    narrow.goto(launch_url(stack, patient="ff-typical", frame=framed))
    if framed:
        expect(narrow.frame_locator("iframe").first.locator(".ff-chart svg")).to_have_count(1)
        target: Page | Frame = app_frame(narrow, stack)
    else:
        expect(narrow.locator(".ff-chart svg")).to_have_count(1)
        target = narrow
    shots.take(narrow, "overview-1024")
    sizes = target.evaluate(TICK_SIZES)
    assert len(sizes) >= 5
    assert min(sizes) >= 12, sizes
