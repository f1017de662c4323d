"""Review a goal at follow-up: what was agreed and its history beside GAS, status, PEG, decision.

The Goal is read with its version; the save updates it with If-Match. When someone changed it
meanwhile, the page shows both versions and keeps every field (FHIR R4 http.html#concurrency).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from rehab.review import AchievementStatus, GoalReview
from smartapp.forms import errors_by_field
from smartapp.gateway.errors import FhirError
from smartapp.keys import review_key
from smartapp.views import ehr
from smartapp.views.pages import bp, page_frame
from smartapp.views.refusal import on_review
from smartapp.views.review_history import goal_history
from smartapp.web import LaunchSession, current_launch, launched_view
from smartapp.writeback.review import Conflict, ReviewResult

FIELDS = (
    "gas_score",
    "achievement_status",
    "peg.pain",
    "peg.enjoyment",
    "peg.activity",
    "note",
    "what_helped",
    "what_got_in_the_way",
    "decision",
)


def review_dict(form: Mapping[str, str]) -> dict[str, object]:
    """The GoalReview JSON for the review form's fields (blank ones left out)."""
    data: dict[str, object] = {}
    peg: dict[str, str] = {}
    for name in FIELDS:
        value = form.get(name, "").strip()
        if value and name.startswith("peg."):
            peg[name.removeprefix("peg.")] = value
        elif value:
            data[name] = value
    if peg:
        data["peg"] = peg
    return data


def _render(
    launch: LaunchSession,
    goal_id: str,
    values: Mapping[str, str],
    *,
    status: int = 200,
    errors: Mapping[str, tuple[str, ...]] | None = None,
    conflict: Conflict | None = None,
    notice: str | None = None,
    notice_lines: tuple[str, ...] = (),
    notice_kind: str = "error",
) -> tuple[str, int]:
    # The context, the goal now, and the plans with each step's goal and the confidence.
    reads = ehr.review_reads(launch, goal_id)
    ctx, version = reads.context.context, reads.version
    history = goal_history(ctx, goal_id, goal=reads.goal, plans=reads.plans, today=ehr.today())
    body = render_template(
        "pages/review.html",
        page=page_frame(launch, ctx, "overview"),
        goal_id=goal_id,
        history=history,
        gas=history.gas,
        values=values,
        errors=errors or {},
        conflict=conflict,
        notice=notice,
        notice_lines=notice_lines,
        notice_kind="ok" if notice and notice.startswith("Review saved") else notice_kind,
        base_version=conflict.current_version
        if conflict
        else values.get("base_version") or version,
        statuses=[s.value for s in AchievementStatus],
    )
    return body, status


@bp.get("/l/<launch_id>/goals/<goal_id>/review")
@launched_view
def review(launch_id: str, goal_id: str) -> tuple[str, int]:
    """The review form of one goal, with its history."""
    saved = (
        "Review saved: the scores are in the chart and the goal is updated."
        if (request.args.get("saved") == "1")
        else None
    )
    values = {"decision": "continue"}
    launch = current_launch()
    if saved is None and not ehr.write_plan(launch).goal_update:
        saved = (
            "This EHR does not let apps update goals: the review cannot change the goal's "
            "status in the chart. Record it in the chart by hand if you need it there."
        )
    return _render(launch, goal_id, values, notice=saved)


@bp.post("/l/<launch_id>/goals/<goal_id>/review")
@launched_view
def review_post(launch_id: str, goal_id: str) -> tuple[str, int] | BaseResponse:
    """Record the review; a concurrent change shows both versions and keeps the fields."""
    launch = current_launch()
    values = {
        k: v[:2000] for k, v in request.form.items() if k in (*FIELDS, "base_version")
    }
    answer, problems = GoalReview.from_dict(review_dict(values))
    if answer is None:
        return _render(launch, goal_id, values, status=422, errors=errors_by_field(problems))
    try:
        result = ehr.review(
            launch,
            goal_id,
            answer,
            base_version=values.get("base_version"),
            # Derived from the goal version and the review itself: a resubmit, even from a
            # reloaded page, writes nothing new.
            review_key=review_key(goal_id, values.get("base_version") or None, answer),
        )
    except FhirError as exc:
        # The EHR's words beside the field they concern where its OperationOutcome says.
        errors, words = on_review(exc, answer)
        return _render(launch, goal_id, values, status=502, errors=errors, notice=words)
    if isinstance(result, Conflict):
        return _render(launch, goal_id, values, status=409, conflict=result)
    if not result.complete:
        headline, lines = landed_words(result)
        kind = "partial" if result.written else "error"
        return _render(
            launch, goal_id, values, notice=headline, notice_lines=lines, notice_kind=kind
        )
    return redirect(
        url_for("pages.review", launch_id=launch_id, goal_id=goal_id, saved=1), code=303
    )


def landed_words(result: ReviewResult) -> tuple[str, tuple[str, ...]]:
    """What of the review reached the chart, and what to record by hand, exactly as it landed."""
    if result.scores_saved and result.written and not result.goal_updated:
        fallback = (
            "Scores saved to the chart; the goal's status could not be updated by this EHR's "
            "app interface — record it by hand."
        )
    elif result.goal_updated and not result.scores_saved:
        fallback = (
            "The goal's status was updated in the chart; the scores could not be saved by this "
            "EHR's app interface — record them by hand."
        )
    else:
        fallback = "This EHR did not let the app record this review: record it by hand."
    headline = "Review partly saved." if result.written else "Review not saved."
    failed = tuple(f"Not saved: {f.resource_type} ({f.message})." for f in result.failed)
    return headline, (*(result.warnings or (fallback,)), *failed)
