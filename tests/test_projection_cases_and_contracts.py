"""Projections against a real PostgreSQL: cases, case_comments, contracts,
activities, tasks, notes, customer_interactions and the health columns of accounts.

Each test builds events with the domain (a `Scenario`), projects them, checks the
rows, then applies the same events again (redelivery) and expects identical rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from scenario import T0, Scenario

from domain.accounts.messages import AccountHealthScored, OpenAccount
from domain.activities.messages import CompleteActivity, CompleteTask, CreateTask, LogActivity
from domain.cases.messages import (
    CommentOnCase,
    OpenCase,
    RateCaseSatisfaction,
    ResolveCase,
    RespondToCase,
    SetCasePendingCustomer,
)
from domain.contracts.lifecycle import midnight
from domain.contracts.messages import DraftContract, SignContract, TerminateContract
from domain.interactions.messages import AddNote, RecordInteraction
from domain.kernel.messages import Event, utc
from projectors.writer import apply_events

pytestmark = pytest.mark.integration
AGGREGATES = {"case", "contract", "activity", "task", "note", "interaction"}


@pytest.fixture
def conn(engine: sa.Engine) -> Iterator[Any]:
    """A psycopg2 connection to a migrated, empty read model (conftest's `engine`)."""
    raw = engine.raw_connection()
    try:
        yield raw
    finally:
        raw.close()


def ours(events: list[Event]) -> list[Event]:
    """Only the events of AGGREGATES (the other projections have tests of their own)."""
    return [e for e in events if e.aggregate_type in AGGREGATES]


def project(conn: Any, events: list[Event]) -> None:
    apply_events(conn.driver_connection, events)
    conn.commit()


def rows(conn: Any, table: str, key: str) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(f'SELECT * FROM "{table}" ORDER BY "{key}"')
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def assert_redelivery_changes_nothing(conn: Any, events: list[Event],
                                      tables: dict[str, str]) -> None:
    before = {t: rows(conn, t, k) for t, k in tables.items()}
    project(conn, events)
    for event in events:  # one by one, as separate batches
        project(conn, [event])
    assert {t: rows(conn, t, k) for t, k in tables.items()} == before


def naive(when: Any) -> Any:
    return when.replace(tzinfo=None)


def test_cases_and_comments_follow_the_case_lifecycle(conn: Any) -> None:
    w = Scenario().account("A1").rep("M1", "Manager").rep("SE1", "SE", manager="M1")
    w.send(OpenCase, "C1", account_id="A1", subject="Press down", description="It's\nbroken",
           priority="critical", case_category="technical", case_type="problem")
    w.send(CommentOnCase, "C1", comment_text="  verbatim 'text'  ", is_public=False)
    w.tick(T0 + timedelta(hours=1, minutes=30))  # response breach, escalation
    w.send(RespondToCase, "C1")
    w.send(ResolveCase, "C1", resolution="Valve replaced", root_cause="Seal")
    w.send(RateCaseSatisfaction, "C1", satisfaction_rating=4, customer_feedback="ok")
    w.send(OpenCase, "C2", account_id="A1", subject="Invoice", description="Wrong total",
           priority="low", case_category="billing")
    w.send(SetCasePendingCustomer, "C2")
    w.tick(T0 + timedelta(days=10))  # C1 closes, C2 auto-resolves
    events = ours(w.events)
    project(conn, events)

    c1, c2 = rows(conn, "cases", "case_id")
    assert (c1["case_number"], c1["case_status"], c1["priority"]) == ("CASE-000001", "closed",
                                                                      "critical")
    assert c1["description"] == "It's\nbroken"
    assert (c1["sla_response_hours"], c1["sla_resolution_hours"]) == (1, 8)
    assert c1["response_due_date"] == naive(T0 + timedelta(hours=1))
    assert (c1["sla_violated"], c1["escalated"], c1["escalated_to"]) == (True, True, "M1")
    assert (c1["assigned_to"], c1["assigned_team"]) == ("SE1", "Technical Support")
    assert (c1["resolution"], c1["root_cause"]) == ("Valve replaced", "Seal")
    assert (c1["satisfaction_rating"], c1["customer_feedback"]) == (4, "ok")
    assert c1["created_at"] == naive(T0) and c1["closed_date"] is not None
    assert c2["case_status"] == "resolved" and "7 days" in c2["resolution"]
    # C2 waited from 10:30 on day 0 until the auto-resolve tick on day 10: its 120 h
    # resolution clock was stopped all that time, so the deadline moved and no breach.
    assert c2["sla_violated"] is False and c2["escalated"] is False
    assert c2["resolution_due_date"] == naive(T0 + timedelta(days=10, hours=120))
    assert c2["resolved_date"] <= c2["resolution_due_date"]
    assert c2["assigned_team"] == "Billing Support"
    [comment] = rows(conn, "case_comments", "comment_id")
    assert (comment["case_id"], comment["comment_text"], comment["is_public"]) == (
        "C1", "  verbatim 'text'  ", False)
    assert_redelivery_changes_nothing(conn, events, {"cases": "case_id",
                                                     "case_comments": "comment_id"})


def test_contracts_are_drafted_signed_renewed_and_terminated(conn: Any) -> None:
    w = Scenario(start=utc(2026, 3, 10, 9)).account("A1")
    terms = {"account_id": "A1", "contract_type": "service", "contract_start_date":
             date(2026, 4, 1), "contract_term_months": 12, "contract_value":
             Decimal("2400000.00"), "billing_frequency": "quarterly", "contract_owner": "AM1"}
    w.send(DraftContract, "K1", contract_name="Service", auto_renewal=True, **terms)
    w.send(SignContract, "K1")
    w.send(DraftContract, "K2", contract_name="Spare parts",
           early_termination_penalty=Decimal("1000.00"), **terms)
    w.send(SignContract, "K2")
    w.tick(midnight(date(2026, 4, 1)))
    w.send(TerminateContract, "K2", reason="Budget cut")
    w.tick(midnight(date(2027, 4, 1)))
    events = ours(w.events)
    project(conn, events)

    k1, k2, renewal = rows(conn, "contracts", "contract_number")
    assert (k1["contract_id"], k1["contract_status"], k1["signed_date"]) == (
        "K1", "expired", date(2026, 3, 10))
    assert (k1["contract_end_date"], k1["renewal_date"]) == (date(2027, 3, 31),
                                                              date(2027, 1, 30))
    assert (k1["renewal_notice_days"], k1["renewal_term_months"]) == (60, 12)
    assert k1["contract_value"] == Decimal("2400000.00") and k1["auto_renewal"] is True
    assert (k2["contract_status"], k2["early_termination_penalty"]) == ("terminated",
                                                                       Decimal("1000.00"))
    assert (renewal["parent_contract_id"], renewal["contract_status"]) == ("K1", "active")
    assert (renewal["contract_start_date"], renewal["contract_end_date"]) == (
        date(2027, 4, 1), date(2028, 3, 31))
    assert_redelivery_changes_nothing(conn, events, {"contracts": "contract_id"})


def test_activities_tasks_notes_and_interactions_become_rows(conn: Any) -> None:
    w = Scenario().account("A1")
    w.send(LogActivity, "ACT1", activity_type="meeting", related_to_type="opportunity",
           related_to_id="O1", subject="Demo", activity_date=T0, attendees=["CT1", "CT2"])
    w.send(CompleteActivity, "ACT1", outcome="successful", outcome_notes="Liked it",
           follow_up_required=True, follow_up_date=date(2026, 3, 9))
    w.send(CreateTask, "T1", subject="Send quote", due_date=date(2026, 3, 6),
           related_to_type="opportunity", related_to_id="O1", task_type="send_quote")
    w.send(CompleteTask, "T1", completion_notes="Sent")
    w.send(AddNote, "N1", related_to_type="account", related_to_id="A1", title="Budget",
           note_text="Budget approved\nfor Q3")
    w.send(RecordInteraction, "I1", account_id="A1", interaction_type="call",
           direction="outbound", duration_minutes=12, sentiment="positive")
    events = ours(w.events)
    project(conn, events)

    [activity] = rows(conn, "activities", "activity_id")
    assert (activity["activity_number"], activity["activity_status"]) == ("ACT-000001",
                                                                          "completed")
    assert (activity["opportunity_id"], activity["attendees"]) == ("O1", '["CT1", "CT2"]')
    assert (activity["outcome"], activity["follow_up_required"], activity["duration_minutes"]
            ) == ("successful", True, 30)
    follow_up, quote_task = rows(conn, "tasks", "task_number")
    assert (follow_up["task_type"], follow_up["due_date"]) == ("follow_up", date(2026, 3, 9))
    assert (quote_task["task_status"], quote_task["completion_notes"]) == ("completed", "Sent")
    assert quote_task["reminder_date"] == date(2026, 3, 5)
    [note] = rows(conn, "notes", "note_id")
    assert note["note_text"] == "Budget approved\nfor Q3"
    [interaction] = rows(conn, "customer_interactions", "interaction_id")
    assert (interaction["sentiment"], interaction["interaction_date"]) == ("positive", naive(T0))
    assert_redelivery_changes_nothing(conn, events, {
        "activities": "activity_id", "tasks": "task_id", "notes": "note_id",
        "customer_interactions": "interaction_id"})


def test_health_events_update_only_the_health_columns_of_the_account_row(conn: Any) -> None:
    with conn.cursor() as cur:  # the row AccountCreated wrote (version 1)
        cur.execute("INSERT INTO accounts (account_id, account_number, account_name, "
                    "relationship_status, aggregate_version) "
                    "VALUES ('A1', 'ACC-000001', 'Acme', 'active', 1)")
    conn.commit()
    w = Scenario()  # a customer: prospects have no customer health (docs/rules.md)
    w.send(OpenAccount, "A1", account_name="Acme", account_type="customer")
    for n in range(7):
        w.send(RecordInteraction, f"I{n}", account_id="A1", interaction_type="call",
               sentiment="negative")
    w.tick(T0 + timedelta(minutes=30))
    events = [e for e in w.events if isinstance(e, AccountHealthScored)]
    assert len(events) == 1 and events[0].aggregate_version > 1
    project(conn, events)
    [account] = rows(conn, "accounts", "account_id")
    assert (account["health_score"], account["churn_risk"], account["relationship_status"]
            ) == (35, "high", "at_risk")
    assert (account["account_name"], account["account_number"]) == ("Acme", "ACC-000001")
    assert_redelivery_changes_nothing(conn, events, {"accounts": "account_id"})
