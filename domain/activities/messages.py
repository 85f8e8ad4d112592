"""Activity and task commands and events (rules in domain.activities.agenda)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import Command, Date, Doc, Event, Opt, Text, Timestamp

ActivityType = Literal["call", "email", "meeting", "demo", "presentation", "site_visit"]
ActivityRelation = Literal["lead", "account", "contact", "opportunity"]
ActivityOutcome = Literal["successful", "follow_up_needed", "no_decision", "lost_interest"]
TaskRelation = Literal["lead", "account", "opportunity", "case"]
TaskType = Literal["follow_up", "send_quote", "schedule_demo", "contract_review"]
TaskPriority = Literal["urgent", "high", "medium", "low"]


class ActivityFields(BaseModel):
    """What a logged activity carries (shared by the command and the event)."""

    activity_type: ActivityType
    related_to_type: ActivityRelation
    related_to_id: str = Text(50, "Id of the lead/account/contact/opportunity")
    lead_id: str | None = Opt(50)
    account_id: str | None = Opt(50)
    contact_id: str | None = Opt(50)
    opportunity_id: str | None = Opt(50)
    subject: str = Text(200)
    description: str | None = Opt(description="Free text, stored verbatim")
    activity_date: Timestamp = Doc("When it takes (or took) place")
    duration_minutes: int = Field(default=30, ge=0, description="Minutes")
    location: str | None = Opt(200)
    activity_status: Literal["planned", "completed"] = "planned"
    priority: Literal["high", "medium", "low"] = "medium"
    attendees: list[str] | None = Opt(description="contact_ids")
    assigned_to: str | None = Opt(50, "Sales rep")
    reminder_enabled: bool = False
    reminder_datetime: Timestamp | None = None
    created_by: str | None = Opt(50)


class LogActivity(Command, ActivityFields):
    """Record a planned or completed call, email, meeting, demo, ... ."""

    AGGREGATE = "activity"


class ActivityLogged(Event, ActivityFields):
    """An activity was recorded."""

    AGGREGATE = "activity"

    activity_number: str = Text(50, "ACT-000001")


class CompleteActivity(Command):
    """Mark a planned activity done, with its outcome."""

    AGGREGATE = "activity"

    outcome: ActivityOutcome | None = None
    outcome_notes: str | None = Opt(description="Free text, stored verbatim")
    duration_minutes: int | None = Field(default=None, ge=0, description="Actual minutes")
    follow_up_required: bool = False
    follow_up_date: Date | None = None


class ActivityCompleted(Event):
    """A planned activity took place."""

    AGGREGATE = "activity"

    outcome: ActivityOutcome | None = None
    outcome_notes: str | None = Opt()
    duration_minutes: int | None = Opt()
    follow_up_required: bool = False
    follow_up_date: Date | None = None
    follow_up_task_id: str | None = Opt(50, "Task created for the follow-up")


class TaskFields(BaseModel):
    """What a task carries (shared by the command and the event)."""

    subject: str = Text(200)
    description: str | None = Opt(description="Free text, stored verbatim")
    related_to_type: TaskRelation | None = None
    related_to_id: str | None = Opt(50)
    task_type: TaskType = "follow_up"
    priority: TaskPriority = "medium"
    due_date: Date = Doc("Due date")
    assigned_to: str | None = Opt(50, "Sales rep")
    reminder_enabled: bool = True
    reminder_date: Date | None = None
    created_by: str | None = Opt(50)


class CreateTask(Command, TaskFields):
    """Ask for a new to-do."""

    AGGREGATE = "task"


class TaskCreated(Event, TaskFields):
    """A task was created (by a person or by a rule such as a renewal alert)."""

    AGGREGATE = "task"

    task_number: str = Text(50, "TSK-000001")


class CompleteTask(Command):
    """Mark a task done."""

    AGGREGATE = "task"

    completion_notes: str | None = Opt(description="Free text, stored verbatim")


class TaskCompleted(Event):
    """A task was done."""

    AGGREGATE = "task"

    completed_date: Date
    completion_notes: str | None = Opt()
