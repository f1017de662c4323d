"""Field errors: re-rooting under a larger payload and grouping by field."""

from __future__ import annotations

from rehab.errors import FieldError, messages_by_path, with_prefix
from rehab.review import GoalReview


def test_errors_of_a_nested_payload_are_re_rooted_under_its_place() -> None:
    _, errors = GoalReview.from_dict({"decision": "continue", "peg": {"pain": 12}})

    nested = with_prefix(errors, "reviews[2]")

    assert [e.path for e in nested] == [
        "reviews[2].achievement_status",
        "reviews[2].peg.pain",
        "reviews[2].peg.enjoyment",
        "reviews[2].peg.activity",
    ]


def test_a_root_error_takes_the_prefix_itself_and_list_paths_join_without_a_dot() -> None:
    errors = [FieldError(path="", message="must be an object"), FieldError(path="[0]", message="x")]

    assert [e.path for e in with_prefix(errors, "review")] == ["review", "review[0]"]
    assert with_prefix(errors, "") == errors


def test_messages_are_grouped_by_path_in_order() -> None:
    errors = [
        FieldError(path="confidence", message="a"),
        FieldError(path="goals[0].key", message="b"),
        FieldError(path="confidence", message="c"),
    ]

    assert messages_by_path(errors) == {"confidence": ("a", "c"), "goals[0].key": ("b",)}
