"""Helpers for the page tests: a fake EHR gateway at the pages' one door, form plumbing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from rehab.context import GoalSummary, PainCondition, PatientContext, PatientSummary
from rehab.measures import NrsReading, PegReading
from rehab.medication import Medication
from rehab.plan import ActionPlan
from rehab.review import GoalReview
from smartapp.gateway.capabilities import Strategy, WritePlan
from smartapp.gateway.context import ContextResult
from smartapp.views import ehr
from smartapp.views.review_history import CarePlanRead
from smartapp.web import LaunchSession
from smartapp.writeback.result import SaveResult, Written
from smartapp.writeback.review import Change, Conflict, ReviewResult

from .fake_ehr import APP

TODAY = date.today()


def make_context(*, missing: tuple[str, ...] = ()) -> PatientContext:
    return PatientContext(
        patient=PatientSummary(
            id="pat-1", name="Pat Example", birth_date=date(1960, 5, 1), sex="female"
        ),
        conditions=(
            PainCondition(
                id="c1",
                text="Chronic low back pain",
                code=None,
                system=None,
                onset=date(2020, 1, 1),
            ),
        ),
        nrs=(
            NrsReading(when=TODAY - timedelta(days=90), value=7),
            NrsReading(when=TODAY - timedelta(days=5), value=5),
        ),
        peg=(
            PegReading(when=TODAY - timedelta(days=90), score=7.0),
            PegReading(when=TODAY - timedelta(days=5), score=4.5),
        ),
        medications=(
            Medication(
                id="m1",
                name="oxycodone 5 MG tablet",
                rxnorm=("7804",),
                is_opioid=True,
                is_benzodiazepine=False,
                daily_mme=30.0,
                mme_source="CDC 2022 Table",
                status="active",
            ),
        ),
        goals=(
            GoalSummary(
                id="g-pain",
                description="Pain below 4",
                lifecycle_status="active",
                achievement_status=None,
                start=TODAY - timedelta(days=120),
                due=TODAY - timedelta(days=30),
                is_functional=False,
                is_pain_only=True,
                from_functionfirst=False,
                plan_key=None,
                version_id="3",
                last_review=None,
                last_gas=None,
            ),
        ),
        missing=missing,
    )


@dataclass
class FakeGateway:
    """The pages' door to the EHR, answering from memory and recording what was asked."""

    context: PatientContext = field(default_factory=make_context)
    strategy: Strategy = Strategy.TRANSACTION
    save_error: Exception | None = None
    answers: list[SaveResult] = field(default_factory=list)  # what the next saves return
    saved: list[tuple[ActionPlan, str]] = field(default_factory=list)
    reviews: list[tuple[str, GoalReview, str | None]] = field(default_factory=list)
    conflict: bool = False
    goal_update: bool = True
    review_error: Exception | None = None
    review_result: ReviewResult | None = None
    goals: dict[str, dict[str, Any]] = field(default_factory=dict)
    plans: CarePlanRead = field(default_factory=CarePlanRead)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(ehr, "context", self.load)
        monkeypatch.setattr(ehr, "write_plan", self.write_plan)
        monkeypatch.setattr(ehr, "save", self.save)
        monkeypatch.setattr(ehr, "goal", self.goal)
        monkeypatch.setattr(ehr, "review", self.review)
        monkeypatch.setattr(ehr, "care_plans", self.care_plans)

    def load(self, launch: LaunchSession) -> ContextResult:
        return ContextResult(
            context=self.context,
            round_trips=1,
            requests=7,
            missing=self.context.missing,
            truncated=(),
        )

    def write_plan(self, launch: LaunchSession) -> WritePlan:
        return WritePlan(
            strategy=self.strategy,
            reasons=(),
            observations=True,
            provenance=True,
            conditional_create=True,
            goal_update=self.goal_update,
            versioned_update=True,
        )

    def save(self, launch: LaunchSession, plan: ActionPlan, plan_key: str) -> SaveResult:
        if self.save_error is not None:
            raise self.save_error
        self.saved.append((plan, plan_key))
        if self.answers:
            return self.answers.pop(0)
        written: tuple[Written, ...]
        if self.strategy is Strategy.NOTE:
            written = (Written(resource_type="DocumentReference", id="doc-1", version_id="1"),)
        else:
            written = (
                Written(resource_type="Goal", id="goal-9", version_id="1"),
                Written(resource_type="CarePlan", id="cp-9", version_id="1"),
            )
        return SaveResult(strategy=self.strategy, written=written)

    def care_plans(self, launch: LaunchSession) -> CarePlanRead:
        return self.plans

    def goal(self, launch: LaunchSession, goal_id: str) -> tuple[dict[str, Any], str | None]:
        if goal_id in self.goals:
            return self.goals[goal_id], "3"
        return {
            "resourceType": "Goal",
            "id": goal_id,
            "lifecycleStatus": "active",
            "startDate": (TODAY - timedelta(days=30)).isoformat(),
            "description": {"text": "Pain below 4"},
        }, "3"

    def review(
        self,
        launch: LaunchSession,
        goal_id: str,
        answer: GoalReview,
        *,
        base_version: str | None,
        review_key: str,
    ) -> Any:
        self.reviews.append((goal_id, answer, base_version))
        if self.review_error is not None:
            raise self.review_error
        if self.conflict:
            return Conflict(
                goal_id=goal_id,
                base_version="3",
                current_version="4",
                changes=(Change(field="lifecycleStatus", before="active", after="on-hold"),),
                current={},
            )
        if self.review_result is not None:
            return self.review_result
        return ReviewResult(
            written=(Written(resource_type="Observation", id="o1", version_id="1"),),
            goal=Written(resource_type="Goal", id=goal_id, version_id="4", created=False),
        )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def post(client: FlaskClient, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data=data, headers={"Origin": APP})


def form_values(html: str) -> dict[str, str]:
    """What a browser would send back for the plan form's goal fields as shown."""
    values = dict(re.findall(r'name="(goals\[[^"]+)" value="([^"]*)"', html))
    values.update(re.findall(r'name="(goals\[[^"]+)"[^>]*>([^<]*)</textarea>', html))
    for name, options in re.findall(
        r'<select[^>]*name="(goals\[[^"]+)"[^>]*>(.*?)</select>', html, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        if chosen:
            values[name] = chosen.group(1)
    return {k: v.replace("&#39;", "'") for k, v in values.items()}


def plan_form(client: FlaskClient, launch_id: str) -> dict[str, str]:
    """The plan page's hidden fields and defaults, as a browser would send them back."""
    html = client.get(f"/l/{launch_id}/plan").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    for name in ("follow_up.check_in", "follow_up.review"):
        value = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
        assert value is not None
        fields[name] = value.group(1)
    fields["expressed_by"] = "patient"
    return fields
