"""Plan and review keys: always usable in identifiers, and stable for a resubmitted review."""

from __future__ import annotations

from fhir_mappers.identifiers import check_key
from rehab import GoalReview
from rehab.errors import FieldError
from smartapp.forms import errors_by_field
from smartapp.keys import new_key, review_key, usable_key
from tests.rehab.factories import make_review_dict


def a_review(**changes: object) -> GoalReview:
    review, errors = GoalReview.from_dict(make_review_dict(**changes))
    assert review is not None, errors
    return review


def test_every_new_key_is_one_the_identifiers_accept() -> None:
    # A url-safe token may start with "-" or "_", which identifier keys refuse (1 form in 32).
    keys = {new_key() for _ in range(2000)}
    assert len(keys) == 2000
    for key in keys:
        assert check_key(key) == key
        assert usable_key(key) == key


def test_a_sent_key_is_used_only_when_the_app_could_have_made_it() -> None:
    assert usable_key("a1b2c3d4e5") == "a1b2c3d4e5"
    for bad in ("-abcdefgh", "_abcdefgh", "short", "a/b/c/d/e/f", "x" * 65, None, 12345678):
        assert usable_key(bad) is None


def test_the_same_review_of_the_same_goal_version_gets_the_same_key() -> None:
    first = review_key("goal-1", "3", a_review())
    assert first == review_key("goal-1", "3", a_review())
    assert check_key(first) == first
    assert review_key("goal-1", "4", a_review()) != first
    assert review_key("goal-2", "3", a_review()) != first
    assert review_key("goal-1", "3", a_review(note="Walked twice")) != first


def test_an_idempotency_key_decides_the_review_key_when_given() -> None:
    one = review_key("goal-1", "3", a_review(), idempotency_key="client-key-1")
    assert one == review_key("goal-1", "4", a_review(note="x"), idempotency_key="client-key-1")
    assert one != review_key("goal-1", "3", a_review())


def test_field_errors_read_as_one_sentence_each() -> None:
    shown = errors_by_field(
        [
            FieldError(path="peg.pain", message="Pain must be a whole number from 0 to 10."),
            FieldError(path="goals[0].description", message="is required"),
        ]
    )
    assert shown["peg.pain"] == ("Pain must be a whole number from 0 to 10.",)
    (required,) = shown["goals[0].description"]
    assert required.endswith(" is required.")
    assert not required.startswith("is required")
