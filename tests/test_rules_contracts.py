"""Contract rules: drafting, signature, activation, renewal alerts, auto-renewal, expiry."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from area_c_fixtures import World, of_type, rejection

from domain.activities import TaskCreated
from domain.contract_renewals import ContractExpired, ContractRenewalDue, ContractRenewed
from domain.contracts import (
    ContractActivated,
    ContractDrafted,
    ContractSigned,
    ContractTerminated,
    DraftContract,
    SendContractForSignature,
    SignContract,
    TerminateContract,
    add_months,
    midnight,
    notice_date,
    term_end,
)
from domain.messages import utc
from domain.opportunities import OpportunityCreated

START = date(2026, 4, 1)


def world_with_contract(start: date = START, signed_on: date = date(2026, 3, 20),
                        **terms: Any) -> World:
    """Account A1; contract K1 (12 months from `start`) drafted, sent and signed."""
    w = World(now=utc(2026, 3, 10, 9)).account("A1")
    w.at(utc(signed_on.year, signed_on.month, signed_on.day, 9) - timedelta(days=5))
    fields = {"contract_name": "Press maintenance", "account_id": "A1",
              "contract_type": "maintenance", "contract_start_date": start,
              "contract_term_months": 12, "contract_value": Decimal("1200000.00"),
              "billing_frequency": "monthly", "contract_owner": "AM1", **terms}
    w.send(DraftContract, "K1", **fields)
    w.send(SendContractForSignature, "K1")
    w.at(utc(signed_on.year, signed_on.month, signed_on.day, 9)).send(SignContract, "K1")
    return w


def test_drafting_numbers_the_contract_and_fills_the_renewal_defaults() -> None:
    drafted = of_type(world_with_contract().log, ContractDrafted)[0]
    assert drafted.contract_number == "CTR-000001"
    assert drafted.contract_end_date == date(2027, 3, 31)
    assert (drafted.renewal_notice_days, drafted.renewal_term_months) == (60, 12)
    assert drafted.renewal_date == date(2027, 3, 31) - timedelta(days=60)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"contract_term_months": None}, "give a contract_end_date or a contract_term_months"),
    ({"contract_end_date": date(2026, 3, 1)}, "contract ends (2026-03-01) before it starts"),
    ({"account_id": "nope"}, "account nope does not exist"),
])
def test_a_draft_without_a_valid_term_or_account_is_refused(changes: dict, reason: str) -> None:
    w = World().account("A1")
    fields = {"contract_name": "X", "account_id": "A1", "contract_start_date": START,
              "contract_term_months": 12, "contract_value": Decimal("1.00"), **changes}
    assert reason in (rejection(w.send(DraftContract, "K1", **fields)) or "")


def test_signing_records_the_date_and_only_drafts_or_sent_contracts_can_be_signed() -> None:
    w = world_with_contract()
    assert of_type(w.log, ContractSigned)[0].signed_date == date(2026, 3, 20)
    assert "is signed" in (rejection(w.send(SignContract, "K1")) or "")
    assert "is signed" in (rejection(w.send(SendContractForSignature, "K1")) or "")


def test_a_signed_contract_activates_on_its_start_date() -> None:
    w = world_with_contract()
    assert of_type(w.tick(midnight(START) - timedelta(minutes=30)), ContractActivated) == []
    assert of_type(w.tick(midnight(START)), ContractActivated)


def test_signing_after_the_start_date_activates_at_once() -> None:
    w = world_with_contract(signed_on=date(2026, 4, 3))
    assert of_type(w.log, ContractActivated)


def test_the_renewal_alert_creates_a_review_task_and_a_renewal_opportunity_once() -> None:
    w = world_with_contract()
    alert_day = date(2027, 1, 30)  # 2027-03-31 minus 60 days
    assert of_type(w.tick(midnight(alert_day) - timedelta(minutes=30)), ContractRenewalDue) == []
    events = w.tick(midnight(alert_day))
    due = of_type(events, ContractRenewalDue)[0]
    task = of_type(events, TaskCreated)[0]
    opportunity = of_type(events, OpportunityCreated)[0]
    assert (task.aggregate_id, opportunity.aggregate_id) == (due.renewal_task_id,
                                                             due.renewal_opportunity_id)
    assert (task.task_type, task.assigned_to, task.related_to_id) == ("contract_review", "AM1",
                                                                      "A1")
    assert task.due_date == date(2027, 3, 31)
    assert opportunity.opportunity_type == "renewal"
    assert opportunity.opportunity_owner == "AM1"
    assert opportunity.amount == Decimal("1200000.00")
    assert of_type(w.tick(midnight(alert_day) + timedelta(days=1)), ContractRenewalDue) == []


def test_an_auto_renewing_contract_is_continued_by_a_new_linked_contract_at_its_end() -> None:
    w = world_with_contract(auto_renewal=True, renewal_term_months=24)
    assert of_type(w.tick(midnight(date(2027, 3, 31)) + timedelta(hours=23)),
                   ContractRenewed) == []  # still in force all of its last day
    events = w.tick(midnight(date(2027, 4, 1)))
    renewed = of_type(events, ContractRenewed)[0]
    new = of_type(events, ContractDrafted)[0]
    assert new.aggregate_id == renewed.renewed_contract_id
    assert new.parent_contract_id == "K1"
    assert (new.contract_start_date, new.contract_end_date) == (date(2027, 4, 1),
                                                                date(2029, 3, 31))
    assert new.contract_number == "CTR-000002"
    assert new.contract_value == Decimal("1200000.00") and new.auto_renewal is True
    assert [e.aggregate_id for e in of_type(events, ContractActivated)] == [new.aggregate_id]
    assert of_type(events, ContractExpired) == []


def test_a_contract_without_auto_renewal_expires_at_its_end() -> None:
    w = world_with_contract(auto_renewal=False)
    events = w.tick(midnight(date(2027, 4, 1)))
    assert [e.aggregate_id for e in of_type(events, ContractExpired)] == ["K1"]
    assert of_type(events, ContractRenewed) == []


def test_date_arithmetic_around_29_february_is_well_defined() -> None:
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert term_end(date(2028, 3, 1), 12) == date(2029, 2, 28)
    assert term_end(date(2027, 3, 1), 12) == date(2028, 2, 29)
    assert notice_date(date(2028, 2, 29), 60) == date(2027, 12, 31)


def test_a_contract_ending_on_29_february_alerts_and_renews_on_the_right_days() -> None:
    w = world_with_contract(start=date(2027, 3, 1), auto_renewal=True)
    drafted = of_type(w.log, ContractDrafted)[0]
    assert drafted.contract_end_date == date(2028, 2, 29)
    assert drafted.renewal_date == date(2027, 12, 31)
    assert of_type(w.tick(midnight(date(2027, 12, 31))), ContractRenewalDue)
    events = w.tick(midnight(date(2028, 3, 1)))
    new = of_type(events, ContractDrafted)[0]
    assert (new.contract_start_date, new.contract_end_date) == (date(2028, 3, 1),
                                                                date(2029, 2, 28))
    assert new.renewal_date == date(2028, 12, 30)


def test_a_terminated_contract_ignores_its_timers_and_notes_the_penalty() -> None:
    w = world_with_contract(early_termination_penalty=Decimal("50000.00"))
    terminated = of_type(w.send(TerminateContract, "K1", reason="Plant closed"),
                         ContractTerminated)[0]
    assert terminated.early_termination_penalty == Decimal("50000.00")
    assert "already terminated" in (rejection(w.send(TerminateContract, "K1")) or "")
    later = w.tick(midnight(START)) + w.tick(midnight(date(2027, 4, 1)))
    assert of_type(later, ContractActivated) == of_type(later, ContractExpired) == []


def test_a_duplicate_signature_changes_nothing() -> None:
    w = World().account("A1")
    w.send(DraftContract, "K1", contract_name="X", account_id="A1", contract_start_date=START,
           contract_term_months=1, contract_value=Decimal("10.00"))
    sign = w.message(SignContract, "K1")
    w.fold(sign)
    before = copy.deepcopy(w.state.entities), dict(w.state.versions), list(w.state.timers)
    assert w.fold(sign) == []
    assert (w.state.entities, w.state.versions, w.state.timers) == before
