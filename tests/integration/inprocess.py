"""The app in the test process, registered at a running sandbox, and real EHR launches of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from launch.keys import generate
from sandbox.stack import Stack
from sandbox.tenants import SECRET_ENV, write_tenants
from smartapp import create_app
from tests.sandbox.smart import launch, patient_of_kind


@contextmanager
def app_at(stack: Stack, home: Path) -> Iterator[Flask]:
    """The app registered at the sandbox's sites; its database, keys and tenants under `home`.

    Its store is closed when the block ends.
    """
    keys = home / "keys.json"
    generate(keys)
    built = create_app(
        {
            "TESTING": "1",
            "FUNCTIONFIRST_TENANTS": str(
                write_tenants(home / "tenants.toml", ehr_url=stack.ehr_url)
            ),
            "FUNCTIONFIRST_BASE_URL": stack.app_url,
            "FUNCTIONFIRST_SECRET_KEY": "integration-secret-key-0123456789abcdefghij",
            "FUNCTIONFIRST_DATABASE_URL": f"sqlite:///{home / 'app.db'}",
            "FUNCTIONFIRST_KEYS": str(keys),
            "FUNCTIONFIRST_DEV": "1",
            SECRET_ENV: stack.client_secret,
        }
    )
    try:
        yield built
    finally:
        built.extensions["functionfirst"].store.close()


def browser(app: Flask, stack: Stack) -> FlaskClient:
    """A test client that reaches the app by the host the sandbox registered."""
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = urlsplit(stack.app_url).netloc
    return client


def ehr_launch(
    client: FlaskClient,
    stack: Stack,
    *,
    profile: str = "open",
    kind: str = "typical",
    **launch_params: str,
) -> TestResponse:
    """An EHR launch of a seeded patient through the app; the app's answer to the callback."""
    iss, code = launch(
        stack,
        profile=profile,
        patient=patient_of_kind(stack, kind),
        practitioner=stack.practitioners[0].id,
        **launch_params,
    )
    answer = client.get("/launch", query_string={"iss": iss, "launch": code})
    if answer.status_code == 303:
        answer = client.get(answer.headers["Location"])
    assert answer.status_code == 302, answer.get_data(as_text=True)
    authorized = requests.get(answer.headers["Location"], allow_redirects=False, timeout=10)
    assert authorized.status_code == 302, authorized.text
    back = urlsplit(authorized.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def launch_base(landed: TestResponse) -> str:
    """`/l/<launch_id>` from the app's answer to a successful callback."""
    assert landed.status_code == 303, landed.get_data(as_text=True)
    return f"/l/{landed.headers['Location'].split('/')[2]}"
