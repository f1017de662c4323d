"""The pages blueprint: the frame every page shares, template helpers, overview and EHR style."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template, url_for

from rehab.context import PatientContext, PatientSummary
from smartapp.charts import format_value
from smartapp.forms import field_id
from smartapp.views import ehr
from smartapp.views.summary import summarize
from smartapp.views.words import goal_field_words, record_words
from smartapp.web import LaunchSession, current_launch, launched_view

bp = Blueprint("pages", __name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """What the shared layout needs: launch id, CSRF token, banner, EHR style, active tab."""

    launch_id: str
    csrf_token: str
    banner: PatientSummary | None
    style_url: str | None
    active: str


def page_frame(launch: LaunchSession, ctx: PatientContext | None, active: str) -> Page:
    """The frame of a page; the banner only when the EHR asks for it (smart.md 38)."""
    style = ehr.ehr_style(launch)
    return Page(
        launch_id=launch.launch_id,
        csrf_token=launch.csrf_token,
        banner=ctx.patient if ctx is not None and launch.tokens.need_patient_banner else None,
        style_url=url_for("pages.ehr_style", launch_id=launch.launch_id)
        if style and style.properties
        else None,
        active=active,
    )


@bp.app_template_filter("number")
def number(value: float | int | None) -> str:
    """A measure for display: whole numbers plain, others with one decimal (charts' format)."""
    return "—" if value is None else format_value(value)


@bp.app_template_filter("gas")
def gas(score: int) -> str:
    """A GAS level as clinicians write it: -2, -1, 0, +1, +2 (never "+0")."""
    return f"{score:+d}" if score else "0"


# A global, not a context processor: imported macro files see globals only.
bp.add_app_template_global(field_id, "field_id")
bp.add_app_template_filter(record_words, "record_words")
bp.add_app_template_filter(goal_field_words, "goal_field_words")


@bp.get("/l/<launch_id>/")
@launched_view
def overview(launch_id: str) -> str:
    """The patient's pain and function picture, goals, plan and flags."""
    launch = current_launch()
    result = ehr.context(launch)
    ctx = result.context
    return render_template(
        "pages/overview.html",
        page=page_frame(launch, ctx, "overview"),
        ctx=ctx,
        s=summarize(ctx, today=ehr.today()),
        missing=result.missing,
        skipped=ctx.skipped,
    )


@bp.get("/l/<launch_id>/style.css")
@launched_view
def ehr_style(launch_id: str) -> Response:
    """The EHR's whitelisted style as CSS custom properties (never raw CSS from the EHR)."""
    style = ehr.ehr_style(current_launch())
    css = render_template("pages/ehr_style.css", properties=style.properties if style else ())
    return Response(css, mimetype="text/css")


# The other pages register on the same blueprint.
from smartapp.views import plan, results, review  # noqa: E402, F401
