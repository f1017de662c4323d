"""The pages' door to the EHR: context, write plan, save and review for the launch of a request.

Thin glue over the gateway and write-back (which do the HTTP); per-app caches live in
`app.extensions["functionfirst.pages"]`, set up by `init_pages`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from flask import copy_current_request_context, current_app, g

from fhir_mappers.search import search_specs
from launch.errors import OAuthHttpError
from rehab.plan import ActionPlan
from rehab.review import GoalReview
from smartapp.errors import AppError
from smartapp.gateway import FhirClient
from smartapp.gateway.capabilities import CapabilityCache, WritePlan, plan_writes
from smartapp.gateway.context import ContextCache, ContextResult, load_context
from smartapp.gateway.errors import FhirAuthError, FhirError, FhirForbidden, FhirUnavailable
from smartapp.gateway.fetch import fetch_all
from smartapp.store import Outcome
from smartapp.store.drafts import DraftStore
from smartapp.style import EhrStyle, parse_style, style_url_allowed
from smartapp.views.review_history import CarePlanRead
from smartapp.views.saved import SavedPlans
from smartapp.web import LaunchSession, audit, fhir_client, services
from smartapp.writeback.result import SaveResult, WriteEvent
from smartapp.writeback.review import Conflict, ReviewResult, read_goal, save_review
from smartapp.writeback.save import save_plan

MAX_STYLES = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class PageServices:
    """Per-app helpers of the pages."""

    contexts: ContextCache
    capabilities: CapabilityCache
    drafts: DraftStore
    saved: SavedPlans
    styles: dict[str, EhrStyle]


def pages() -> PageServices:
    """The current app's page helpers."""
    found = current_app.extensions["functionfirst.pages"]
    assert isinstance(found, PageServices)
    return found


def now() -> datetime:
    """The app's clock (the store's, so tests can set it)."""
    return services().store.now()


def today() -> date:
    """Today's date by the app's clock."""
    return now().date()


def patient_of(launch: LaunchSession) -> str:
    """The patient in context, from the token only (smart.md 36)."""
    if not launch.patient_id:
        raise AppError(400, "no_patient", "This launch has no patient in context.", relaunch=True)
    return launch.patient_id


def author_of(launch: LaunchSession) -> str:
    """Who is signed in (fhirUser), the author of what the app writes."""
    if not launch.fhir_user:
        raise AppError(
            403, "no_user", "The EHR did not say who is signed in, so nothing can be saved."
        )
    kind, _, user_id = launch.fhir_user.partition("/")
    if kind == "Patient" and user_id != launch.patient_id:
        # A patient user writes to their own record only (checked at the callback too).
        raise AppError(403, "patient_mismatch", "You can save to your own record only.")
    return launch.fhir_user


def on_behalf_of(launch: LaunchSession) -> str | None:
    """The organisation a clinician's write is made for; a patient acts for themself (FHIR R4)."""
    if (launch.fhir_user or "").startswith("Patient/"):
        return None
    return launch.tenant.organization


def batch_allowed(launch: LaunchSession, client: FhirClient) -> bool:
    """Whether the context may go as one batch: the EHR says it takes batches, no quirk forbids."""
    if launch.tenant.quirk("no_batch"):
        return False
    try:
        return pages().capabilities.get(launch.tenant.name, client).batch
    except FhirAuthError:
        raise
    except FhirError:
        return False  # no CapabilityStatement: the searches go side by side, as before


def context(launch: LaunchSession) -> ContextResult:
    """The patient context, cached briefly per launch (one batch round where the EHR allows)."""
    patient_id = patient_of(launch)

    def load() -> ContextResult:
        client = fhir_client(launch)
        return load_context(
            client,
            patient_id,
            today=today(),
            quirks=launch.tenant.quirks,
            batch=batch_allowed(launch, client),
        )

    # Within one request the context is read once, even when it is partial (the cache keeps
    # only complete contexts, so a save after a failed search would otherwise read it twice).
    read: dict[str, ContextResult] = g.setdefault("functionfirst_contexts", {})
    if launch.launch_id not in read:
        read[launch.launch_id] = pages().contexts.get(launch.launch_id, load)
    return read[launch.launch_id]


def forget_context(launch: LaunchSession) -> None:
    """Drop the launch's context after a write, so what follows reads what was written."""
    pages().contexts.invalidate(launch.launch_id)
    g.get("functionfirst_contexts", {}).pop(launch.launch_id, None)


def write_plan(launch: LaunchSession) -> WritePlan:
    """The strategy a save would use now, and why."""
    capabilities = pages().capabilities.get(launch.tenant.name, fhir_client(launch))
    return plan_writes(capabilities, launch.tokens.scopes, launch.tenant.write_strategy)


