"""The clinician's visit in real Chromium against the sandbox EHR and the app as a process.

Launch from the launcher (in its frame and in a new window) -> overview -> goals from templates
-> save -> handout -> a later launch -> review; the oracle profile's note strategy; the
confidence prompt; a failed save that keeps every field; axe-core on every page.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from sandbox.stack import Stack

from .conftest import Counter, Shots, launch_url, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APP_PAGE = re.compile(r"/l/[A-Za-z0-9_-]+/$")


def check_page(page: Page, shots: Shots, name: str) -> None:
    """Screenshot the page and require no serious or critical axe-core violation."""
    shots.take(page, name)
    assert serious_violations(page) == [], name


def test_goals_from_templates_are_saved_handed_out_and_reviewed_later(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.goto(launch_url(stack, patient="ff-typical"))
    expect(page).to_have_url(APP_PAGE)
    expect(page.locator("h1")).to_have_text("Pain and function overview")
    expect(page.locator("#peg-interpretation")).to_contain_text("at baseline")
    # A new window: the EHR asks for the banner (smart.md 38).
    expect(page.locator(".ff-banner")).to_contain_text("Hiro Kowalczyk")
    expect(page.locator(".ff-chart svg")).to_have_count(1)
    # The sandbox EHR's smart_style_url background (#f5f7fa), through the whitelist.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
        "rgb(245, 247, 250)"
    )
    check_page(page, shots, "overview")

    clinician = Counter(page)
    clinician.click("text=Set goals with the patient")
    check_page(page, shots, "set-goals")
    clinician.click("button[data-template=walk-around-block]")
    clinician.click("button[data-template=sleep-six-hours]")
    clinician.fill("#f-what-matters", "Walk my dog and sleep through the night")
    clinician.check("input[name=confidence][value='8']")
    expect(page.locator("#smart-0")).to_contain_text("activity, amount, frequency and date")
    check_page(page, shots, "set-goals-filled")
    clinician.click("#save-plan")
    assert clinician.count <= 12

    expect(page.locator("h1")).to_have_text("Plan saved")
    expect(page.locator("#save-strategy")).to_contain_text("Saved to the chart")
    plan_goals = page.locator(
        "#plan-h ~ ol > li", has_text="Walk around the block (about 15 minutes)"
    )
    expect(plan_goals).to_have_count(1)
    check_page(page, shots, "saved")

    with page.expect_popup() as opened:  # the handout has a window of its own
        page.click("text=Open the handout to print")
    handout = opened.value
    expect(handout.locator("h1")).to_have_text("My action plan")
    expect(handout.locator(".ff-checklist")).to_have_count(2)
    check_page(handout, shots, "handout")
    handout.emulate_media(media="print")  # the print style: the handout alone, no app chrome
    expect(handout.locator(".app-header")).to_be_hidden()
    expect(handout.locator(".ff-no-print")).to_be_hidden()
    expect(handout.locator(".ff-handout h1")).to_be_visible()
    shots.take(handout, "handout-print")
    handout.emulate_media(media="screen")
    pdf = handout.request.get(handout.url + ".pdf")
    assert pdf.ok
    assert pdf.body().startswith(b"%PDF-")
    handout.close()

    page.goto(launch_url(stack, patient="ff-typical"))  # the follow-up visit: a new launch
    expect(page).to_have_url(APP_PAGE)
    goals = page.locator("#goals-h + table tbody tr")
    expect(goals.filter(has_text="Walk around the block")).to_have_count(1)
    expect(page.locator("#steps-h + ul li").first).to_contain_text("Walk 5 minutes")
    check_page(page, shots, "overview-later")
    goals.filter(has_text="Walk around the block").locator("a", has_text="Review").click()
    expect(page.locator("h1")).to_contain_text("Review: Walk around the block")
    # Beside the form, what was agreed at the first visit: this goal's step, not the other's.
    agreed = page.locator("#agreed")
    expect(agreed).to_contain_text("Minutes walked per week; target 45 min/wk")
    expect(agreed.locator(".ff-steps li")).to_have_count(1)
    expect(agreed.locator(".ff-steps li")).to_contain_text("Walk 5 minutes, rest 1 minute")
    expect(agreed.locator(".ff-steps li")).to_contain_text("How often: 3 times a week")
    expect(page.locator("#agreed-confidence")).to_contain_text("8 out of 10")
    expect(page.locator("#agreed-peg")).to_contain_text("when the goal was set")
    check_page(page, shots, "review")
    page.set_viewport_size({"width": 1024, "height": 768})  # the narrowest EHR pane we serve
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    shots.take(page, "review-1024")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.check("input[name=gas_score][value='0']")
    page.select_option("#r-status", "improving")
    page.fill("#r-peg-pain", "4")
    page.fill("#r-peg-enjoyment", "5")
    page.fill("#r-peg-activity", "4")
    page.fill("#r-helped", "Walking after breakfast with the dog")
    page.click("text=Save the review")
    expect(page.locator("[role=status]").first).to_contain_text("Review saved")
    expect(page.locator("#reviews-table tbody tr")).to_have_count(1)
    check_page(page, shots, "review-saved")


def test_a_template_goal_is_set_and_saved_inside_the_ehr_frame(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.goto(launch_url(stack, patient="ff-goal-history", frame=True))
    frame = page.frame_locator("iframe").first
    expect(frame.locator("h1")).to_have_text("Pain and function overview")
    expect(frame.locator(".ff-banner")).to_have_count(0)  # the EHR shows its own banner (38)
    app = next(f for f in page.frames if f.url.startswith(stack.app_url))
    shots.take(page, "framed-overview")
    assert serious_violations(app) == []

    clinician = Counter(app)
    clinician.click("text=Set goals with the patient")
    app.wait_for_selector("button[data-template=grocery-shopping]")
    clinician.click("button[data-template=grocery-shopping]")
    # A click in a frame does not wait for the navigation it starts: wait for the new goal.
    app.wait_for_selector("#f-goals-0-description")
    clinician.fill("#f-what-matters", "Do my own shopping again")
    clinician.check("input[name=confidence][value='7']")
    clinician.click("#save-plan")
    # One goal from a template with its one step, set and saved: 5 interactions (target: 12).
    assert clinician.count == 5
    expect(frame.locator("h1")).to_have_text("Plan saved")
    shots.take(page, "framed-saved")


def test_the_oracle_profile_saves_a_note_and_says_so_plainly(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})  # the narrowest EHR pane we serve
    page.goto(launch_url(stack, patient="ff-sparse", profile="oracle"))
    expect(page).to_have_url(APP_PAGE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    check_page(page, shots, "oracle-overview")
    page.click("text=Set goals with the patient")
    expect(page.locator("form#plan-form")).to_contain_text("does not accept goals from apps")
    page.click("button[data-template=breathing-for-flares]")
    page.click("button[data-template=garden-paced]")
    page.fill("#f-what-matters", "Get through flares without the ER")
    page.check("input[name=confidence][value='9']")
    page.click("#save-plan")
    expect(page.locator("#save-strategy")).to_contain_text(
        "Saved as a note because this EHR does not accept goals"
    )
    expect(page.locator("#written-h + table td", has_text="Clinical note")).to_have_count(1)
    check_page(page, shots, "oracle-saved")
    with page.expect_popup() as opened:
        page.click("text=Open the handout to print")
    expect(opened.value.locator(".ff-checklist")).to_have_count(2)
    check_page(opened.value, shots, "oracle-handout")
    opened.value.close()

    page.goto(launch_url(stack, patient="ff-goal-history", profile="oracle"))  # a later visit
    page.locator("#goals-h + table a", has_text="Review").first.click()
    expect(page.locator(".ff-notice").first).to_contain_text(
        "This EHR does not let apps update goals"
    )
    check_page(page, shots, "oracle-review")


def test_a_confidence_of_five_prompts_a_smaller_plan_before_saving(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.goto(launch_url(stack, patient="ff-opioid"))
    page.click("text=Set goals with the patient")
    page.click("button[data-template=home-exercise]")
    page.fill("#f-what-matters", "Lift my grandson")
    prompt = page.locator("#confidence-prompt")
    expect(prompt).to_be_hidden()
    page.check("input[name=confidence][value='5']")
    expect(prompt).to_be_visible()  # as soon as it is chosen (the script)
    expect(prompt).to_contain_text("smaller or easier")
    page.click("#save-plan")  # and on submit (the server)
    expect(page.locator("h1")).to_have_text("Set goals with the patient")
    expect(prompt).to_contain_text("Confidence is 5 out of 10")
    expect(page.locator("#f-override-reason")).to_be_visible()
    check_page(page, shots, "confidence-prompt")


def test_a_save_that_fails_keeps_every_field(stack: Stack, page: Page, shots: Shots) -> None:
    page.goto(launch_url(stack, patient="ff-messy"))
    page.click("text=Set goals with the patient")
    page.click("button[data-template=lunch-with-friend]")
    page.fill("#f-what-matters", "See my friends again")
    page.fill("#f-goals-0-steps-0-how-much", "one text message")
    page.fill("#f-barriers", "Tired after work\nRain")
    page.check("input[name=confidence][value='8']")
    before = page.eval_on_selector_all(
        "#plan-form input:not([type=hidden]):not([type=radio]), #plan-form textarea",
        "els => els.map(e => [e.name, e.value])",
    )
    faults = f"{stack.ehr_url}/sandbox/faults"
    requests.put(faults, json={"error_rate": 1.0, "error_status": 503}, timeout=10)
    try:
        page.click("#save-plan")
    finally:
        requests.delete(faults, timeout=10)
    expect(page.locator(".ff-notice--error")).to_contain_text("Not saved")
    after = page.eval_on_selector_all(
        "#plan-form input:not([type=hidden]):not([type=radio]), #plan-form textarea",
        "els => els.map(e => [e.name, e.value])",
    )
    assert after == before
    expect(page.locator("input[name=confidence][value='8']")).to_be_checked()
    check_page(page, shots, "failed-save")
    page.click("#save-plan")  # the EHR is back: the same plan saves once
    expect(page.locator("h1")).to_have_text("Plan saved")


@pytest.mark.parametrize(
    ("sim_error", "words"),
    [
        ("request_expired_token", "The EHR no longer accepts this session."),
        ("auth_invalid_scope", "The EHR refused the access FunctionFirst asks for"),
    ],
)
def test_launch_failures_and_expired_sessions_get_clinician_words_and_a_reference(
    stack: Stack, page: Page, shots: Shots, sim_error: str, words: str
) -> None:
    page.goto(launch_url(stack, patient="ff-typical", extra={"sim_error": sim_error}))
    main = page.locator("main")
    expect(main).to_contain_text(words)
    expect(main).to_contain_text("start FunctionFirst again", ignore_case=True)
    expect(main).to_contain_text("Reference:")
    check_page(page, shots, sim_error)


def test_an_ehr_outage_leaves_an_overview_that_says_what_is_missing(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.goto(launch_url(stack, patient="ff-sparse", extra={"error_rate": "1"}))
    expect(page.locator("#partial-h")).to_have_text("Partial data")
    expect(page.locator("main")).to_contain_text("The EHR did not return everything. Missing:")
    check_page(page, shots, "outage-overview")


def test_a_launch_that_is_not_open_here_gets_a_clear_page(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.goto(f"{stack.app_url}/l/not-a-launch-of-this-browser/")
    expect(page.locator("h1")).to_have_text("Session expired")
    expect(page.locator("main")).to_contain_text("start FunctionFirst again", ignore_case=True)
    expect(page.locator("main")).to_contain_text("Reference:")
    check_page(page, shots, "launch-not-open")


def test_the_script_checks_smart_goals_as_you_type_and_keeps_a_draft(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.goto(launch_url(stack, patient="ff-no-chronic-pain"))
    page.click("text=Set goals with the patient")
    status = page.locator("#draft-status")
    expect(status).to_have_text("")
    page.wait_for_load_state("load")  # the deferred script listens from here on
    page.fill("#f-what-matters", "Play with my grandchildren")  # no submit: the script saves
    expect(status).to_contain_text("Draft kept at")
    page.goto(launch_url(stack, patient="ff-no-chronic-pain"))  # the tab closed; a new launch
    page.click("text=Set goals with the patient")
    expect(page.locator("#f-what-matters")).to_have_value("Play with my grandchildren")
    expect(status).to_have_text("Draft restored.")
    page.click("button[data-template=garden-paced]")
    smart = page.locator("#smart-0")
    expect(smart).to_contain_text("activity, amount, frequency and date are set")
    page.fill("#f-goals-0-steps-0-how-much", "")
    expect(smart).to_contain_text("say how much")  # as typed, before any submit
    shots.take(page, "smart-check-as-you-type")


def test_a_goal_can_be_added_and_saved_with_the_keyboard_alone(
    stack: Stack, page: Page, shots: Shots
) -> None:
    page.goto(launch_url(stack, patient="ff-empty"))
    expect(page).to_have_url(APP_PAGE)

    def tab_to(selector: str, limit: int = 80) -> int:
        """Press Tab until the element is focused; the number of presses it took."""
        target = page.locator(selector)
        for presses in range(1, limit + 1):
            page.keyboard.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return presses
        raise AssertionError(f"{selector} never got the focus")

    tab_to("text=Set goals with the patient")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Set goals with the patient")
    tab_to("#f-what-matters")
    page.keyboard.type("Cook dinner for my family")
    tab_to("button[data-template=home-exercise]")
    page.keyboard.press("Enter")
    expect(page.locator("#f-goals-0-description")).to_have_value(re.compile("home exercise"))
    tab_to("input[name=confidence][value='0']")
    for _ in range(8):
        page.keyboard.press("ArrowRight")  # arrow keys move within the radio group: 8
    expect(page.locator("input[name=confidence][value='8']")).to_be_checked()
    tab_to("#save-plan")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Plan saved")
    shots.take(page, "keyboard-saved")


def test_the_first_tab_offers_a_way_past_the_header(stack: Stack, page: Page) -> None:
    # WCAG 2.4.1: a keyboard user skips the header and the banner in one key press.
    page.goto(launch_url(stack, patient="ff-empty"))
    expect(page).to_have_url(APP_PAGE)
    page.keyboard.press("Tab")
    skip = page.locator("a.ff-skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown when focused, not only there for screen readers
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_two_reviewers_of_one_goal_the_second_sees_both_versions(
    stack: Stack, browser: Browser, shots: Shots
) -> None:
    first = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    second = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        for reviewer in (first, second):
            reviewer.goto(launch_url(stack, patient="ff-goal-history"))
            reviewer.locator("#goals-h + table a", has_text="Review").first.click()
            expect(reviewer.locator("h1")).to_contain_text("Review:")
        first.select_option("#r-status", "achieved")
        first.check("input[name=decision][value=complete]")
        first.click("text=Save the review")
        expect(first.locator(".ff-notice--ok")).to_contain_text("Review saved")

        second.select_option("#r-status", "improving")
        second.fill("#r-note", "Swam twice this week")
        second.click("text=Save the review")
        expect(second.locator("#conflict-h")).to_have_text(
            "Someone changed this goal while you were reviewing it"
        )
        expect(second.locator("#r-note")).to_have_value("Swam twice this week")
        shots.take(second, "review-conflict")
        assert serious_violations(second) == []
        second.click("text=Save my review on the current version")
        expect(second.locator(".ff-notice--ok")).to_contain_text("Review saved")
    finally:
        first.context.close()
        second.context.close()


def test_every_step_works_with_javascript_switched_off(
    stack: Stack, browser: Browser, shots: Shots
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        brenda = next(p.id for p in stack.patients if p.kind == "ahrq")
        page.goto(launch_url(stack, patient=brenda))
        expect(page).to_have_url(APP_PAGE)
        page.click("text=Set goals with the patient")
        page.click("button[data-template=walk-around-block]")
        page.click("button[name=action][value='add-step:0']")  # a second step, no script
        expect(page.locator("#f-goals-0-steps-1-what")).to_be_visible()
        page.fill("#f-what-matters", "Walk to church again")
        page.check("input[name=confidence][value='6']")
        page.click("#save-plan")  # the server asks about the confidence below 7
        expect(page.locator("#confidence-prompt")).to_be_visible()
        page.fill("#f-override-reason", "She wants to try it as it is for two weeks")
        page.click("#save-plan")
        expect(page.locator("h1")).to_have_text("Plan saved")
        shots.take(page, "saved-without-script")  # axe needs script: it runs on the others
    finally:
        context.close()
