"""activities, tasks, notes and customer_interactions rows (each row its own aggregate)."""

from __future__ import annotations

from domain.activities.messages import (
    ActivityCompleted,
    ActivityLogged,
    TaskCompleted,
    TaskCreated,
)
from domain.interactions.messages import InteractionRecorded, NoteAdded
from projectors.projection import Upsert, projects, upsert


@projects(ActivityLogged)
def activity_logged(e: ActivityLogged) -> list[Upsert]:
    """A new activities row."""
    return [upsert("activities", e, {"activity_id": e.aggregate_id}, **e.payload(),
                   follow_up_required=False, created_at=e.occurred_at,
                   updated_at=e.occurred_at)]


@projects(ActivityCompleted)
def activity_completed(e: ActivityCompleted) -> list[Upsert]:
    """Outcome of a planned activity (duration only when reported)."""
    values: dict[str, object] = {
        "activity_status": "completed", "outcome": e.outcome, "outcome_notes": e.outcome_notes,
        "follow_up_required": e.follow_up_required, "follow_up_date": e.follow_up_date,
    }
    if e.duration_minutes is not None:
        values["duration_minutes"] = e.duration_minutes
    return [upsert("activities", e, {"activity_id": e.aggregate_id}, **values,
                   updated_at=e.occurred_at)]


@projects(TaskCreated)
def task_created(e: TaskCreated) -> list[Upsert]:
    """A new tasks row."""
    return [upsert("tasks", e, {"task_id": e.aggregate_id}, **e.payload(),
                   task_status="not_started", created_at=e.occurred_at,
                   updated_at=e.occurred_at)]


@projects(TaskCompleted)
def task_completed(e: TaskCompleted) -> list[Upsert]:
    """Done."""
    return [upsert("tasks", e, {"task_id": e.aggregate_id}, task_status="completed",
                   completed_date=e.completed_date, completion_notes=e.completion_notes,
                   updated_at=e.occurred_at)]


@projects(NoteAdded)
def note_added(e: NoteAdded) -> list[Upsert]:
    """A notes row, text verbatim."""
    return [upsert("notes", e, {"note_id": e.aggregate_id}, **e.payload(),
                   created_at=e.occurred_at, updated_at=e.occurred_at)]


@projects(InteractionRecorded)
def interaction_recorded(e: InteractionRecorded) -> list[Upsert]:
    """A customer_interactions row."""
    return [upsert("customer_interactions", e, {"interaction_id": e.aggregate_id},
                   **e.payload(), created_at=e.occurred_at)]