def save(launch: LaunchSession, plan: ActionPlan, plan_key: str) -> SaveResult:
    """Save the plan with the planned strategy; every write attempt goes to the audit log."""

    def hook(event: WriteEvent) -> None:
        outcome = Outcome.SUCCESS if event.accepted else Outcome.FAILURE
        audit(event.action, outcome, launch=launch, resources=event.resources, detail=event.detail)

    ctx = context(launch).context
    forget_context(launch)  # the overview shows what was just written
    activity_style = (
        "reference" if launch.tenant.quirks.get("activity_style_reference") else "detail"
    )
    return save_plan(
        fhir_client(launch),
        plan,
        write_plan=write_plan(launch),
        patient_id=patient_of(launch),
        author=author_of(launch),
        today=today(),
        plan_key=plan_key,
        recorded=now(),
        conditions=tuple(f"Condition/{c.id}" for c in ctx.conditions),
        activity_style=activity_style,
        patient_name=ctx.patient.name if ctx.patient else None,
        hook=hook,
        on_behalf_of=on_behalf_of(launch),
    )


def goal(launch: LaunchSession, goal_id: str) -> tuple[dict[str, Any], str | None]:
    """The Goal as the EHR holds it now, and its version id."""
    found, version, _etag = read_goal(fhir_client(launch), goal_id)
    return found, version


def care_plans(launch: LaunchSession) -> CarePlanRead:
    """The patient's care plans as the EHR holds them, for the review page: one search, its
    `next` pages followed to the context's bound.

    The context keeps each plan's activities as words only; the review shows the steps of one
    goal and the plan's confidence, so it reads the plans (the context's search, same scopes
    and vendor parameters) once more. Where the site writes steps as ServiceRequests, those
    come in the same answer (`_include`). A failure is returned in words, not raised, except
    an ended session.
    """
    patient_id = patient_of(launch)
    quirks = launch.tenant.quirks
    specs = search_specs(patient_id, lookback_start=today(), quirks=quirks)
    spec = next(s for s in specs if s.name == "care_plans")
    if launch.tenant.quirk("activity_style_reference") and not launch.tenant.quirk("no_include"):
        spec = replace(spec, params=(*spec.params, ("_include", "CarePlan:activity-reference")))
    # fetch_all's page bound is the context's too.
    (found,) = fetch_all(fhir_client(launch), [spec]).results
    error = found.error
    if isinstance(error, FhirUnavailable):
        status = f" (HTTP {error.status})" if error.status else ""
        return CarePlanRead(error=f"the EHR is not available just now{status}; reload in a moment")
    if isinstance(error, FhirForbidden):
        return CarePlanRead(error="the EHR did not allow reading them for your account")
    if error is not None:
        return CarePlanRead(error=f"the EHR answered with an error (HTTP {error.status or 'none'})")
    return CarePlanRead(resources=found.resources)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewReads:
    """What the review page reads: the context, the Goal now with its version, the care plans."""

    context: ContextResult
    goal: dict[str, Any]
    version: str | None
    plans: CarePlanRead


def review_reads(launch: LaunchSession, goal_id: str) -> ReviewReads:
    """The review page's reads side by side: one round trip, not three, when the context is
    not cached (a save has just invalidated it), and one, not two, when it is."""
    in_context = copy_current_request_context(context)
    read_plans = copy_current_request_context(care_plans)
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = pool.submit(in_context, launch)
        plans = pool.submit(read_plans, launch)
        found, version = goal(launch, goal_id)
        return ReviewReads(
            context=loaded.result(), goal=found, version=version, plans=plans.result()
        )


def review(
    launch: LaunchSession,
    goal_id: str,
    answer: GoalReview,
    *,
    base_version: str | None,
    review_key: str,
) -> ReviewResult | Conflict:
    """Record a review unless someone changed the goal since `base_version`."""

    def hook(event: WriteEvent) -> None:
        outcome = Outcome.SUCCESS if event.accepted else Outcome.FAILURE
        audit(event.action, outcome, launch=launch, resources=event.resources, detail=event.detail)

    forget_context(launch)
    return save_review(
        fhir_client(launch),
        goal_id,
        answer,
        patient_id=patient_of(launch),
        author=author_of(launch),
        today=today(),
        recorded=now(),
        base_version=base_version,
        review_key=review_key,
        # Planned from the EHR's capabilities: only what it accepts is sent (smart.md 80).
        write_plan=write_plan(launch),
        hook=hook,
        on_behalf_of=on_behalf_of(launch),
    )


def ehr_style(launch: LaunchSession) -> EhrStyle | None:
    """The EHR's style document, whitelisted; fetched once per URL, only from the EHR's origin."""
    url = launch.tokens.smart_style_url
    if not url or not style_url_allowed(url, launch.tenant.iss):
        return None
    cache = pages().styles
    if url not in cache:
        try:
            document = services().oauth_http.get_json(url).body
        except OAuthHttpError:
            return None  # the default style serves; the page must not fail for a colour
        if len(cache) >= MAX_STYLES:
            cache.clear()  # an EHR that varies the URL per launch must not grow memory
        cache[url] = parse_style(document)
    return cache[url]
