"""Case SLA entitlements: the resolution clock stopped while pending the customer, the
moved deadlines, stale timers, one breach per type, and the deadline boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scenario import T0, Scenario, of_type

from domain.cases.messages import (
    AssignCase,
    CaseEscalated,
    CaseMarkedPendingCustomer,
    CaseResolved,
    CaseSlaClockResumed,
    CaseSlaViolated,
    CloseCase,
    CustomerRepliedToCase,
    OpenCase,
    ResolveCase,
    RespondToCase,
    SetCasePendingCustomer,
)
from domain.kernel.messages import utc
from domain.rules_config import BusinessRules


def critical_case(rules: BusinessRules | None = None) -> Scenario:
    """Case C1 (critical) opened at 09:00 on 2 March: response due 10:00, resolution 17:00."""
    w = Scenario(rules) if rules else Scenario()
    w.account("A1").rep("M1", "Manager").rep("SE1", "SE", manager="M1")
    w.at(T0).send(OpenCase, "C1", account_id="A1", subject="Press line stopped",
                  description="Hydraulic fault", priority="critical")
    return w


def at(hour: int, minute: int = 0, day: int = 2) -> object:
    """A UTC time on March `day` 2026."""
    return utc(2026, 3, day, hour, minute)


def sla_events(events: list) -> list:
    """Breaches and escalations among events."""
    return of_type(events, CaseSlaViolated) + of_type(events, CaseEscalated)


def test_no_breach_or_escalation_while_the_case_waits_for_the_customer() -> None:
    w = critical_case()
    pending = w.at(at(10)).send(SetCasePendingCustomer, "C1")  # 7 h of the clock left
    assert of_type(pending, CaseMarkedPendingCustomer)[0].sla_clock_paused is True
    assert sla_events(w.ticks_until(at(9, day=4))) == []  # old deadline 17:00 long past


def test_the_reply_moves_the_resolution_deadline_by_the_paused_time() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    replied = w.at(at(12, 30)).send(CustomerRepliedToCase, "C1")
    [resumed] = of_type(replied, CaseSlaClockResumed)
    assert (resumed.paused_since, resumed.resumed_at) == (at(10), at(12, 30))
    assert resumed.resolution_due_date == at(19, 30)  # 17:00 + 2 h 30 paused
    assert w.state.get("case", "C1").resolution_due == at(19, 30)


def test_a_stale_timer_for_the_old_deadline_does_nothing_and_the_moved_one_breaches() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    w.at(at(12)).send(CustomerRepliedToCase, "C1")  # new deadline 19:00
    assert sla_events(w.tick(at(17, 30))) == []  # the 17:00 timer is stale
    assert sla_events(w.tick(at(19))) == []  # exactly at the deadline: not yet
    events = w.tick(at(19, 30))
    assert [(v.breach, v.due_date) for v in of_type(events, CaseSlaViolated)] == [
        ("resolution", at(19))]
    assert of_type(events, CaseEscalated)[0].escalated_to == "M1"


def test_a_stale_timer_falling_due_exactly_at_the_moved_deadline_does_not_breach() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    w.at(at(10, 30)).send(CustomerRepliedToCase, "C1")  # deadline 17:00 -> 17:30
    assert sla_events(w.tick(at(17, 30))) == []  # the 17:00 timer, at the new deadline
    assert [v.due_date for v in of_type(w.tick(at(18)), CaseSlaViolated)] == [at(17, 30)]


def test_a_resolution_exactly_at_the_moved_deadline_is_in_time_and_a_second_later_is_not(
) -> None:
    def resolve_at(when: object) -> list:
        w = critical_case()
        w.at(at(10)).send(SetCasePendingCustomer, "C1")
        w.at(at(12)).send(CustomerRepliedToCase, "C1")
        return of_type(w.at(when).send(ResolveCase, "C1", resolution="Valve replaced"),
                       CaseSlaViolated)

    assert resolve_at(at(19)) == []
    assert [v.due_date for v in resolve_at(at(19) + timedelta(seconds=1))] == [at(19)]


def test_several_waits_add_up() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    w.at(at(12)).send(CustomerRepliedToCase, "C1")  # 2 h
    w.at(at(13)).send(SetCasePendingCustomer, "C1")
    w.at(at(13, 45)).send(CustomerRepliedToCase, "C1")  # 45 min
    assert w.state.get("case", "C1").resolution_due == at(19, 45)
    assert sla_events(w.ticks_until(at(19, 30))) == []
    assert [v.due_date for v in of_type(w.tick(at(20)), CaseSlaViolated)] == [at(19, 45)]


def test_an_auto_resolve_after_seven_silent_days_is_not_a_breach() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    events = w.ticks_until(at(10, day=9))
    assert sla_events(events) == []
    resumed, resolved = of_type(events, CaseSlaClockResumed), of_type(events, CaseResolved)
    assert resolved[0].auto_resolved is True and resolved[0].resolved_date == at(10, day=9)
    assert resumed[0].resolution_due_date == at(17, day=9)  # 7 days paused
    # the row's due date moves first
    assert w.events.index(resumed[0]) < w.events.index(resolved[0])


def test_resolving_while_waiting_is_in_time_and_ends_the_pause() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    events = w.at(at(8, day=3)).send(ResolveCase, "C1", resolution="Customer fixed it")
    assert of_type(events, CaseSlaViolated) == []
    assert of_type(events, CaseSlaClockResumed)[0].resolution_due_date == at(15, day=3)


def test_closing_a_waiting_case_ends_the_pause() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    events = w.at(at(11)).send(CloseCase, "C1")
    assert of_type(events, CaseSlaClockResumed)[0].resolution_due_date == at(18)
    assert sla_events(w.ticks_until(at(9, day=3))) == []


@pytest.mark.parametrize(("pending_at", "paused"), [
    (at(17), True),  # at the deadline the clock has not run out
    (at(17) + timedelta(seconds=1), False),
])
def test_the_clock_stops_only_if_it_has_not_run_out(pending_at: object, paused: bool) -> None:
    w = critical_case()
    w.at(at(9, 30)).send(RespondToCase, "C1")
    events = w.at(pending_at).send(SetCasePendingCustomer, "C1")
    assert of_type(events, CaseMarkedPendingCustomer)[0].sla_clock_paused is paused
    breaches = of_type(w.tick(at(17, 30)), CaseSlaViolated)
    assert [v.breach for v in breaches] == ([] if paused else ["resolution"])


def test_a_breached_case_going_pending_keeps_its_deadline_and_its_single_breach() -> None:
    w = critical_case()
    w.at(at(9, 30)).send(RespondToCase, "C1")
    w.tick(at(17, 30))  # resolution breach recorded
    w.at(at(18)).send(SetCasePendingCustomer, "C1")
    replied = w.at(at(20)).send(CustomerRepliedToCase, "C1")
    assert of_type(replied, CaseSlaClockResumed) == []
    assert w.state.get("case", "C1").resolution_due == at(17)
    w.at(at(21)).send(ResolveCase, "C1", resolution="done")
    assert [v.breach for v in of_type(w.events, CaseSlaViolated)] == ["resolution"]


# -- one CaseSlaViolated per breach type (account health counts them) ---------------------

def test_a_late_response_after_the_tick_recorded_the_breach_is_not_a_second_breach() -> None:
    w = critical_case()
    assert [v.breach for v in of_type(w.tick(at(10, 30)), CaseSlaViolated)] == ["response"]
    assert of_type(w.at(at(10, 40)).send(RespondToCase, "C1"), CaseSlaViolated) == []
    assert len(of_type(w.events, CaseSlaViolated)) == 1


def test_asking_the_customer_after_a_recorded_response_breach_is_not_a_second_breach() -> None:
    w = critical_case()
    w.tick(at(10, 30))
    assert of_type(w.at(at(10, 40)).send(SetCasePendingCustomer, "C1"), CaseSlaViolated) == []
    assert len(of_type(w.events, CaseSlaViolated)) == 1


def test_a_late_resolution_after_the_tick_recorded_the_breach_is_not_a_second_breach() -> None:
    w = critical_case()
    w.at(at(9, 30)).send(RespondToCase, "C1")
    assert [v.breach for v in of_type(w.tick(at(17, 30)), CaseSlaViolated)] == ["resolution"]
    late = w.at(at(18)).send(ResolveCase, "C1", resolution="Valve replaced")
    assert of_type(late, CaseResolved) and of_type(late, CaseSlaViolated) == []
    assert len(of_type(w.events, CaseSlaViolated)) == 1


def test_an_unanswered_unresolved_case_has_exactly_two_breaches_whatever_follows() -> None:
    w = critical_case()
    w.ticks_until(at(18))
    w.at(at(18, 10)).send(ResolveCase, "C1", resolution="done")  # first response + resolution
    w.ticks_until(at(18, day=6))
    assert [v.breach for v in of_type(w.events, CaseSlaViolated)] == ["response", "resolution"]
    assert len(of_type(w.events, CaseEscalated)) == 1


def test_the_old_and_the_moved_deadline_passing_in_one_tick_breach_once() -> None:
    w = critical_case()
    w.at(at(10)).send(SetCasePendingCustomer, "C1")
    w.at(at(10, 5)).send(CustomerRepliedToCase, "C1")  # deadline 17:00 -> 17:05
    events = w.tick(at(17, 30))  # both timers are due
    assert [v.due_date for v in of_type(events, CaseSlaViolated)] == [at(17, 5)]
    assert len(of_type(events, CaseEscalated)) == 1


def test_an_overdue_case_escalates_to_the_assignees_own_manager() -> None:
    w = Scenario().account("A1").rep("M1", "Manager").rep("M2", "Manager")
    w.rep("SE1", "SE", manager="M2")
    w.at(T0).send(OpenCase, "C1", account_id="A1", subject="s", description="d",
                  priority="critical")
    assert of_type(w.tick(at(10, 30)), CaseEscalated)[0].escalated_to == "M2"


def test_a_reassigned_case_escalates_to_the_new_assignees_manager() -> None:
    w = Scenario().account("A1").rep("M1", "Manager").rep("M2", "Manager")
    w.rep("SE1", "SE", manager="M1").rep("SE2", "SE", manager="M2")
    w.at(T0).send(OpenCase, "C1", account_id="A1", subject="s", description="d",
                  priority="critical")  # round-robin: SE1
    w.send(AssignCase, "C1", assigned_to="SE2")
    w.send(AssignCase, "C1", assigned_team="Quality Assurance")  # keeps SE2
    assert of_type(w.tick(at(10, 30)), CaseEscalated)[0].escalated_to == "M2"


# -- the SLA table and its boundaries ------------------------------------------------------

def test_a_resolution_exactly_at_its_deadline_is_in_time() -> None:
    w = critical_case()
    w.at(at(9, 30)).send(RespondToCase, "C1")
    assert of_type(w.at(at(17)).send(ResolveCase, "C1", resolution="ok"), CaseSlaViolated) == []


def test_a_resolution_one_second_late_is_a_breach_of_the_original_deadline() -> None:
    w = critical_case()
    w.at(at(9, 30)).send(RespondToCase, "C1")
    late = w.at(at(17) + timedelta(seconds=1)).send(ResolveCase, "C1", resolution="ok")
    assert [(v.breach, v.due_date) for v in of_type(late, CaseSlaViolated)] == [
        ("resolution", at(17))]


def test_an_unresolved_case_is_breached_on_the_first_tick_after_its_deadline_not_at_it() -> None:
    w = critical_case()
    w.at(at(9, 30)).send(RespondToCase, "C1")
    assert of_type(w.tick(at(17)), CaseSlaViolated) == []
    assert [v.breach for v in of_type(w.tick(at(17) + timedelta(microseconds=1)),
                                      CaseSlaViolated)] == ["resolution"]


def test_a_response_one_second_late_is_a_breach() -> None:
    w = critical_case()
    late = w.at(at(10) + timedelta(seconds=1)).send(RespondToCase, "C1")
    assert [(v.breach, v.due_date) for v in of_type(late, CaseSlaViolated)] == [
        ("response", at(10))]


def test_the_sla_table_comes_from_the_rules_config() -> None:
    rules = BusinessRules.from_mapping({"cases": {"sla_hours": {
        "critical": (2, 10), "high": (4, 24), "medium": (8, 72), "low": (24, 120)}}})
    w = critical_case(rules)
    case = w.state.get("case", "C1")
    assert (case.response_due, case.resolution_due) == (at(11), at(19))
    assert sla_events(w.tick(at(10, 30))) == []
