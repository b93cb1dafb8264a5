"""The treatment calendar: planned and actual cycles, protocol windows and their compliance.

Pure: no I/O and no clock; the reference date ("today") is always a parameter.

    calendar = build_calendar(protocol, course)      # validates, raises ScheduleError
    checks = check_compliance(calendar, on=date)     # status of every window of the arm
    todo = due_or_overdue(calendar, on=date)         # what to act on
"""

from cairo6.schedule.compliance import (
    ActionItem,
    Status,
    WindowCheck,
    check_compliance,
    check_window,
    due_or_overdue,
)
from cairo6.schedule.course import Course, CycleGiven, EarlyStop, Procedure, Switch, Treatment
from cairo6.schedule.cycles import PlannedCycle
from cairo6.schedule.events import EventDate
from cairo6.schedule.plan import Calendar, build_calendar
from cairo6.schedule.sequence import Slot, assessment_cycle, cycle_slots, switch_share
from cairo6.schedule.validate import validate_course
from cairo6.schedule.windows import EventRange, Need, WindowPlan

__all__ = [
    "ActionItem",
    "Calendar",
    "Course",
    "CycleGiven",
    "EarlyStop",
    "EventDate",
    "EventRange",
    "Need",
    "PlannedCycle",
    "Procedure",
    "Slot",
    "Status",
    "Switch",
    "Treatment",
    "WindowCheck",
    "WindowPlan",
    "assessment_cycle",
    "build_calendar",
    "check_compliance",
    "check_window",
    "cycle_slots",
    "due_or_overdue",
    "switch_share",
    "validate_course",
]
