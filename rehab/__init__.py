"""The clinic's vocabulary and rules: goals, steps, reviews, measures. Standard library only."""

from __future__ import annotations

from rehab.context import (
    CarePlanSummary,
    GoalSummary,
    PainCondition,
    PatientContext,
    PatientSummary,
    ReviewRecord,
)
from rehab.errors import FieldError, RehabDataError
from rehab.goal import PAIN_DOMAIN
from rehab.measures import (
    NrsReading,
    PegChange,
    PegItems,
    PegReading,
    PromisKind,
    PromisReading,
    gas_achieved,
    gas_answer,
    peg_change,
)
from rehab.medication import Medication, MmeResult, daily_mme, is_opioid_ingredient
from rehab.plan import (
    ActionPlan,
    ActionStep,
    ExpressedBy,
    FollowUp,
    Frequency,
    FunctionalGoal,
    GasLevels,
    Measure,
    PeriodUnit,
)
from rehab.review import AchievementStatus, Decision, GoalReview

__all__ = [
    "PAIN_DOMAIN",
    "AchievementStatus",
    "ActionPlan",
    "ActionStep",
    "CarePlanSummary",
    "Decision",
    "ExpressedBy",
    "FieldError",
    "FollowUp",
    "Frequency",
    "FunctionalGoal",
    "GasLevels",
    "GoalReview",
    "GoalSummary",
    "Measure",
    "Medication",
    "MmeResult",
    "NrsReading",
    "PainCondition",
    "PatientContext",
    "PatientSummary",
    "PegChange",
    "PegItems",
    "PegReading",
    "PeriodUnit",
    "PromisKind",
    "PromisReading",
    "RehabDataError",
    "ReviewRecord",
    "daily_mme",
    "gas_achieved",
    "gas_answer",
    "is_opioid_ingredient",
    "peg_change",
]
