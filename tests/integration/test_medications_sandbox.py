"""Orders that name a Medication resource (as Epic's do), read through the sandbox EHR.

The opioid patient's tramadol order carries no code of its own: only the Medication it
references says it is an opioid. The app asks for it with `_include` and the scope to read it.
"""

from __future__ import annotations

import re

import pytest
import requests
from flask import Flask

from launch.tenant_model import DEFAULT_SCOPES
from sandbox.stack import Stack
from tests.integration.inprocess import browser, ehr_launch, launch_base
from tests.sandbox.smart import patient_of_kind, tokens

pytestmark = pytest.mark.integration


def _medication_search(stack: Stack, scope: str) -> list[tuple[str, str]]:
    token = tokens(stack, "open", scope=scope, patient=patient_of_kind(stack, "opioid"))
    answer = requests.get(
        f"{token['iss']}/MedicationRequest",
        params={
            "patient": str(token["patient"]),
            "status": "active",
            "_include": "MedicationRequest:medication",
        },
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return [
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in answer.json().get("entry") or ()
    ]


def test_the_ehr_includes_the_medication_only_for_a_token_that_may_read_it(
    sandbox_stack: Stack,
) -> None:
    narrow = _medication_search(
        sandbox_stack, "launch openid fhirUser patient/MedicationRequest.rs"
    )
    wide = _medication_search(
        sandbox_stack,
        "launch openid fhirUser patient/MedicationRequest.rs patient/Medication.rs",
    )
    assert [kind for kind, _ in narrow] == ["MedicationRequest"] * len(narrow)
    included = [rid for kind, rid in wide if kind == "Medication"]
    assert [rid for rid in included if rid.endswith("-medication-tramadol")]


def test_the_overview_counts_an_opioid_named_only_by_its_medication(
    app: Flask, sandbox_stack: Stack
) -> None:
    assert "patient/Medication.rs" in DEFAULT_SCOPES
    client = browser(app, sandbox_stack)
    base = launch_base(ehr_launch(client, sandbox_stack, kind="opioid"))
    page = client.get(base + "/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    cells = r"<td>([^<]*tramadol[^<]*)(<span[^>]*>[^<]*</span>)?\s*</td>\s*<td>([^<]*)</td>"
    row = re.search(cells, html, re.I)
    assert row is not None, html
    assert "opioid" in (row.group(2) or "")
    assert row.group(3).strip() == "40"  # 200 mg/day at the CDC factor 0.2
    assert "about <strong>100 MME per day</strong>" in html  # oxycodone 60 + tramadol 40
