"""Activities and tasks: the sales team's calls, meetings and to-dos.

Each row is its own aggregate ("activity", "task"); notes and customer interactions
live in `domain.interactions.journal`. `create_task` is the entry point other areas use
(contract renewals, follow-ups)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import ValidationError

from domain.activities.messages import (
    ActivityCompleted,
    ActivityLogged,
    CompleteActivity,
    CompleteTask,
    CreateTask,
    LogActivity,
    TaskCompleted,
    TaskCreated,
)
from domain.contacts.touches import touch
from domain.kernel.context import Context, Rejected, require
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles


@dataclass(frozen=True)
class Activity:
    """What the rules need to know about an activity."""

    activity_id: str
    related_to_type: str
    related_to_id: str
    account_id: str | None
    assigned_to: str | None
    status: str
    contacts: tuple[str, ...] = ()  # contact, then attendees: completing it touches them


@dataclass(frozen=True)
class Task:
    """What the rules need to know about a task."""

    task_id: str
    status: str
    due_date: date


def create_task(
    ctx: Context, task_id: str, *, subject: str, due_date: date, related_to_type: str,
    related_to_id: str, task_type: str = "follow_up", priority: str = "medium",
    assigned_to: str | None = None, description: str | None = None,
) -> None:
    """Emit TaskCreated (TSK-000001 numbers, reminder the day before it is due).

    Raises `Rejected` when the id is taken or a value is outside the tasks table's enums.
    """
    if ctx.get("task", task_id) is not None:
        raise Rejected(f"task {task_id} already exists")
    try:
        ctx.emit(TaskCreated, task_id, task_number=ctx.next_number("TSK"), subject=subject[:200],
                 description=description, related_to_type=related_to_type,
                 related_to_id=related_to_id, task_type=task_type, priority=priority,
                 due_date=due_date, assigned_to=assigned_to, reminder_enabled=True,
                 reminder_date=due_date - timedelta(days=1), created_by="system")
    except ValidationError as error:
        raise Rejected(f"task {task_id}: {error.errors()[0]['msg']}") from None


@handles(LogActivity)
def log_activity(ctx: Context, cmd: LogActivity) -> None:
    """Record an activity; the typed FK column of its relation is filled from related_to."""
    if ctx.get("activity", cmd.aggregate_id) is not None:
        raise Rejected(f"activity {cmd.aggregate_id} already exists")
    fields = cmd.payload()
    column = f"{cmd.related_to_type}_id"
    fields[column] = fields[column] or cmd.related_to_id
    logged = ctx.emit(ActivityLogged, cmd.aggregate_id, activity_number=ctx.next_number("ACT"),
                      **fields)
    if cmd.activity_status == "completed":  # logged after the fact: it took place then
        touch(ctx, _contacts(logged), cmd.activity_date, source_type="activity",
              source_id=cmd.aggregate_id)


@handles(CompleteActivity)
def complete_activity(ctx: Context, cmd: CompleteActivity) -> None:
    """Complete a planned activity; a follow-up date creates a follow-up task."""
    activity: Activity = require(ctx, "activity", cmd.aggregate_id)
    if activity.status != "planned":
        raise Rejected(f"activity {cmd.aggregate_id} is {activity.status}, not planned")
    # Tasks relate to leads, accounts, opportunities (not contacts): fall back to the account.
    kind, target = activity.related_to_type, activity.related_to_id
    if kind == "contact":
        kind, target = "account", activity.account_id
    due = cmd.follow_up_date if cmd.follow_up_required else None
    task_id = ctx.new_id("TSK", "follow-up") if due is not None and target else None
    ctx.emit(ActivityCompleted, cmd.aggregate_id, **cmd.payload(), follow_up_task_id=task_id)
    touch(ctx, activity.contacts, ctx.now, source_type="activity", source_id=cmd.aggregate_id)
    if task_id is not None and due is not None and target:
        create_task(ctx, task_id, subject=f"Follow up: {cmd.aggregate_id}", due_date=due,
                    related_to_type=kind, related_to_id=target, assigned_to=activity.assigned_to)


@handles(CreateTask)
def create_task_command(ctx: Context, cmd: CreateTask) -> None:
    """Create a task asked for by a person."""
    if ctx.get("task", cmd.aggregate_id) is not None:
        raise Rejected(f"task {cmd.aggregate_id} already exists")
    fields = cmd.payload()
    if fields["reminder_date"] is None and cmd.reminder_enabled:
        fields["reminder_date"] = cmd.due_date - timedelta(days=1)
    ctx.emit(TaskCreated, cmd.aggregate_id, task_number=ctx.next_number("TSK"), **fields)


@handles(CompleteTask)
def complete_task(ctx: Context, cmd: CompleteTask) -> None:
    """Complete an open task; a completed one is refused."""
    task: Task = require(ctx, "task", cmd.aggregate_id)
    if task.status in ("completed", "cancelled"):
        raise Rejected(f"task {cmd.aggregate_id} is already {task.status}")
    ctx.emit(TaskCompleted, cmd.aggregate_id, completed_date=ctx.now.date(),
             completion_notes=cmd.completion_notes)


@evolves(ActivityLogged)
def _activity_logged(_: Activity | None, e: ActivityLogged) -> Activity:
    return Activity(e.aggregate_id, e.related_to_type, e.related_to_id, e.account_id,
                    e.assigned_to, e.activity_status, _contacts(e))


def _contacts(e: ActivityLogged) -> tuple[str, ...]:
    """The contacts an activity names: its contact, then the attendees (no repeats)."""
    named = [e.contact_id, *(e.attendees or [])]
    return tuple(dict.fromkeys(c for c in named if c))


@evolves(ActivityCompleted)
def _activity_completed(activity: Activity, _: ActivityCompleted) -> Activity:
    return updated(activity, status="completed")


@evolves(TaskCreated)
def _task_created(_: Task | None, e: TaskCreated) -> Task:
    return Task(e.aggregate_id, "not_started", e.due_date)


@evolves(TaskCompleted)
def _task_completed(task: Task, _: TaskCompleted) -> Task:
    return updated(task, status="completed")
