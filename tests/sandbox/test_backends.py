"""The sandbox's real FHIR backends: start-up, seeding, Goal search, conditional create."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from sandbox.backends import BackendError, commands, free_port, start_backend
from sandbox.backends.sekmet_main import GOAL_PARAMS, RegistrationError, register_goal_params
from sandbox.patients import SeedError, build_patients, seed
from sandbox.patients.model import SeedPatient, transaction
from tests.fixtures.backends import SeededBackend

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
GOAL_ID_SYSTEM = "urn:ietf:rfc:3986"
PATIENT_SEARCHABLE = (
    "Condition",
    "Observation",
    "MedicationRequest",
    "Goal",
    "Encounter",
    "CarePlan",
)


def get(base: str, path: str, **params: str) -> requests.Response:
    return requests.get(f"{base}/{path}", params=params, headers=FHIR_JSON, timeout=30)


def total(base: str, resource_type: str, **params: str) -> int:
    response = get(base, resource_type, _summary="count", **params)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def new_goal(patient_id: str, identifier: str) -> dict[str, object]:
    return {
        "resourceType": "Goal",
        "identifier": [{"system": GOAL_ID_SYSTEM, "value": identifier}],
        "lifecycleStatus": "active",
        "description": {"text": "Walk the dog for 15 minutes every morning"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "startDate": "2026-01-05",
        "target": [{"dueDate": "2026-03-01"}],
    }


@pytest.mark.integration
def test_metadata_lists_goal_and_security(fhir_backend: SeededBackend) -> None:
    response = get(fhir_backend.base_url, "metadata")
    assert response.status_code == 200
    rest = response.json()["rest"][0]
    types = {r["type"]: r for r in rest["resource"]}
    assert "security" in rest
    goal_params = {p["name"] for p in types["Goal"]["searchParam"]}
    assert {"patient", "identifier", "lifecycle-status"} <= goal_params
    assert {"Patient", "Observation", "CarePlan", "DocumentReference", "Provenance"} <= set(types)


@pytest.mark.integration
def test_seed_loads_every_resource(fhir_backend: SeededBackend) -> None:
    base = fhir_backend.base_url
    assert fhir_backend.result.resources == sum(
        len(p.bundle["entry"]) for p in fhir_backend.patients
    ) + sum(len(p.entries) for p in fhir_backend.practitioners)
    for patient in fhir_backend.patients:
        expected = Counter(r["resourceType"] for r in patient.resources())
        assert total(base, "Patient", _id=patient.id) == 1
        for resource_type in PATIENT_SEARCHABLE:
            found = total(base, resource_type, subject=f"Patient/{patient.id}")
            assert found == expected.get(resource_type, 0), (patient.kind, resource_type)
    assert total(base, "Practitioner") == len(fhir_backend.practitioners)
    assert total(base, "PractitionerRole") == len(fhir_backend.practitioners)


@pytest.mark.integration
def test_heavy_patient_is_in_sekmet_and_opt_in_for_medplum(fhir_backend: SeededBackend) -> None:
    seeded = {p.kind for p in fhir_backend.patients}
    assert {"typical", "opioid", "messy", "goal-history", "ahrq", "no-chronic-pain"} <= seeded
    if fhir_backend.kind == "sekmet":
        heavy = fhir_backend.patient("heavy")
        assert total(fhir_backend.base_url, "Observation", patient=heavy.id) > 2000
    else:
        assert "heavy" not in seeded
        assert total(fhir_backend.base_url, "Patient", _id="ff-heavy") == 0


@pytest.mark.integration
def test_goal_search_filters_by_patient(fhir_backend: SeededBackend) -> None:
    base = fhir_backend.base_url
    history = fhir_backend.patient("goal-history")
    response = get(base, "Goal", patient=history.id)
    entries = response.json().get("entry", [])
    goals = [e["resource"] for e in entries if e["search"]["mode"] == "match"]
    assert len(goals) == 4
    assert {g["subject"]["reference"] for g in goals} == {f"Patient/{history.id}"}
    assert total(base, "Goal", patient=fhir_backend.patient("empty").id) == 0
    assert total(base, "Goal", patient="does-not-exist") == 0
    assert total(base, "Goal", subject=f"Patient/{history.id}") == 4
    assert total(base, "Goal", patient=history.id, **{"lifecycle-status": "active"}) == 2
    assert total(base, "Goal", patient=fhir_backend.patient("typical").id) == 2


@pytest.mark.integration
def test_conditional_create_on_goal(fhir_backend: SeededBackend) -> None:
    base = fhir_backend.base_url
    patient_id = fhir_backend.patient("sparse").id
    identifier = f"urn:uuid:{uuid.uuid4()}"
    headers = {**FHIR_JSON, "If-None-Exist": f"identifier={GOAL_ID_SYSTEM}|{identifier}"}
    first = requests.post(
        f"{base}/Goal", json=new_goal(patient_id, identifier), headers=headers, timeout=30
    )
    assert first.status_code == 201, first.text
    assert first.headers["ETag"].startswith('W/"')
    assert "/Goal/" in first.headers["Location"]
    assert "_history" in first.headers["Location"]
    assert first.headers.get("Last-Modified")
    again = requests.post(
        f"{base}/Goal", json=new_goal(patient_id, identifier), headers=headers, timeout=30
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert total(base, "Goal", identifier=f"{GOAL_ID_SYSTEM}|{identifier}") == 1


@pytest.mark.integration
def test_versioned_update_refuses_a_stale_etag(fhir_backend: SeededBackend) -> None:
    base = fhir_backend.base_url
    goal = new_goal(fhir_backend.patient("sparse").id, f"urn:uuid:{uuid.uuid4()}")
    created = requests.post(f"{base}/Goal", json=goal, headers=FHIR_JSON, timeout=30)
    body = created.json()
    body["lifecycleStatus"] = "on-hold"
    url = f"{base}/Goal/{body['id']}"
    etag = created.headers["ETag"]
    updated = requests.put(url, json=body, headers={**FHIR_JSON, "If-Match": etag}, timeout=30)
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] != etag
    stale = requests.put(url, json=body, headers={**FHIR_JSON, "If-Match": etag}, timeout=30)
    assert stale.status_code in (409, 412)


@pytest.mark.integration
def test_transaction_resolves_urn_uuid_references(fhir_backend: SeededBackend) -> None:
    base = fhir_backend.base_url
    patient_id = fhir_backend.patient("sparse").id
    goal_urn = f"urn:uuid:{uuid.uuid4()}"
    care_plan = {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "subject": {"reference": f"Patient/{patient_id}"},
        "goal": [{"reference": goal_urn}],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": goal_urn,
                "resource": new_goal(patient_id, goal_urn),
                "request": {"method": "POST", "url": "Goal"},
            },
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": care_plan,
                "request": {"method": "POST", "url": "CarePlan"},
            },
        ],
    }
    response = requests.post(base, json=bundle, headers=FHIR_JSON, timeout=30)
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert [e["response"]["status"].split()[0] for e in entries] == ["201", "201"]
    goal_ref = entries[0]["response"]["location"].split("/_history")[0].split("/fhir/")[-1]
    plan_ref = entries[1]["response"]["location"].split("/_history")[0].split("/fhir/")[-1]
    plan = get(base, plan_ref).json()
    assert plan["goal"][0]["reference"] == goal_ref


@pytest.mark.integration
def test_transaction_with_an_invalid_entry_fails(fhir_backend: SeededBackend) -> None:
    base = fhir_backend.base_url
    marker = f"urn:uuid:{uuid.uuid4()}"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": new_goal(fhir_backend.patient("sparse").id, marker),
                "request": {"method": "POST", "url": "Goal"},
            },
            {
                "resource": {
                    "resourceType": "CarePlan",
                    "status": "active",
                    "subject": {"reference": "Patient/ff-sparse"},
                },  # intent is required
                "request": {"method": "POST", "url": "CarePlan"},
            },
        ],
    }
    response = requests.post(base, json=bundle, headers=FHIR_JSON, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    if fhir_backend.kind == "sekmet":  # atomic: the valid Goal was rolled back
        assert total(base, "Goal", identifier=f"{GOAL_ID_SYSTEM}|{marker}") == 0


@pytest.mark.integration
def test_invalid_resource_is_refused_with_an_outcome(fhir_backend: SeededBackend) -> None:
    invalid = {"resourceType": "Goal", "bogus": 1, "subject": {"reference": "Patient/x"}}
    response = requests.post(
        f"{fhir_backend.base_url}/Goal", headers=FHIR_JSON, timeout=30, json=invalid
    )
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert any(i["severity"] == "error" for i in outcome["issue"])


@pytest.mark.integration
def test_seed_error_names_the_patient_and_the_reason(fhir_backend: SeededBackend) -> None:
    bad = SeedPatient(
        id="ff-bad",
        name="Bad Data",
        kind="bad",
        description="refused",
        bundle=transaction([{"resourceType": "Goal", "id": "ff-bad-goal", "bogus": True}]),
    )
    with pytest.raises(SeedError, match="patient ff-bad"):
        seed(fhir_backend.base_url, [bad], [])


def test_goal_registration_adds_every_parameter() -> None:
    from sekmet.fhir import search_params

    register_goal_params()
    for name, (kind, paths, _target) in GOAL_PARAMS.items():
        param = search_params.get_param("Goal", name)
        assert param is not None
        assert (param.kind, param.paths) == (kind, paths)


def test_registration_refuses_another_sekmet_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registration edits sekmet's internal table, so it only runs on the pinned release."""
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.2.0")
    with pytest.raises(RegistrationError, match=r"sekmet-fhir 0\.1\.1 is required, found 0\.2\.0"):
        register_goal_params()


