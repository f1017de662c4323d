"""The JSON API under /l/<launch_id>/api/ (session + launch id; CSRF and Origin for writes)."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any

import orjson
from flask import Blueprint, Response, copy_current_request_context, jsonify, request, url_for
from werkzeug.routing import BuildError

from fhir_mappers.errors import InvalidKeyError
from fhir_mappers.identifiers import check_key
from rehab import confidence_gate, overview_flags, plan_warnings, smart_check
from rehab.errors import FieldError
from rehab.plan import ActionPlan
from rehab.review import GoalReview
from smartapp.errors import AppError
from smartapp.gateway.errors import FhirError
from smartapp.keys import review_key
from smartapp.store.drafts import (
    ClaimKind,
    DraftConflict,
    DraftStore,
    DraftTooLarge,
    IdempotencyStore,
)
from smartapp.views import ehr
from smartapp.views.refusal import placed_review_refusal
from smartapp.web import LaunchSession, current_launch, launched_view, services
from smartapp.writeback.review import Conflict

bp = Blueprint("api", __name__)
API = "/l/<launch_id>/api"
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,200}$")
# A double click's second request waits this long for the first one's answer.
_BUSY_WAIT = 20.0


def _drafts() -> DraftStore:
    return ehr.pages().drafts


def _keys() -> IdempotencyStore:
    store = services().store
    return IdempotencyStore(store.engine, now=store.now)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AppError(400, "invalid_json", "The request body must be a JSON object.")
    return data


def _field_errors(errors: list[FieldError], code: str = "invalid_plan") -> Response:
    response = jsonify({
        "error": code,
        "message": "Some fields need attention; nothing was written.",
        "fields": [e.to_dict() for e in errors],
    })
    response.status_code = 422
    return response


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of this API."""
    text = resources.files("smartapp").joinpath("openapi.json").read_text(encoding="utf-8")
    return Response(text, mimetype="application/json")


@bp.get(f"{API}/context")
@launched_view
def get_context(launch_id: str) -> Response:
    """The patient context, the write plan (strategy and why) and the CSRF token."""
    launch = current_launch()
    # The CapabilityStatement (read once per tenant) goes out beside the searches, so a cold
    # cache adds no sequential round trip.
    with ThreadPoolExecutor(max_workers=1) as pool:
        planned = pool.submit(copy_current_request_context(ehr.write_plan), launch)
        loaded = ehr.context(launch)
        plan = planned.result()
    return _fast_json({
        "context": loaded.context,
        "flags": overview_flags(loaded.context, ehr.today()),
        "missing": list(loaded.missing),
        "capabilities": plan.to_dict(),
        "round_trips": loaded.round_trips,
        "csrf_token": launch.csrf_token,
    })


@bp.post(f"{API}/plans")
@launched_view
def post_plan(launch_id: str) -> Response:
    """Save a plan once (Idempotency-Key, or the plan key); 422 with field errors."""
    launch = current_launch()
    body = _body()
    plan_key = _plan_key(launch, body)
    plan, errors = ActionPlan.from_dict(body)
    if plan is None:
        return _field_errors(errors)
    gate = confidence_gate(plan)
    if gate:
        return _field_errors([FieldError(path="override_reason", message=gate)])
    plan_json = plan.to_dict()
    canonical = json.dumps({"plan": plan_json, "plan_key": plan_key}, sort_keys=True)
    request_hash = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    key = _idempotency_key() or f"plan:{launch.patient_id}:{plan_key}"
    owner = uuid.uuid4().hex
    claim = _claim(launch, key, request_hash, owner)
    if claim is not None:
        return claim
    try:
        patient = ehr.context(launch).context.patient  # cached; the save refreshes it after
        result = ehr.save(launch, plan, plan_key)
    except BaseException:
        _keys().release(launch.tenant.name, key, owner=owner)
        raise
    result_json = result.to_dict()
    answer: dict[str, Any] = {**result_json, "plan_key": plan_key,
                              "round_trips": result.round_trips}
    answer["warnings"] = [
        *result.warnings, *plan_warnings(plan), *(w for g in plan.goals for w in smart_check(g))
    ]
    if not result.complete:
        # Nothing final: a retry with the same key runs again and completes the set.
        _keys().release(launch.tenant.name, key, owner=owner)
        return _json(502, {**answer, "error": "save_incomplete", "handout_url": None})
    ehr.pages().saved.remember(launch.launch_id, plan_key, plan=plan_json, result=result_json,
                               patient_name=patient.name if patient else None)
    if launch.patient_id and launch.fhir_user:
        _drafts().clear(launch.tenant.name, launch.patient_id, launch.fhir_user)
    answer["handout_url"] = _handout_url(launch.launch_id, plan_key)
    status = 200 if result.strategy.value == "export" else 201
    _keys().finish(launch.tenant.name, key, owner=owner, status_code=status, response=answer)
    return _json(status, answer)


def _plan_key(launch: LaunchSession, body: dict[str, Any]) -> str:
    """The plan key from the body (the form's), else one derived from the plan's content."""
    given = body.pop("plan_key", None)
    if given is not None:
        try:
            return check_key(str(given))
        except InvalidKeyError:
            raise AppError(422, "invalid_plan_key", "plan_key must be 1-64 letters, digits, "
                           "dots, dashes or underscores.") from None
    # The same plan for the same patient at the same site gets the same key, so a repeat from
    # another tab or worker lands on the same identifiers (and the EHR matches them).
    name = json.dumps([launch.tenant.name, launch.patient_id, body], sort_keys=True)
    return uuid.uuid5(uuid.NAMESPACE_URL, name).hex


