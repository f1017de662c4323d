"""The overview page as printed: MME words, past goals (the EHR behind the pages is faked)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from rehab.context import PatientContext
from rehab.medication import Medication, MmeReading

from .conftest import run_launch
from .fake_ehr import FakeEhr
from .pages_kit import TODAY, FakeGateway, make_context
from .test_views_summary import make_goal

Render = Callable[[PatientContext], str]


@pytest.fixture
def overview(client: FlaskClient, ehr: FakeEhr, monkeypatch: pytest.MonkeyPatch) -> Render:
    """Render the overview of a launched session for a given patient context."""
    fake = FakeGateway()
    fake.install(monkeypatch)
    path = run_launch(client, ehr)

    def render(ctx: PatientContext) -> str:
        fake.context = ctx
        response = client.get(path)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    return render


def opioid(name: str, *, mme: float | None, note: str | None = None) -> Medication:
    return Medication(
        id=name,
        name=name,
        rxnorm=(),
        is_opioid=True,
        is_benzodiazepine=False,
        daily_mme=mme,
        mme_source="CDC 2022 Table" if mme is not None else None,
        status="active",
        mme_note=note,
    )


def test_an_uncomputed_mme_says_why(overview: Render) -> None:
    ctx = dataclasses.replace(
        make_context(),
        medications=(
            opioid("morphine solution", mme=None, note="no structured dose in the order"),
        ),
    )
    html = overview(ctx)
    assert "not computed: no structured dose in the order" in html
    assert "MME is for information only; not prescribing advice." in html


def test_the_mme_the_ehr_recorded_shows_with_its_date_and_source(overview: Render) -> None:
    source = "recorded in the EHR (AHRQ Pain Management Summary code MME)"
    readings = tuple(
        MmeReading(when=TODAY - timedelta(days=days), value=value, source=source)
        for days, value in ((120, 160.0), (90, 190.0), (60, 220.0))
    )
    ctx = dataclasses.replace(make_context(), medications=(), recorded_mme=readings)
    html = overview(ctx)
    latest = (TODAY - timedelta(days=60)).isoformat()
    assert (
        "Daily MME as the EHR recorded it: <strong>220 MME per day</strong>"
        f" on {latest} ({source})." in html
    )
    assert f"Earlier: 190 on {(TODAY - timedelta(days=90)).isoformat()}, 160 on" in html
    assert "MME is for information only; not prescribing advice." in html
    assert "No active medications on file." in html


def test_past_goals_show_collapsed_under_the_open_ones_with_status_and_date(
    overview: Render,
) -> None:
    walk = make_goal(
        "g-walk",
        description="Walk to the corner shop and back without stopping, 3 days a week",
        lifecycle_status="completed",
        achievement_status="achieved",
        start=TODAY - timedelta(days=420),
        due=TODAY - timedelta(days=330),
    )
    pain = make_goal(
        "g-pain",
        description="Reduce back pain to 3 out of 10",
        lifecycle_status="cancelled",
        achievement_status="not-achieved",
        start=TODAY - timedelta(days=420),
        due=TODAY - timedelta(days=240),
        last_review=TODAY - timedelta(days=300),
    )
    wrong = make_goal("g-wrong", description="Typed in error", lifecycle_status="entered-in-error")
    html = overview(dataclasses.replace(make_context(), goals=(walk, pain, wrong)))
    assert "No open goals on file." in html
    past = html.split('<details id="past-goals">', 1)[1].split("</details>", 1)[0]
    assert "Past goals (2): achieved, completed or cancelled" in past
    assert "Walk to the corner shop and back" in past
    assert '<span class="ff-tag">completed, achieved</span>' in past
    assert f"due {(TODAY - timedelta(days=330)).isoformat()}" in past
    assert '<span class="ff-tag">cancelled, not-achieved</span>' in past
    assert f"last reviewed {(TODAY - timedelta(days=300)).isoformat()}" in past
    assert past.index("Reduce back pain") < past.index("Walk to the corner shop")  # latest first
    assert "Typed in error" not in html


def test_past_goals_sit_under_open_goals_and_never_count_as_open(overview: Render) -> None:
    done = make_goal("g-done", description="Garden for 20 minutes", lifecycle_status="completed")
    ctx = make_context()
    html = overview(dataclasses.replace(ctx, goals=(*ctx.goals, done)))
    assert html.index("Pain below 4") < html.index('<details id="past-goals">')
    assert "Past goals (1)" in html
    assert "/goals/g-done/review" not in html
