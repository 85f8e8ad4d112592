"""Case rules: SLA deadlines and breaches, escalation, assignment, pending/resolve/close."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from pydantic import ValidationError
from scenario import T0, Scenario, of_type, rejection

from domain.cases.messages import (
    AssignCase,
    CaseAssigned,
    CaseClosed,
    CaseCommented,
    CaseCustomerReplied,
    CaseEscalated,
    CaseMarkedPendingCustomer,
    CaseOpened,
    CaseResolved,
    CaseResponded,
    CaseSatisfactionRated,
    CaseSlaClockResumed,
    CaseSlaViolated,
    CloseCase,
    CommentOnCase,
    CustomerRepliedToCase,
    OpenCase,
    RateCaseSatisfaction,
    ResolveCase,
    RespondToCase,
    SetCasePendingCustomer,
)
from domain.kernel.messages import utc
from domain.rules_config import BusinessRules
from domain.sales_org.messages import DefineTerritory, HireSalesRep


def case_scenario(priority: str = "critical", category: str | None = "technical",
                    reps: bool = True) -> Scenario:
    """Account A1, manager M1 over engineer SE1, case C1 opened at T0 (09:00)."""
    w = Scenario().account("A1")
    if reps:
        w.rep("M1", "Manager").rep("SE1", "SE", manager="M1")
    w.at(T0).send(OpenCase, "C1", account_id="A1", subject="Press line stopped",
                  description="Hydraulic fault", priority=priority, case_category=category)
    return w


@pytest.mark.parametrize(("priority", "response_h", "resolution_h"), [
    ("critical", 1, 8), ("high", 4, 24), ("medium", 8, 72), ("low", 24, 120),
])
def test_opening_a_case_sets_its_sla_deadlines_by_priority(
        priority: str, response_h: int, resolution_h: int) -> None:
    w = case_scenario(priority)
    opened = of_type(w.events, CaseOpened)[0]
    assert opened.case_number == "CASE-000001"
    assert (opened.sla_response_hours, opened.sla_resolution_hours) == (response_h, resolution_h)
    assert opened.response_due_date == T0 + timedelta(hours=response_h)
    assert opened.resolution_due_date == T0 + timedelta(hours=resolution_h)


@pytest.mark.parametrize(("category", "team"), [
    ("technical", "Technical Support"), ("billing", "Billing Support"),
    ("quality", "Quality Assurance"), (None, "General Support"),
])
def test_the_team_follows_the_case_category(category: str | None, team: str) -> None:
    assert of_type(case_scenario(category=category).events, CaseOpened)[0].assigned_team == team


def test_cases_go_round_robin_to_support_engineers_only() -> None:
    w = Scenario().account("A1").rep("AE1", "AE").rep("SE2", "SE").rep("SE1", "SE")
    for n in range(3):
        w.send(OpenCase, f"C{n}", account_id="A1", subject="s", description="d")
    # rep_code order is hire order: SE2 was hired before SE1
    assert [e.assigned_to for e in of_type(w.events, CaseOpened)] == ["SE2", "SE1", "SE2"]


def test_support_engineers_of_any_territory_take_cases() -> None:
    w = Scenario().account("A1")
    w.send(DefineTerritory, "T1", territory_code="T1", territory_name="West")
    w.send(HireSalesRep, "AE1", first_name="A", last_name="E", sales_role="AE",
           territory_id="T1")  # hired first: the fallback would pick this AE
    w.send(HireSalesRep, "SE1", first_name="S", last_name="E", sales_role="SE",
           territory_id="T1")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    assert of_type(w.events, CaseOpened)[0].assigned_to == "SE1"


def test_without_support_engineers_a_rep_of_any_territory_takes_the_case() -> None:
    w = Scenario().account("A1")
    w.send(DefineTerritory, "T1", territory_code="T1", territory_name="West")
    w.send(HireSalesRep, "AE1", first_name="A", last_name="E", sales_role="AE",
           territory_id="T1")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    assert of_type(w.events, CaseOpened)[0].assigned_to == "AE1"


def test_without_support_engineers_any_active_rep_takes_the_case() -> None:
    w = Scenario().account("A1").rep("AE1", "AE")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    assert of_type(w.events, CaseOpened)[0].assigned_to == "AE1"


def test_without_any_rep_only_a_team_is_assigned() -> None:
    opened = of_type(case_scenario(reps=False).events, CaseOpened)[0]
    assert opened.assigned_to is None and opened.assigned_team == "Technical Support"


def test_a_case_for_an_unknown_account_is_refused() -> None:
    events = Scenario().send(OpenCase, "C1", account_id="nope", subject="s", description="d")
    assert rejection(events) == "account nope does not exist"


def test_a_response_exactly_at_its_deadline_is_in_time() -> None:
    w = case_scenario("critical")  # response due 10:00
    responded = w.at(utc(2026, 3, 2, 10, 0)).send(RespondToCase, "C1")
    assert of_type(responded, CaseResponded)[0].case_status == "in_progress"
    assert of_type(responded + w.tick(utc(2026, 3, 2, 10, 30)), CaseSlaViolated) == []


def test_an_unanswered_case_is_breached_on_the_first_tick_after_its_deadline() -> None:
    w = case_scenario("critical")
    assert of_type(w.tick(utc(2026, 3, 2, 10, 0)), CaseSlaViolated) == []  # not yet
    events = w.tick(utc(2026, 3, 2, 10, 30))
    violated, escalated = of_type(events, CaseSlaViolated), of_type(events, CaseEscalated)
    assert [v.breach for v in violated] == ["response"]
    assert violated[0].due_date == utc(2026, 3, 2, 10, 0)
    assert escalated[0].escalated_to == "M1"
    assert escalated[0].case_status == "escalated"
    assert escalated[0].escalated_at == utc(2026, 3, 2, 10, 30)


def test_without_an_assignee_manager_the_case_escalates_to_any_manager() -> None:
    w = Scenario().account("A1").rep("SE1", "SE").rep("M9", "Manager")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="critical")
    escalated = of_type(w.tick(T0 + timedelta(hours=2)), CaseEscalated)
    assert escalated[0].escalated_to == "M9"


def test_a_resolution_breach_after_a_response_breach_does_not_escalate_twice() -> None:
    w = case_scenario("critical")
    w.tick(utc(2026, 3, 2, 10, 30))
    w.send(RespondToCase, "C1")
    events = w.tick(utc(2026, 3, 2, 17, 30))
    assert [v.breach for v in of_type(events, CaseSlaViolated)] == ["resolution"]
    assert of_type(events, CaseEscalated) == []


def test_a_late_response_is_recorded_as_a_breach() -> None:
    w = case_scenario("critical")
    events = w.at(utc(2026, 3, 2, 10, 10)).send(RespondToCase, "C1")
    assert [v.breach for v in of_type(events, CaseSlaViolated)] == ["response"]
    assert of_type(w.tick(utc(2026, 3, 2, 10, 30)), CaseSlaViolated) == []


def test_a_late_resolution_is_recorded_as_a_breach_without_escalation() -> None:
    w = case_scenario("critical")
    w.at(T0 + timedelta(minutes=30)).send(RespondToCase, "C1")
    events = w.at(T0 + timedelta(hours=8, minutes=1)).send(ResolveCase, "C1", resolution="ok")
    assert [v.breach for v in of_type(events, CaseSlaViolated)] == ["resolution"]
    assert of_type(events, CaseEscalated) == []


def test_responding_to_a_closed_case_is_refused() -> None:
    w = case_scenario()
    w.send(CloseCase, "C1")
    assert rejection(w.send(RespondToCase, "C1")) == "cannot respond: case CASE-000001 is closed"


def test_responding_twice_is_refused() -> None:
    w = case_scenario()
    w.send(RespondToCase, "C1")
    assert "already had its first response" in (rejection(w.send(RespondToCase, "C1")) or "")


def test_comments_keep_their_text_verbatim_and_are_refused_on_closed_cases() -> None:
    w = case_scenario()
    text = "  Customer said: 'it's broken' -- DROP TABLE cases; 😀\n second line "
    comment = of_type(w.send(CommentOnCase, "C1", comment_text=text, is_public=False),
                      CaseCommented)[0]
    assert comment.comment_text == text and comment.is_public is False
    w.send(CloseCase, "C1")
    assert "closed" in (rejection(w.send(CommentOnCase, "C1", comment_text="late")) or "")


def test_assigning_changes_the_owner_and_keeps_the_team() -> None:
    w = case_scenario()
    assigned = of_type(w.send(AssignCase, "C1", assigned_to="M1"), CaseAssigned)[0]
    assert (assigned.assigned_to, assigned.assigned_team) == ("M1", "Technical Support")
    w.send(AssignCase, "C1", assigned_team="Quality Assurance")
    again = of_type(w.send(AssignCase, "C1", assigned_to="SE1"), CaseAssigned)[0]
    assert (again.assigned_to, again.assigned_team) == ("SE1", "Quality Assurance")


def test_an_escalated_case_stays_escalated_when_it_is_answered() -> None:
    w = case_scenario("critical")
    w.tick(utc(2026, 3, 2, 10, 30))  # response breach, escalated
    assert of_type(w.send(RespondToCase, "C1"), CaseResponded)[0].case_status == "escalated"
    case = w.state.get("case", "C1")
    assert (case.account_id, case.priority, case.status) == ("A1", "critical", "escalated")


def test_a_pending_case_auto_resolves_after_exactly_seven_days_without_reply() -> None:
    w = case_scenario("low")
    pending_at = T0 + timedelta(hours=1)
    events = w.at(pending_at).send(SetCasePendingCustomer, "C1")
    assert of_type(events, CaseResponded)  # asking the customer is the first response
    assert of_type(w.tick(pending_at + timedelta(days=7, minutes=-30)), CaseResolved) == []
    resolved = of_type(w.tick(pending_at + timedelta(days=7)), CaseResolved)
    assert resolved[0].auto_resolved is True
    assert "7 days" in resolved[0].resolution


def test_a_customer_reply_restarts_the_pending_period() -> None:
    w = case_scenario("low")
    w.at(T0 + timedelta(hours=1)).send(SetCasePendingCustomer, "C1")
    replied = w.later(days=2).send(CustomerRepliedToCase, "C1")
    assert of_type(replied, CaseCustomerReplied)[0].case_status == "in_progress"
    second = w.later(days=1).now
    w.send(SetCasePendingCustomer, "C1")
    assert of_type(w.tick(T0 + timedelta(days=7, hours=2)), CaseResolved) == []  # stale timer
    assert of_type(w.tick(second + timedelta(days=7)), CaseResolved)


def test_a_customer_reply_to_a_case_not_waiting_for_them_is_refused() -> None:
    assert "not waiting" in (rejection(case_scenario().send(CustomerRepliedToCase, "C1")) or "")


def test_a_case_whose_clock_ran_out_before_the_wait_is_breached_and_keeps_pending() -> None:
    w = case_scenario("critical")  # resolution due 17:00
    w.at(T0 + timedelta(minutes=10)).send(RespondToCase, "C1")
    pending = w.at(utc(2026, 3, 2, 17, 10)).send(SetCasePendingCustomer, "C1")
    assert of_type(pending, CaseMarkedPendingCustomer)[0].sla_clock_paused is False
    events = w.tick(utc(2026, 3, 2, 17, 30))
    assert [(v.breach, v.due_date) for v in of_type(events, CaseSlaViolated)] == [
        ("resolution", utc(2026, 3, 2, 17, 0))]
    assert of_type(events, CaseEscalated)[0].case_status == "pending_customer"
    resolved = w.tick(utc(2026, 3, 9, 17, 30))  # auto-resolved; the breach stands, once
    assert of_type(resolved, CaseResolved)[0].auto_resolved is True
    assert of_type(resolved, CaseSlaClockResumed) == []
    assert len(of_type(w.events, CaseSlaViolated)) == 1


def test_a_resolved_case_closes_three_days_later() -> None:
    w = case_scenario("low")
    resolved_at = T0 + timedelta(hours=2)
    resolved = w.at(resolved_at).send(ResolveCase, "C1", resolution="Replaced the valve",
                                      root_cause="Worn seal")
    assert of_type(resolved, CaseResolved)[0].root_cause == "Worn seal"
    assert of_type(w.tick(resolved_at + timedelta(days=3, minutes=-1)), CaseClosed) == []
    assert of_type(w.tick(resolved_at + timedelta(days=3)), CaseClosed)


def test_satisfaction_can_be_rated_only_once_resolved() -> None:
    w = case_scenario()
    assert "rate it once resolved" in (
        rejection(w.send(RateCaseSatisfaction, "C1", satisfaction_rating=4)) or "")
    w.send(ResolveCase, "C1", resolution="done")
    rated = of_type(w.send(RateCaseSatisfaction, "C1", satisfaction_rating=5,
                           customer_feedback="Quick!"), CaseSatisfactionRated)[0]
    assert (rated.satisfaction_rating, rated.customer_feedback) == (5, "Quick!")


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_outside_one_to_five_is_refused_by_validation(rating: int) -> None:
    with pytest.raises(ValidationError):
        Scenario().message(RateCaseSatisfaction, "C1", satisfaction_rating=rating)


def test_a_duplicate_input_changes_nothing() -> None:
    w = case_scenario()
    respond = w.message(RespondToCase, "C1")
    w.fold(respond)
    before = copy.deepcopy(w.state.entities), dict(w.state.versions)
    assert w.fold(respond) == []
    assert (w.state.entities, w.state.versions) == before


def test_the_same_log_folded_twice_gives_identical_events() -> None:
    def story() -> list:
        w = case_scenario("high")
        w.later(hours=1).send(CommentOnCase, "C1", comment_text="Looking")
        w.ticks_until(T0 + timedelta(days=2))
        return w.events

    assert story() == story()


@pytest.mark.parametrize(("steps", "command", "fields", "reason"), [
    ((), OpenCase, {"account_id": "A1", "subject": "s", "description": "d"},
     "case C1 already exists"),
    ((), AssignCase, {}, "assign a rep or a team"),
    ((ResolveCase,), AssignCase, {"assigned_to": "M1"},
     "cannot assign: case CASE-000001 is resolved"),
    ((ResolveCase,), ResolveCase, {"resolution": "again"},
     "cannot resolve: case CASE-000001 is resolved"),
    ((SetCasePendingCustomer,), SetCasePendingCustomer, {},
     "case CASE-000001 is already pending the customer"),
    ((ResolveCase,), SetCasePendingCustomer, {},
     "cannot wait for the customer: case CASE-000001 is resolved"),
    ((CloseCase,), CloseCase, {}, "case CASE-000001 is already closed"),
])
def test_refusals_say_why(steps: tuple, command: type, fields: dict, reason: str) -> None:
    w = case_scenario()
    for step in steps:
        w.send(step, "C1", **({"resolution": "done"} if step is ResolveCase else {}))
    assert rejection(w.send(command, "C1", **fields)) == reason


def test_commands_for_an_unknown_case_are_refused() -> None:
    assert rejection(case_scenario().send(CloseCase, "C9")) == "case C9 does not exist"


def test_a_resolution_by_support_is_not_an_auto_resolution() -> None:
    w = case_scenario()
    assert of_type(w.send(ResolveCase, "C1", resolution="done"),
                   CaseResolved)[0].auto_resolved is False


def test_a_case_closed_by_hand_is_not_closed_again_by_its_timer() -> None:
    w = case_scenario("low")
    w.send(ResolveCase, "C1", resolution="done")
    w.later(days=1).send(CloseCase, "C1")
    assert of_type(w.tick(T0 + timedelta(days=4)), CaseClosed) == []


def test_a_closed_case_can_still_be_rated() -> None:
    w = case_scenario()
    w.send(ResolveCase, "C1", resolution="done")
    w.send(CloseCase, "C1")
    assert of_type(w.send(RateCaseSatisfaction, "C1", satisfaction_rating=3),
                   CaseSatisfactionRated)


def test_comment_ids_are_cmt_ids() -> None:
    w = case_scenario()
    comment = of_type(w.send(CommentOnCase, "C1", comment_text="x"), CaseCommented)[0]
    assert comment.comment_id.startswith("CMT-")


def test_a_case_without_category_goes_to_the_other_team_and_unmapped_ones_to_the_default(
) -> None:
    rules = BusinessRules.from_mapping({"cases": {
        "team_by_category": {"other": "General Support"}, "default_team": "Front Desk"}})
    w = Scenario(rules).account("A1")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    w.send(OpenCase, "C2", account_id="A1", subject="s", description="d",
           case_category="billing")
    assert [e.assigned_team for e in of_type(w.events, CaseOpened)] == [
        "General Support", "Front Desk"]
