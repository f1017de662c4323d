"""Set goals: the plan form, its edits (templates, goals, steps), the SMART check, the save.

Every request keeps the fields exactly as typed and stores them as the draft, so nothing is
lost on an error, a refused save or a closed tab (the draft returns on the next launch).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Response, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from rehab.rules import confidence_gate, follow_up_defaults, plan_warnings
from smartapp import forms
from smartapp.gateway.errors import FhirError, FhirUnavailable
from smartapp.keys import new_key, usable_key
from smartapp.services import services
from smartapp.store.drafts import DraftConflict, DraftTooLarge
from smartapp.views import edits, ehr, refusal
from smartapp.views.pages import bp, page_frame
from smartapp.views.words import error_words, said, strategy_words
from smartapp.web import LaunchSession, current_launch, launched_view

log = logging.getLogger("functionfirst.pages")

GATE_SUMMARY = (
    "Not saved: the confidence is below 7 — make the plan smaller or easier, or record why "
    "you go ahead"
)
REFUSED_SUMMARY = "Not saved: the EHR did not accept what is marked below"
OVERRIDE_REQUIRED = (
    "Required when the confidence is below 7: record why you go ahead with this plan, or make "
    "the plan smaller or easier and ask again."
)


def _draft_key(launch: LaunchSession) -> tuple[str, str, str]:
    return launch.tenant.name, ehr.patient_of(launch), launch.fhir_user or "-"


def _load(launch: LaunchSession) -> tuple[dict[str, str], str, int | None]:
    """The fields, plan key and draft version: from the draft, else a fresh plan's defaults."""
    draft = ehr.pages().drafts.get(*_draft_key(launch))
    data = draft.data if draft else {}
    fields, key = data.get("fields"), data.get("plan_key")
    if isinstance(fields, dict) and (kept := usable_key(key)):
        return forms.clean_fields(fields), kept, draft.version if draft else None
    follow = follow_up_defaults(ehr.today())
    fresh = {
        "expressed_by": "patient",
        "follow_up.check_in": follow.check_in.isoformat() if follow.check_in else "",
        "follow_up.review": follow.review.isoformat(),
    }
    return fresh, new_key(), draft.version if draft else None


def _store(launch: LaunchSession, fields: Mapping[str, str], plan_key: str) -> str:
    """Keep the fields as the draft; the words say whether that worked."""
    try:
        ehr.pages().drafts.put(
            *_draft_key(launch),
            launch_id=launch.launch_id,
            data={"fields": dict(fields), "plan_key": plan_key},
        )
    except (DraftConflict, DraftTooLarge):
        return "The draft could not be stored; keep this page open until you save."
    except SQLAlchemyError as exc:
        # The draft is a safety net: the app's database failing must not cost the save itself.
        log.warning("draft not stored: %s", type(exc).__name__, extra={"event": "draft_error"})
        return "The draft could not be stored; keep this page open until you save."
    return f"Draft kept at {ehr.now():%H:%M}."


def _edit(fields: dict[str, str], action: str, form: Mapping[str, str]) -> dict[str, str]:
    """Apply an edit button: a template, a blank goal, a step, a removal."""
    today = ehr.today()
    templates = {t.key: t for t in services().templates.templates}
    if form.get("template") in templates:
        return edits.template_goal(fields, templates[form["template"]], today=today)
    verb, _, arg = action.partition(":")
    if verb == "add-goal":
        areas = {a.key for a in services().templates.areas}
        area = form.get("new_area", "")
        return edits.blank_goal(fields, domain=area if area in areas else "walking", today=today)
    if verb in ("add-step", "remove-goal") and arg.isdigit():
        change = edits.add_step if verb == "add-step" else edits.remove_goal
        return change(fields, int(arg))
    return fields


def _render(
    launch: LaunchSession,
    fields: Mapping[str, str],
    plan_key: str,
    *,
    status: int = 200,
    errors: Mapping[str, tuple[str, ...]] | None = None,
    summary: str | None = None,
    gate: str | None = None,
    notice: str | None = None,
    notice_error: bool = False,
    draft_status: str | None = None,
    draft_version: int | None = None,
) -> tuple[str, int]:
    library = services().templates
    plan, _ = forms.parse_plan(fields)
    warnings = plan_warnings(plan) if plan is not None else ()
    body = render_template(
        "pages/plan.html",
        page=page_frame(launch, ehr.context(launch).context, "plan"),
        form=forms.PlanForm(values=fields, goals=forms.slots(fields), errors=errors or {}),
        plan_key=plan_key,
        checks=edits.goal_checks(fields),
        summary=summary,
        warnings=warnings,
        gate=gate,
        templates=library.templates,
        areas=tuple((a.key, a.label) for a in library.areas),
        area_labels={a.key: a.label for a in library.areas},
        notice=notice,
        notice_error=notice_error,
        draft_status=draft_status,
        draft_version=draft_version,
        draft_url=f"/l/{launch.launch_id}/api/drafts/current",
        strategy_words=_planned_words(launch),
    )
    return body, status


