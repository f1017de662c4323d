"""Write-back: land a plan or a review in the EHR exactly once, with the planned strategy."""

from __future__ import annotations

from smartapp.writeback.result import Failed, SaveResult, WriteEvent, WriteHook, Written
from smartapp.writeback.review import Change, Conflict, ReviewResult, read_goal, save_review
from smartapp.writeback.review_plan import ReviewWrites
from smartapp.writeback.save import save_plan

__all__ = [
    "Change",
    "Conflict",
    "Failed",
    "ReviewResult",
    "ReviewWrites",
    "SaveResult",
    "WriteEvent",
    "WriteHook",
    "Written",
    "read_goal",
    "save_plan",
    "save_review",
]