def test_sekmet_settings_bind_loopback_with_the_simulator_off(tmp_path: Path) -> None:
    settings = commands.sekmet_settings(port=8123, data_dir=tmp_path)
    assert settings["host"] == "127.0.0.1"
    assert settings["base_url"] == "http://127.0.0.1:8123/fhir"
    assert settings["simulator"] == {"enabled": False}
    assert settings["data_dir"] == str(tmp_path)
    spec = commands.sekmet_launch(port=8123, data_dir=tmp_path)
    assert spec.argv[spec.argv.index("--host") + 1] == "127.0.0.1"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.integration
def test_registration_fixes_goal_search_even_on_old_data(tmp_path: Path) -> None:
    """Stock sekmet answers every Goal to Goal?patient=; ours filters, after reindexing its data."""
    port = free_port()
    spec = commands.sekmet_launch(port=port, data_dir=tmp_path)
    argv = [sys.executable, "-m", "sekmet.cli", *spec.argv[3:]]
    process = subprocess.Popen(
        argv,
        cwd=spec.cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + 30
        while not _listening(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        for patient in ("a", "b"):
            response = requests.post(
                f"{base}/Goal", json=new_goal(patient, patient), headers=FHIR_JSON, timeout=30
            )
            assert response.status_code == 201
        found = get(base, "Goal", patient="a").json()
        matches = [e for e in found.get("entry", []) if e["search"]["mode"] == "match"]
        assert len(matches) == 2
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)
    with start_backend("sekmet", port=0, data_dir=tmp_path) as ours:
        assert total(ours.base_url, "Goal", patient="a") == 1
        assert total(ours.base_url, "Goal", identifier=f"{GOAL_ID_SYSTEM}|b") == 1


def test_unknown_backend_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="unknown FHIR backend 'hapi'") as info:
        start_backend("hapi", port=0, data_dir=tmp_path)
    assert "\n" not in str(info.value)


