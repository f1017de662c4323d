"""A follow-up review of one goal: GAS score, achievement status, PEG repeated, the decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rehab.errors import FieldError
from rehab.jsonread import MISSING, Reader, read_payload
from rehab.measures import PegItems

REVIEW_FIELDS = (
    "gas_score",
    "achievement_status",
    "peg",
    "note",
    "decision",
    "what_helped",
    "what_got_in_the_way",
)


class AchievementStatus(Enum):
    """FHIR goal-achievement codes (http://terminology.hl7.org/CodeSystem/goal-achievement)."""

    IN_PROGRESS = "in-progress"
    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CHANGE = "no-change"
    ACHIEVED = "achieved"
    SUSTAINING = "sustaining"
    NOT_ACHIEVED = "not-achieved"
    NO_PROGRESS = "no-progress"
    NOT_ATTAINABLE = "not-attainable"


class Decision(Enum):
    """What happens next: keep the goal, revise it (a smaller step), or complete it."""

    CONTINUE = "continue"
    REVISE = "revise"
    COMPLETE = "complete"


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalReview:
    """The clinician's and patient's review of a goal at follow-up."""

    gas_score: int | None
    achievement_status: AchievementStatus
    peg: PegItems | None
    note: str | None
    decision: Decision
    what_helped: str | None = None
    what_got_in_the_way: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> tuple[GoalReview | None, list[FieldError]]:
        """The review and no errors, or None and every field error; never raises on user input."""
        return read_payload(data, _parse_review)

    def to_dict(self) -> dict[str, object]:
        """The review as the API's JSON; from_dict reads it back unchanged."""
        return {
            "gas_score": self.gas_score,
            "achievement_status": self.achievement_status.value,
            "peg": None if self.peg is None else self.peg.to_dict(),
            "note": self.note,
            "decision": self.decision.value,
            "what_helped": self.what_helped,
            "what_got_in_the_way": self.what_got_in_the_way,
        }


# The PEG items in the words of the PEG scale (Krebs 2009), each scored 0-10.
PEG_INVALID = {
    "pain": "Pain must be a whole number from 0 to 10.",
    "enjoyment": "Interference with enjoyment of life must be a whole number from 0 to 10.",
    "activity": "Interference with general activity must be a whole number from 0 to 10.",
}


def parse_peg(data: object, path: str, errors: list[FieldError]) -> PegItems | None:
    """PEG items from JSON, each a whole number 0-10."""
    read = Reader.of(data, path, errors, ("pain", "enjoyment", "activity"))
    if read is None:
        return None
    pain = read.integer("pain", low=0, high=10, invalid=PEG_INVALID["pain"])
    enjoyment = read.integer("enjoyment", low=0, high=10, invalid=PEG_INVALID["enjoyment"])
    activity = read.integer("activity", low=0, high=10, invalid=PEG_INVALID["activity"])
    if pain is None or enjoyment is None or activity is None:
        return None
    return PegItems(pain=pain, enjoyment=enjoyment, activity=activity)


def _parse_review(data: object, errors: list[FieldError]) -> GoalReview | None:
    read = Reader.of(data, "", errors, REVIEW_FIELDS)
    if read is None:
        return None
    gas_score = read.integer("gas_score", low=-2, high=2, required=False)
    status = read.choice("achievement_status", AchievementStatus)
    raw_peg = read.raw("peg")
    peg = None if raw_peg is MISSING else parse_peg(raw_peg, "peg", errors)
    note = read.text("note", required=False, max_len=2000)
    decision = read.choice("decision", Decision)
    helped = read.text("what_helped", required=False, max_len=1000)
    hindered = read.text("what_got_in_the_way", required=False, max_len=1000)
    if errors or status is None or decision is None:
        return None
    return GoalReview(
        gas_score=gas_score,
        achievement_status=status,
        peg=peg,
        note=note,
        decision=decision,
        what_helped=helped,
        what_got_in_the_way=hindered,
    )
