"""After a save: what was written and how, what failed and what to do; the patient handout."""

from __future__ import annotations

import json

from flask import Response, abort, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from rehab.plan import ActionPlan
from smartapp.gateway.errors import FhirError
from smartapp.handout import DAYS, build_handout, handout_pdf
from smartapp.views import ehr, refusal
from smartapp.views.outcome import save_outcome, shown_warnings, step_words, written_rows
from smartapp.views.pages import Page, bp, page_frame
from smartapp.views.saved import SavedPlan
from smartapp.views.words import error_words
from smartapp.web import current_launch, launched_view


def _recall(launch_id: str, plan_key: str) -> tuple[SavedPlan, ActionPlan]:
    saved = ehr.pages().saved.recall(launch_id, plan_key)
    plan = ActionPlan.from_dict(saved.plan)[0] if saved else None
    if saved is None or plan is None:
        abort(404, "No plan was saved under this link in this launch.")
    return saved, plan


def _saved_page(
    page: Page, plan: ActionPlan, result: dict[str, object], plan_key: str, **extra: str
) -> str:
    """The saved page: a heading that matches what landed, each record named, the handout.

    What the EHR said about a goal or a step is shown with that goal; the rest under what did
    not save.
    """
    said_by_goal, said_rest = refusal.by_goal(result)
    return render_template(
        "pages/saved.html",
        page=page,
        plan=plan,
        result=result,
        plan_key=plan_key,
        outcome=save_outcome(result, goals_planned=len(plan.goals)),
        warnings=shown_warnings(result),
        rows=written_rows(result, plan),
        step_words=step_words,
        said_by_goal=said_by_goal,
        said_rest=said_rest,
        **extra,
    )


@bp.get("/l/<launch_id>/saved/<plan_key>")
@launched_view
def saved(launch_id: str, plan_key: str) -> str:
    """What was written, where (the strategy in plain words), what failed, the handout."""
    launch = current_launch()
    record, plan = _recall(launch.launch_id, plan_key)
    page = page_frame(launch, ehr.context(launch).context, "saved")
    return _saved_page(page, plan, record.result, plan_key)


@bp.post("/l/<launch_id>/saved/<plan_key>/retry")
@launched_view
def retry(launch_id: str, plan_key: str) -> tuple[str, int] | BaseResponse:
    """Save the same plan again under the same key: what landed before is not written twice."""
    launch = current_launch()
    record, plan = _recall(launch.launch_id, plan_key)
    try:
        result = ehr.save(launch, plan, plan_key)
    except FhirError as exc:
        page = page_frame(launch, None, "saved")
        body = _saved_page(page, plan, record.result, plan_key, retry_error=error_words(exc))
        return body, 502
    ehr.pages().saved.remember(
        launch.launch_id,
        plan_key,
        plan=plan.to_dict(),
        result=result.to_dict(),
        patient_name=record.patient_name,
    )
    return redirect(url_for("pages.saved", launch_id=launch_id, plan_key=plan_key), code=303)


@bp.get("/l/<launch_id>/saved/<plan_key>/bundle.json")
@launched_view
def bundle(launch_id: str, plan_key: str) -> Response:
    """The plan as a FHIR Bundle download, where the EHR accepted nothing (export)."""
    record, _plan = _recall(current_launch().launch_id, plan_key)
    found = record.result.get("bundle")
    if not isinstance(found, dict):
        abort(404, "This plan has no download: it was written to the EHR.")
    response = Response(json.dumps(found, indent=2), mimetype="application/fhir+json")
    response.headers["Content-Disposition"] = 'attachment; filename="action-plan.json"'
    return response


@bp.get("/l/<launch_id>/handout/<plan_key>")
@launched_view
def handout(launch_id: str, plan_key: str) -> str:
    """The patient's take-home plan (print it from the browser, or get the PDF)."""
    launch = current_launch()
    record, plan = _recall(launch.launch_id, plan_key)
    words = build_handout(plan, patient_name=record.patient_name, today=record.saved_at.date())
    return render_template(
        "pages/handout.html",
        page=page_frame(launch, None, "handout"),
        h=words,
        plan_key=plan_key,
        days=DAYS,
    )


@bp.get("/l/<launch_id>/handout/<plan_key>.pdf")
@launched_view
def handout_file(launch_id: str, plan_key: str) -> Response:
    """The handout as a PDF."""
    record, plan = _recall(current_launch().launch_id, plan_key)
    words = build_handout(plan, patient_name=record.patient_name, today=record.saved_at.date())
    response = Response(handout_pdf(words), mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'inline; filename="my-action-plan.pdf"'
    return response
