"""The app in this process for the integration tests, on each sandbox backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from sandbox.stack import Stack
from tests.integration.inprocess import app_at


@pytest.fixture
def app(sandbox_stack: Stack, tmp_path: Path) -> Iterator[Flask]:
    """The app in this process, registered at the sandbox's three sites."""
    with app_at(sandbox_stack, tmp_path) as built:
        yield built
