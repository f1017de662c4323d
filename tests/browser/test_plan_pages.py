"""The plan, saved and handout pages in real Chromium at the narrowest EHR pane (1024 px).

Long GAS levels and step texts stay fully visible, and a save refused for low confidence says
so at the top.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.stack import Stack

from .conftest import Shots, launch_url, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def narrow(browser: Browser) -> Iterator[Page]:
    """A fresh browser context at 1024 x 768."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
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
