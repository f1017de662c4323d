"""The launcher, the EHR frame and the login page in Debian's Chromium, with axe-core checks."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask, redirect, request
from playwright.sync_api import Browser, Frame, Page
from werkzeug.wrappers import Response

from sandbox.serve import ThreadedServer
from sandbox.stack import Stack
from tests.sandbox.smart import discover, pkce

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tiny_app(sekmet_stack: Stack) -> Iterator[str]:
    """A stand-in SMART app at the stack's app origin: /launch sends the browser to authorize."""
    web = Flask("tiny-app")
    _verifier, challenge = pkce()

    @web.get("/launch")
    def launch() -> Response:
        iss = request.args["iss"]
        query = {
            "response_type": "code",
            "client_id": "functionfirst",
            "redirect_uri": f"{sekmet_stack.app_url}/callback",
            "scope": "launch openid fhirUser patient/*.rs",
            "state": "browser-state",
            "aud": iss,
            "launch": request.args["launch"],
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return redirect(f"{discover(iss)['authorization_endpoint']}?{urlencode(query)}")

    @web.get("/callback")
    def callback() -> str:
        got = "code" if request.args.get("code") else request.args.get("error", "nothing")
        return f"<!doctype html><html lang='en'><title>cb</title><p id='result'>{got}</p></html>"

    port = int(sekmet_stack.app_url.rsplit(":", 1)[1])
    with ThreadedServer(port) as server:
        server.start(web)
        yield sekmet_stack.app_url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def _serious(target: Page | Frame) -> list[str]:
    violations = Axe().run(target).response["violations"]
    return [v["id"] for v in violations if v.get("impact") in ("serious", "critical")]


def test_launch_in_the_ehr_frame_through_the_login_page(
    sekmet_stack: Stack, tiny_app: str, page: Page
) -> None:
    page.goto(sekmet_stack.launcher_url)
    assert _serious(page) == []
    sparse = next(p for p in sekmet_stack.patients if p.kind == "sparse")
    page.select_option("#patient", sparse.id)
    page.select_option("#profile", "epic")
    page.fill("#launch_uri", f"{tiny_app}/launch")
    page.check("#frame")
    page.click("button[type=submit]")
    page.wait_for_selector("iframe")
    assert sparse.name in page.inner_text("main")
    frame = page.frame_locator("iframe")
    frame.locator("button[value=approve]").wait_for()
    inner = next(f for f in page.frames if "/epic/auth/authorize" in f.url)
    assert _serious(inner) == []
    assert sparse.id in inner.inner_text("body")
    frame.locator("button[value=approve]").click()
    frame.locator("#result").wait_for()
    assert frame.locator("#result").inner_text() == "code"
