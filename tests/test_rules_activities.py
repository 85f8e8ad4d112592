"""Activities, tasks, notes and customer interactions."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from scenario import T0, Scenario, of_type, rejection

from domain.activities.agenda import Activity, Task, create_task
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
from domain.cases.messages import OpenCase
from domain.interactions.messages import AddNote, InteractionRecorded, NoteAdded, RecordInteraction
from domain.kernel.context import Rejected, derive_id


def log_call(w: Scenario, activity_id: str = "ACT1", **changes: object) -> list:
    fields = {"activity_type": "call", "related_to_type": "contact", "related_to_id": "CT1",
              "account_id": "A1", "subject": "Intro call", "activity_date": T0,
              "assigned_to": "AE1", **changes}
    return w.send(LogActivity, activity_id, **fields)


def test_logging_activities_numbers_them_and_fills_the_related_id_column() -> None:
    w = Scenario()
    first = of_type(log_call(w), ActivityLogged)[0]
    second = of_type(log_call(w, "ACT2", related_to_type="lead", related_to_id="L7"),
                     ActivityLogged)[0]
    assert (first.activity_number, second.activity_number) == ("ACT-000001", "ACT-000002")
    assert (first.contact_id, first.activity_status, first.duration_minutes) == ("CT1",
                                                                                  "planned", 30)
    assert second.lead_id == "L7"


def test_completing_a_planned_activity_records_its_outcome_once() -> None:
    w = Scenario()
    log_call(w)
    done = of_type(w.send(CompleteActivity, "ACT1", outcome="successful", duration_minutes=45),
                   ActivityCompleted)[0]
    assert (done.outcome, done.duration_minutes, done.follow_up_task_id) == ("successful", 45,
                                                                              None)
    assert "is completed, not planned" in (rejection(w.send(CompleteActivity, "ACT1")) or "")


def test_a_follow_up_date_creates_a_follow_up_task_for_the_account_of_a_contact() -> None:
    w = Scenario()
    log_call(w)
    events = w.send(CompleteActivity, "ACT1", outcome="follow_up_needed",
                    follow_up_required=True, follow_up_date=date(2026, 3, 9))
    done, task = of_type(events, ActivityCompleted)[0], of_type(events, TaskCreated)[0]
    assert task.aggregate_id == done.follow_up_task_id
    assert (task.related_to_type, task.related_to_id, task.assigned_to) == ("account", "A1",
                                                                            "AE1")
    assert (task.due_date, task.task_type) == (date(2026, 3, 9), "follow_up")


def test_completing_an_unknown_activity_is_refused() -> None:
    assert rejection(Scenario().send(CompleteActivity, "X")) == "activity X does not exist"


def test_create_task_numbers_tasks_and_reminds_the_day_before() -> None:
    w = Scenario()
    events = w.run(lambda ctx: create_task(ctx, "T1", subject="Send quote", due_date=date(2026,
                   3, 10), related_to_type="opportunity", related_to_id="O1",
                   task_type="send_quote", priority="high", assigned_to="AE1"))
    task = of_type(events, TaskCreated)[0]
    assert (task.task_number, task.reminder_date, task.task_type) == ("TSK-000001",
                                                                      date(2026, 3, 9),
                                                                      "send_quote")


@pytest.mark.parametrize("bad", [{"task_type": "juggling"}, {"related_to_type": "contract"}])
def test_create_task_refuses_values_outside_the_tasks_enums(bad: dict) -> None:
    w = Scenario()
    fields = {"subject": "s", "due_date": date(2026, 3, 10), "related_to_type": "account",
              "related_to_id": "A1", **bad}
    with pytest.raises(Rejected):
        w.run(lambda ctx: create_task(ctx, "T1", **fields))


def test_tasks_from_commands_complete_once() -> None:
    w = Scenario()
    created = of_type(w.send(CreateTask, "T1", subject="Call back", due_date=date(2026, 3, 5)),
                      TaskCreated)[0]
    assert created.reminder_date == date(2026, 3, 4)
    done = of_type(w.later(days=1).send(CompleteTask, "T1", completion_notes="Done"),
                   TaskCompleted)[0]
    assert done.completed_date == (T0 + timedelta(days=1)).date()
    assert "already completed" in (rejection(w.send(CompleteTask, "T1")) or "")
    assert "already exists" in (rejection(w.send(CreateTask, "T1", subject="again",
                                                 due_date=date(2026, 3, 5))) or "")


def test_notes_keep_their_text_verbatim() -> None:
    text = "Line 1\n\t'quoted' \"double\" ; -- not SQL  "
    note = of_type(Scenario().send(AddNote, "N1", related_to_type="case", related_to_id="C1",
                                note_text=text, is_private=True), NoteAdded)[0]
    assert note.note_text == text and note.is_private


def test_an_interaction_about_a_case_inherits_the_case_account_and_defaults_its_date() -> None:
    w = Scenario().account("A1")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    recorded = of_type(w.send(RecordInteraction, "I1", case_id="C1", interaction_type="chat",
                              direction="inbound", sentiment="negative"),
                       InteractionRecorded)[0]
    assert (recorded.account_id, recorded.interaction_date) == ("A1", T0)


def test_an_interaction_with_an_unknown_sentiment_is_refused_by_validation() -> None:
    with pytest.raises(ValidationError):
        Scenario().message(RecordInteraction, "I1", interaction_type="call", sentiment="angry")


def test_a_duplicate_interaction_input_changes_nothing() -> None:
    w = Scenario()
    message = w.message(RecordInteraction, "I1", account_id="A1", interaction_type="email",
                        sentiment="positive")
    w.fold(message)
    before = copy.deepcopy(w.state.entities), copy.deepcopy(w.state.views)
    assert w.fold(message) == []
    assert (w.state.entities, w.state.views) == before


def test_no_follow_up_task_when_a_contact_activity_has_no_account() -> None:
    w = Scenario()
    log_call(w, account_id=None)
    events = w.send(CompleteActivity, "ACT1", follow_up_required=True,
                    follow_up_date=date(2026, 3, 9))
    assert of_type(events, ActivityCompleted)[0].follow_up_task_id is None
    assert of_type(events, TaskCreated) == []


# -- pinned by mutation testing (docs/testing.md): each test kills mutants that survived ----


def test_a_second_activity_with_a_taken_id_is_refused_by_id() -> None:
    w = Scenario()
    log_call(w)
    assert rejection(log_call(w)) == "activity ACT1 already exists"
    assert of_type(log_call(w, "ACT2"), ActivityLogged)[0].activity_number == "ACT-000002"


def test_the_activity_record_keeps_its_id_relation_account_owner_and_status() -> None:
    w = Scenario()
    log_call(w, "ACT9", related_to_type="lead", related_to_id="L7", activity_status="completed")
    assert w.state.get("activity", "ACT9") == Activity("ACT9", "lead", "L7", "A1", "AE1",
                                                       "completed")
    w.send(CompleteActivity, "ACT9")  # not planned: refused, the record is unchanged
    assert w.state.get("activity", "ACT9").status == "completed"


def test_a_follow_up_task_of_a_lead_activity_relates_to_the_lead_with_a_derived_id() -> None:
    w = Scenario()
    log_call(w, related_to_type="lead", related_to_id="L7")
    events = w.send(CompleteActivity, "ACT1", follow_up_required=True,
                    follow_up_date=date(2026, 3, 9))
    task = of_type(events, TaskCreated)[0]
    # The id comes from the completing input (in-2), so a replay creates the same task.
    assert task.aggregate_id == "TSK-" + derive_id("in-2", "", "TSK", "follow-up")[:18]
    assert (task.related_to_type, task.related_to_id, task.subject) == ("lead", "L7",
                                                                        "Follow up: ACT1")
    assert w.state.get("activity", "ACT1").status == "completed"


def test_a_follow_up_date_without_follow_up_required_creates_no_task() -> None:
    w = Scenario()
    log_call(w)
    events = w.send(CompleteActivity, "ACT1", follow_up_date=date(2026, 3, 9))
    assert of_type(events, ActivityCompleted)[0].follow_up_task_id is None
    assert of_type(events, TaskCreated) == []


def test_create_task_keeps_every_given_value_and_marks_it_created_by_the_system() -> None:
    w = Scenario()
    events = w.run(lambda ctx: create_task(ctx, "T1", subject="x" * 250,
                                           due_date=date(2026, 3, 10),
                                           related_to_type="opportunity", related_to_id="O1",
                                           priority="high", assigned_to="AE1",
                                           description="Renewal in 60 days"))
    task = of_type(events, TaskCreated)[0]
    assert (len(task.subject), task.description, task.priority, task.assigned_to) == (
        200, "Renewal in 60 days", "high", "AE1")
    assert (task.created_by, task.reminder_enabled, task.related_to_id) == ("system", True, "O1")
    assert w.state.get("task", "T1") == Task("T1", "not_started", date(2026, 3, 10))


def test_create_task_refuses_a_taken_id_and_says_why_a_value_is_refused() -> None:
    w = Scenario()
    fields = {"subject": "s", "due_date": date(2026, 3, 10), "related_to_type": "account",
              "related_to_id": "A1"}
    w.run(lambda ctx: create_task(ctx, "T1", **fields))
    with pytest.raises(Rejected) as taken:
        w.run(lambda ctx: create_task(ctx, "T1", **fields))
    assert taken.value.reason == "task T1 already exists"
    with pytest.raises(Rejected) as bad:
        w.run(lambda ctx: create_task(ctx, "T2", **{**fields, "priority": "someday"}))
    assert bad.value.reason.startswith("task T2: Input should be ")


def test_a_task_command_keeps_its_own_reminder_date_and_numbers_the_task() -> None:
    w = Scenario()
    kept = of_type(w.send(CreateTask, "T1", subject="Call back", due_date=date(2026, 3, 5),
                          reminder_date=date(2026, 3, 1)), TaskCreated)[0]
    none = of_type(w.send(CreateTask, "T2", subject="Someday", due_date=date(2026, 3, 5),
                          reminder_enabled=False), TaskCreated)[0]
    assert (kept.task_number, kept.reminder_date) == ("TSK-000001", date(2026, 3, 1))
    assert (none.task_number, none.reminder_date) == ("TSK-000002", None)


def test_completing_a_task_keeps_its_notes_and_refuses_unknown_or_cancelled_tasks() -> None:
    w = Scenario()
    w.send(CreateTask, "T1", subject="Call back", due_date=date(2026, 3, 5))
    done = of_type(w.send(CompleteTask, "T1", completion_notes="Left a voicemail"),
                   TaskCompleted)[0]
    assert done.completion_notes == "Left a voicemail"
    assert w.state.get("task", "T1").status == "completed"
    assert rejection(w.send(CompleteTask, "T404")) == "task T404 does not exist"
    # No command cancels a task yet; the guard must hold when one does.
    w.state.store("task")["T2"] = Task("T2", "cancelled", date(2026, 3, 5))
    assert rejection(w.send(CompleteTask, "T2")) == "task T2 is already cancelled"
