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
from rehab.errors import FieldError, RehabDataError, messages_by_path, with_prefix
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
from rehab.rules import (
    Flag,
    confidence_gate,
    follow_up_defaults,
    overview_flags,
    plan_warnings,
    review_warnings,
    smart_check,
)
from rehab.templates import (
    CircleArea,
    GoalTemplate,
    LifeArea,
    goal_from_template,
    life_areas,
    load_library,
    load_templates,
)

__all__ = [
    "PAIN_DOMAIN",
    "AchievementStatus",
    "ActionPlan",
    "ActionStep",
    "CarePlanSummary",
    "CircleArea",
    "Decision",
    "ExpressedBy",
    "FieldError",
    "Flag",
    "FollowUp",
    "Frequency",
    "FunctionalGoal",
    "GasLevels",
    "GoalReview",
    "GoalSummary",
    "GoalTemplate",
    "LifeArea",
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
    "confidence_gate",
    "daily_mme",
    "follow_up_defaults",
    "gas_achieved",
    "gas_answer",
    "goal_from_template",
    "is_opioid_ingredient",
    "life_areas",
    "load_library",
    "load_templates",
    "messages_by_path",
    "overview_flags",
    "peg_change",
    "plan_warnings",
    "review_warnings",
    "smart_check",
    "with_prefix",
]
