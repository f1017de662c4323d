"""The plan, saved and handout pages in real Chromium at the narrowest EHR pane (1024 px).

Long GAS levels and step texts stay fully visible, a save refused for low confidence says so
at the top, and the handout opens in a window of its own from the EHR frame with a Print
button that prints the handout alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.stack import Stack

from .conftest import Shots, launch_url, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Records print() instead of opening the print dialog (headless Chromium has none to show).
COUNT_PRINTS = "window.__prints = 0; window.print = function () { window.__prints += 1; };"


@pytest.fixture
def narrow(browser: Browser) -> Iterator[Page]:
    """A fresh browser context at 1024 x 768, with print() counted."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.add_init_script(COUNT_PRINTS)
    yield context.new_page()
    context.close()


def test_gas_levels_and_step_texts_are_fully_visible_at_1024_px(
    stack: Stack, narrow: Page, shots: Shots
) -> None:
    narrow.goto(launch_url(stack, patient="ff-typical"))
    narrow.click("text=Set goals with the patient")
    narrow.click("button[data-template=walk-around-block]")
    narrow.click("button[data-template=grocery-shopping]")
    for details in narrow.locator("#plan-form details").all():
        details.locator("summary").click()
    narrow.fill("#f-goals-1-gas-1", "Shops twice a week with a cart and carries two light bags in")
    boxes = "#plan-form .ff-stack textarea, #plan-form .ff-step textarea"
    assert narrow.locator(boxes).count() >= 2 * (5 + 3)
    cut = narrow.eval_on_selector_all(
        boxes,
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1"
        " || e.scrollHeight > e.clientHeight + 1).map(e => [e.name, e.value])",
    )
    assert cut == []
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 1024
    shots.take(narrow, "plan-1024")


def test_a_save_refused_for_low_confidence_says_not_saved_and_links_to_the_reason(
    stack: Stack, narrow: Page, shots: Shots
) -> None:
    narrow.goto(launch_url(stack, patient="ff-opioid"))
    narrow.click("text=Set goals with the patient")
    narrow.click("button[data-template=home-exercise]")
    narrow.fill("#f-what-matters", "Lift my grandson")
    narrow.check("input[name=confidence][value='5']")
    expect(narrow.locator("label[for=f-override-reason]")).not_to_contain_text("optional")
    narrow.click("#save-plan")
    summary = narrow.locator("#error-summary")
    expect(summary).to_contain_text("Not saved: the confidence is below 7")
    expect(summary).to_be_focused()
    summary.locator("a[href='#f-override-reason']").click()
    expect(narrow.locator("#f-override-reason")).to_be_focused()
    expect(narrow.locator("#f-override-reason-error")).to_be_visible()
    assert serious_violations(narrow) == []
    shots.take(narrow, "not-saved-low-confidence")


def test_the_handout_opens_in_its_own_window_from_the_ehr_frame_and_prints_alone(
    stack: Stack, narrow: Page, shots: Shots
) -> None:
    narrow.goto(launch_url(stack, patient="ff-goal-history", frame=True))
    frame = narrow.frame_locator("iframe").first
    expect(frame.locator("h1")).to_have_text("Pain and function overview")
    app = next(f for f in narrow.frames if f.url.startswith(stack.app_url))
    app.click("text=Set goals with the patient")
    app.wait_for_selector("button[data-template=grocery-shopping]")
    app.click("button[data-template=grocery-shopping]")
    app.wait_for_selector("#f-goals-0-description")
    app.fill("#f-what-matters", "Do my own shopping again")
    app.check("input[name=confidence][value='7']")
    app.click("#save-plan")
    expect(frame.locator("h1")).to_have_text("Plan saved")
    with narrow.context.expect_page() as opened:
        frame.locator("text=Open the handout to print").click()
    handout = opened.value
    expect(handout.locator("h1")).to_have_text("My action plan")
    assert handout.url.startswith(stack.app_url)  # a top-level window, not the EHR's
    expect(frame.locator("h1")).to_have_text("Plan saved")  # the frame stays where it was
    print_button = handout.locator("button[data-print]")
    expect(print_button).to_be_visible()
    print_button.click()
    assert handout.evaluate("window.__prints") == 1
    assert serious_violations(handout) == []
    shots.take(handout, "handout-window")
    handout.close()