def test_missing_node_install_says_make_node_deps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands, "NODE_BINARY", tmp_path / "node_modules" / ".bin" / "node")
    with pytest.raises(BackendError, match="run `make node-deps`") as info:
        start_backend("medplum", port=0, data_dir=tmp_path)
    assert "\n" not in str(info.value)


def test_port_in_use_is_refused(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(BackendError, match=f"port {port} on 127.0.0.1 is in use"):
            start_backend("sekmet", port=port, data_dir=tmp_path)


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["sekmet", "medplum"])
def test_nothing_left_running_when_start_fails(kind: str, tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(BackendError, match="did not answer"):
        start_backend(kind, port=port, data_dir=tmp_path, timeout_s=0.05)
    assert not _listening(port)
    assert _processes_mentioning(f"--port\x00{port}") == []


def conditional_goal_transaction(patient_id: str, count: int) -> dict[str, object]:
    entries = []
    for _ in range(count):
        identifier = f"urn:uuid:{uuid.uuid4()}"
        entries.append(
            {
                "fullUrl": identifier,
                "resource": new_goal(patient_id, identifier),
                "request": {
                    "method": "POST",
                    "url": "Goal",
                    "ifNoneExist": f"identifier={GOAL_ID_SYSTEM}|{identifier}",
                },
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@pytest.mark.integration
def test_conditional_transaction_size_limit(fhir_backend: SeededBackend) -> None:
    """Medplum refuses a transaction of more than 8 entries once any entry is conditional."""
    base = fhir_backend.base_url
    patient_id = fhir_backend.patient("sparse").id
    eight = requests.post(
        base, json=conditional_goal_transaction(patient_id, 8), headers=FHIR_JSON, timeout=30
    )
    assert eight.status_code == 200, eight.text
    nine = requests.post(
        base, json=conditional_goal_transaction(patient_id, 9), headers=FHIR_JSON, timeout=30
    )
    if fhir_backend.kind == "medplum":
        assert nine.status_code == 400
        assert "strict isolation" in nine.text
    else:
        assert nine.status_code == 200, nine.text


@pytest.mark.integration
def test_sekmet_persists_and_reseeding_if_absent_keeps_changes(tmp_path: Path) -> None:
    people = build_patients(1, datetime(2026, 11, 23, 12, tzinfo=UTC), kinds=("typical", "sparse"))
    with start_backend("sekmet", port=0, data_dir=tmp_path) as first:
        seed(first.base_url, people, [])
        url = f"{first.base_url}/Goal/ff-typical-goal-walk"
        goal = requests.get(url, headers=FHIR_JSON, timeout=30).json()
        goal["lifecycleStatus"] = "entered-in-error"
        assert requests.put(url, json=goal, headers=FHIR_JSON, timeout=30).status_code == 200
    with start_backend("sekmet", port=0, data_dir=tmp_path) as second:  # same data directory
        base = second.base_url
        kept = seed(base, people, [], if_absent=True)
        assert kept.skipped == ("ff-typical", "ff-sparse")
        assert kept.resources == 0
        assert (
            get(base, "Goal/ff-typical-goal-walk").json()["lifecycleStatus"] == "entered-in-error"
        )
        again = seed(base, people, [])  # plain PUTs: the seeded state comes back, no duplicates
        assert again.skipped == ()
        assert get(base, "Goal/ff-typical-goal-walk").json()["lifecycleStatus"] == "completed"
        assert total(base, "Observation", subject="Patient/ff-typical") == sum(
            1 for r in people[0].resources() if r["resourceType"] == "Observation"
        )


@pytest.mark.integration
def test_medplum_adapter_answers_like_a_server(tmp_path: Path) -> None:
    with start_backend("medplum", port=0, data_dir=tmp_path) as backend:
        root = f"http://127.0.0.1:{backend.port}"
        health = requests.get(f"{root}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert requests.get(f"{root}/Patient", timeout=10).status_code == 404  # base is /fhir
        garbled = requests.post(
            f"{backend.base_url}/Patient", data="{not json", headers=FHIR_JSON, timeout=10
        )
        assert garbled.status_code == 400
        assert garbled.json()["resourceType"] == "OperationOutcome"
        xml = requests.post(
            f"{backend.base_url}/Patient",
            data="<Patient/>",
            headers={"Content-Type": "application/fhir+xml"},
            timeout=10,
        )
        assert xml.status_code == 400
        assert "application/fhir+json" in xml.text
        metadata = get(backend.base_url, "metadata").json()
        rest = metadata["rest"][0]
        assert len(rest["resource"]) > 140  # every R4 resource type
        service = rest["security"]["service"][0]["coding"][0]["code"]
        assert service == "SMART-on-FHIR"
        assert {"transaction", "batch"} <= {i["code"] for i in rest["interaction"]}
        created = requests.put(
            f"{backend.base_url}/Patient/ff-adapter",
            json={"resourceType": "Patient", "id": "ff-adapter"},
            headers=FHIR_JSON,
            timeout=10,
        )
        assert created.status_code == 200  # Medplum answers PUT-create with 200
        version = created.json()["meta"]["versionId"]
        assert created.headers["ETag"] == f'W/"{version}"'
        read = requests.get(f"{backend.base_url}/Patient/ff-adapter", timeout=10)
        assert read.headers["ETag"] == f'W/"{version}"'
        assert read.headers["Last-Modified"].endswith("GMT")