def _idempotency_key() -> str | None:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise AppError(400, "invalid_idempotency_key",
                       "Idempotency-Key must be 8-200 visible ASCII characters.")
    return f"key:{value}"


def _claim(launch: LaunchSession, key: str, request_hash: str, owner: str) -> Response | None:
    """None when this request runs the save; else the answer to give instead."""
    deadline = time.monotonic() + _BUSY_WAIT
    while True:
        claim = _keys().claim(launch.tenant.name, key, request_hash=request_hash, owner=owner)
        if claim.kind is ClaimKind.NEW:
            return None
        if claim.kind is ClaimKind.REPLAY:
            response = _json(claim.status_code or 200, claim.response or {})
            response.headers["Idempotent-Replayed"] = "true"
            return response
        if claim.kind is ClaimKind.MISMATCH:
            raise AppError(422, "idempotency_key_reused",
                           "This Idempotency-Key was used for a different plan.")
        if time.monotonic() > deadline:
            raise AppError(409, "save_in_progress",
                           "This plan is being saved by another request; try again shortly.")
        time.sleep(0.1)


def _handout_url(launch_id: str, plan_key: str) -> str | None:
    try:
        return url_for("pages.handout", launch_id=launch_id, plan_key=plan_key)
    except BuildError:
        return None


def _fast_json(data: dict[str, Any]) -> Response:
    """A JSON answer serialized by orjson, which writes the domain's frozen dataclasses as
    objects, dates as YYYY-MM-DD and enums by their (FHIR code) values; fast enough for a
    heavy patient's context (~100 KB)."""
    return Response(orjson.dumps(data), mimetype="application/json")


def _json(status: int, data: dict[str, Any]) -> Response:
    response = jsonify(data)
    response.status_code = status
    return response


@bp.get(f"{API}/goals/<goal_id>")
@launched_view
def get_goal(launch_id: str, goal_id: str) -> Response:
    """The Goal as the EHR holds it, with its version (send it back as base_version)."""
    if not _FHIR_ID.match(goal_id):
        raise AppError(404, "not_found", "No such goal.")
    goal, version = ehr.goal(current_launch(), goal_id)
    response = jsonify({"goal": goal, "versionId": version})
    if version:
        response.headers["ETag"] = f'W/"{version}"'
    return response


@bp.post(f"{API}/goals/<goal_id>/reviews")
@launched_view
def post_review(launch_id: str, goal_id: str) -> Response:
    """Record a review; 409 with what changed when someone else updated the goal."""
    if not _FHIR_ID.match(goal_id):
        raise AppError(404, "not_found", "No such goal.")
    body = _body()
    base_version = body.pop("base_version", None) or _version_of(request.headers.get("If-Match"))
    review, errors = GoalReview.from_dict(body)
    if review is None:
        return _field_errors(errors, "invalid_review")
    version = str(base_version) if base_version else None
    idempotency = request.headers.get("Idempotency-Key")
    key = review_key(goal_id, version, review, idempotency_key=idempotency)
    try:
        result = ehr.review(
            current_launch(), goal_id, review, base_version=version, review_key=key
        )
    except FhirError as exc:
        # The EHR's issues, each on the review field it concerns where that can be known, as
        # the review page places them.
        placed = placed_review_refusal(exc, review)
        if placed is None:
            raise  # the one error handler answers it
        raise AppError(422, "rejected", "The EHR did not accept the review.",
                       details={"issues": [p.to_dict() for p in placed]}) from exc
    if isinstance(result, Conflict):
        return _json(409, {"error": "conflict",
                           "message": "Someone changed this goal in the EHR since you opened it.",
                           "conflict": result.to_dict()})
    return _json(201, result.to_dict())


def _version_of(etag: str | None) -> str | None:
    if not etag:
        return None
    return etag.strip().removeprefix("W/").strip('"') or None


@bp.get(f"{API}/drafts/current")
@launched_view
def get_draft(launch_id: str) -> Response:
    """The draft of this patient and clinician (from any earlier launch), or null."""
    launch = current_launch()
    draft = _drafts().get(*_draft_owner(launch))
    if draft is None:
        return jsonify({"draft": None, "version": 0, "plan_key": uuid.uuid4().hex})
    response = jsonify({"draft": draft.data, "version": draft.version,
                        "updated_at": draft.updated_at.isoformat()})
    response.headers["ETag"] = f'W/"{draft.version}"'
    return response


@bp.put(f"{API}/drafts/current")
@launched_view
def put_draft(launch_id: str) -> Response:
    """Store the draft server-side; If-Match (optional) guards against another tab's save."""
    launch = current_launch()
    data = _body()
    expected = _version_of(request.headers.get("If-Match"))
    try:
        draft = _drafts().put(*_draft_owner(launch), launch_id=launch.launch_id, data=data,
                              expected_version=int(expected) if expected else None)
    except DraftConflict as exc:
        return _json(409, {"error": "draft_conflict",
                           "message": "This draft was changed in another window.",
                           "draft": exc.current.data, "version": exc.current.version})
    except DraftTooLarge as exc:
        raise AppError(413, "draft_too_large", str(exc)) from None
    except ValueError:
        raise AppError(400, "invalid_if_match", "If-Match must be a draft version.") from None
    response = jsonify({"version": draft.version, "updated_at": draft.updated_at.isoformat()})
    response.headers["ETag"] = f'W/"{draft.version}"'
    return response


def _draft_owner(launch: LaunchSession) -> tuple[str, str, str]:
    if not launch.patient_id or not launch.fhir_user:
        raise AppError(400, "no_patient", "Drafts need a patient and a signed-in clinician.")
    return launch.tenant.name, launch.patient_id, launch.fhir_user
