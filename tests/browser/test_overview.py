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


def test_the_heavy_diary_reads_as_weekly_averages_with_the_peg_line_visible(
    stack: Stack, narrow: Page, shots: Shots
) -> None:
    narrow.goto(launch_url(stack, patient="ff-heavy"))
    chart = narrow.locator(".ff-chart")
    expect(chart.locator("figcaption")).to_contain_text("Pain (NRS), weekly average:")
    expect(chart.locator("th", has_text="Pain (NRS), weekly average")).to_have_count(1)
    assert chart.locator("circle.dot-nrs").count() == 0  # no dot per daily score
    peg_box = chart.locator("path.line-peg").bounding_box()
    assert peg_box is not None
    assert peg_box["width"] > 100  # the PEG line spans the chart, drawn over the pain line
    shots.take(narrow, "heavy-overview")


def test_pain_now_agrees_with_the_chart_and_past_goals_are_listed(
    stack: Stack, narrow: Page, shots: Shots
) -> None:
    narrow.goto(launch_url(stack, patient="ff-typical"))
    now = narrow.locator(".ff-stat > div").first
    value = now.locator(".ff-value").inner_text()
    when = now.locator(".ff-small").inner_text().split(",")[0]
    expect(narrow.locator(".ff-chart figcaption")).to_contain_text(f"to {value} on {when}")
    past = narrow.locator("#past-goals")
    expect(past.locator("summary")).to_contain_text("Past goals (2)")
    past.locator("summary").click()
    expect(past).to_contain_text("Walk to the corner shop")
    expect(past).to_contain_text("completed, achieved")
    expect(past).to_contain_text("cancelled")
    shots.take(narrow, "typical-overview")


def test_the_mme_the_ehr_recorded_is_shown_with_its_source(
    stack: Stack, narrow: Page, shots: Shots
) -> None:
    narrow.goto(launch_url(stack, patient="5c41cecf-cf81-434f-9da7-e24e5a99dbc2"))
    recorded = narrow.locator("#recorded-mme")
    expect(recorded).to_contain_text("220 MME per day")
    expect(recorded).to_contain_text("recorded in the EHR")
    expect(narrow.locator("main")).to_contain_text("MME is for information only")
    shots.take(narrow, "brenda-overview")
