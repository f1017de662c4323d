"""Browser tests: Debian's Chromium driven by Playwright against a real sandbox stack.

The stack is `sandbox.stack.start_stack` with the app as its own process (`python -m smartapp
serve`), the sekmet-fhir backend and the seeded patients. Screenshots of every page go to
`test-artifacts/screenshots/<test name>/` (git-ignored) for anyone to look at.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Frame, Page

from sandbox.stack import Stack, smartapp_command, start_stack

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CLINICIAN = "ff-pr-okafor"


def _free_block() -> int:
    """A port P with P, P+1 and P+2 free: the stack puts app, EHR and backend there."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + 2 >= 65535:
            continue
        taken = False
        for port in (base, base + 1, base + 2):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    taken = True
        if not taken:
            return base
    raise RuntimeError("no block of three free ports on 127.0.0.1")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A seeded sandbox stack (sekmet-fhir, sandbox EHR) with the app as its own process."""
    port = _free_block()
    with start_stack(
        backend="sekmet",
        data_dir=tmp_path_factory.mktemp("browser-stack"),
        seed=1,
        port=port,
        app_cmd=smartapp_command(port),
    ) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own cookies) at 1280 x 900."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@dataclass
class Shots:
    """Screenshots of one test, numbered in the order taken."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def take(self, target: Page, name: str) -> Path:
        """Write a full-page screenshot and return its path."""
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        target.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """The screenshot folder of this test (emptied first)."""
    folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Shots(folder=folder)


def launch_url(
    stack: Stack,
    *,
    patient: str,
    profile: str = "open",
    frame: bool = False,
    extra: dict[str, str] | None = None,
) -> str:
    """The launcher's scriptable URL: launch the app for a patient, in the frame or not."""
    query = {
        "patient": patient,
        "practitioner": CLINICIAN,
        "launch_uri": f"{stack.app_url}/launch",
        "profile": profile,
        "auto": "1",
        **({"frame": "1"} if frame else {}),
        **(extra or {}),
    }
    return f"{stack.launcher_url}?{urlencode(query)}"


def serious_violations(target: Page | Frame) -> list[str]:
    """axe-core violations of impact serious or critical, as `rule: target` lines."""
    results = Axe().run(target)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            nodes = ", ".join(str(n.get("target")) for n in violation.get("nodes", [])[:3])
            found.append(f"{violation['id']} ({violation['impact']}): {nodes}")
    return found


class Counter:
    """Counts the clinician's interactions (clicks, fills, choices) through one door."""

    def __init__(self, target: Page | Frame) -> None:
        self.target = target
        self.count = 0

    def click(self, selector: str) -> None:
        """One click."""
        self.count += 1
        self.target.click(selector)

    def fill(self, selector: str, text: str) -> None:
        """Typing into one field counts once."""
        self.count += 1
        self.target.fill(selector, text)

    def check(self, selector: str) -> None:
        """One radio or checkbox choice."""
        self.count += 1
        self.target.check(selector)