def _planned_words(launch: LaunchSession) -> str | None:
    """What saving will do; the form must show even when the EHR's capabilities cannot be read."""
    try:
        return strategy_words(ehr.write_plan(launch).strategy.value)
    except FhirError:
        return None


@bp.get("/l/<launch_id>/plan")
@launched_view
def plan(launch_id: str) -> tuple[str, int]:
    """The plan form, with the draft when there is one."""
    launch = current_launch()
    fields, plan_key, version = _load(launch)
    status = "Draft restored." if version else None
    return _render(launch, fields, plan_key, draft_status=status, draft_version=version)


@bp.post("/l/<launch_id>/plan")
@launched_view
def plan_post(launch_id: str) -> tuple[str, int] | BaseResponse:
    """Edit, check or save the plan; a refused or failed save keeps every field."""
    launch = current_launch()
    fields = forms.clean_fields(request.form.items())
    sent_key = request.form.get("plan_key", "")
    plan_key = usable_key(sent_key) or new_key()
    action = request.form.get("action", "check")
    if action != "save":
        fields = _edit(fields, action, request.form)
        return _render(launch, fields, plan_key, draft_status=_store(launch, fields, plan_key))
    return _save(launch, fields, plan_key)


def _save(
    launch: LaunchSession, fields: dict[str, str], plan_key: str
) -> tuple[str, int] | BaseResponse:
    """Parse, gate and save; anything short of a save shows the form again with every field."""
    kept = _store(launch, fields, plan_key)
    parsed, errors = forms.parse_plan(fields)
    if parsed is None:
        count = sum(len(m) for m in errors.values())
        summary = f"Not saved: please check {count} field{'s' if count != 1 else ''}"
        return _render(
            launch, fields, plan_key, status=422, errors=errors, summary=summary, draft_status=kept
        )
    gate = confidence_gate(parsed)
    if gate is not None:
        # The reason is required below 7 (Brief Action Planning): say so at the top, with a
        # link to the box, and beside the box, so the refusal is never silent.
        return _render(
            launch,
            fields,
            plan_key,
            status=422,
            gate=gate,
            errors={"override_reason": (OVERRIDE_REQUIRED,)},
            summary=GATE_SUMMARY,
            draft_status=kept,
        )
    try:
        result = ehr.save(launch, parsed, plan_key)
    except FhirError as exc:
        words = f"Not saved: {error_words(exc)} Every field is kept here and in the draft."
        status = 503 if isinstance(exc, FhirUnavailable) else 502
        return _render(
            launch,
            fields,
            plan_key,
            status=status,
            notice=words,
            notice_error=True,
            draft_status=kept,
        )
    answer = result.to_dict()
    if refusal.refused_content(answer):
        return _refused(launch, fields, plan_key, answer, draft_status=kept)
    if result.failed and not result.written:
        why = "; ".join(f"{f.resource_type}: {f.message}" for f in result.failed)
        words = f"Not saved: the EHR took nothing ({why}). Every field is kept; press Save again."
        return _render(
            launch, fields, plan_key, status=502, notice=words, notice_error=True, draft_status=kept
        )
    ctx = ehr.context(launch).context
    ehr.pages().saved.remember(
        launch.launch_id,
        plan_key,
        plan=parsed.to_dict(),
        result=result.to_dict(),
        patient_name=ctx.patient.name if ctx.patient else None,
    )
    if result.complete:
        ehr.pages().drafts.clear(*_draft_key(launch))
    target = url_for("pages.saved", launch_id=launch.launch_id, plan_key=plan_key)
    return redirect(target, code=303)


def _refused(
    launch: LaunchSession,
    fields: dict[str, str],
    plan_key: str,
    answer: Mapping[str, object],
    *,
    draft_status: str,
) -> tuple[str, int]:
    """The form again, each of the EHR's issues beside the goal, step or field it concerns."""
    errors, unplaced = refusal.on_form(answer, fields)
    words = f"Not saved: the EHR did not accept the data.{said(unplaced)}"
    if errors:
        words += " What it said about a goal, a step or a field is shown beside it."
    if answer.get("compensated"):
        words += (" The goals it had already taken were withdrawn again, so the chart holds no "
                  "half plan.")
    words += " Check the plan, then press Save again. Every field is kept here and in the draft."
    return _render(
        launch,
        fields,
        plan_key,
        status=502,
        errors=errors,
        summary=REFUSED_SUMMARY if errors else None,
        notice=words,
        notice_error=True,
        draft_status=draft_status,
    )


@bp.post("/l/<launch_id>/plan/check")
@launched_view
def plan_check(launch_id: str) -> Response:
    """The SMART check and the confidence prompt for the fields as typed (for the script)."""
    fields = forms.clean_fields(request.form.items())
    parsed, _ = forms.parse_plan(fields)
    return jsonify(
        checks={str(i): list(m) for i, m in edits.goal_checks(fields).items()},
        warnings=list(plan_warnings(parsed)) if parsed else [],
        gate=confidence_gate(parsed) if parsed else None,
    )
