"""Contract rules: drafting, signature, activation, renewal alerts, auto-renewal, expiry,
lost renewals and churn."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from scenario import Scenario, of_type, rejection

from domain.accounts.messages import (
    AccountTeamMemberAdded,
    AccountTeamMemberRemoved,
    AddAccountTeamMember,
    ChangeAccountRelationship,
)
from domain.activities.messages import TaskCreated
from domain.contracts.lifecycle import add_months, midnight, notice_date, term_end
from domain.contracts.messages import (
    ContractActivated,
    ContractDrafted,
    ContractExpired,
    ContractRenewalDue,
    ContractRenewed,
    ContractSigned,
    ContractTerminated,
    DraftContract,
    SendContractForSignature,
    SignContract,
    TerminateContract,
)
from domain.contracts.renewals import activate, end_of_term, renewal_alert
from domain.kernel.messages import utc
from domain.opportunities.messages import ChangeOpportunityStage, OpportunityCreated

START = date(2026, 4, 1)


def contract_scenario(start: date = START, signed_on: date = date(2026, 3, 20),
                        **terms: Any) -> Scenario:
    """Account A1; contract K1 (12 months from `start`) drafted, sent and signed."""
    w = Scenario(start=utc(2026, 3, 10, 9)).account("A1")
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
    drafted = of_type(contract_scenario().events, ContractDrafted)[0]
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
    w = Scenario().account("A1")
    fields = {"contract_name": "X", "account_id": "A1", "contract_start_date": START,
              "contract_term_months": 12, "contract_value": Decimal("1.00"), **changes}
    assert reason in (rejection(w.send(DraftContract, "K1", **fields)) or "")


def test_signing_records_the_date_and_only_drafts_or_sent_contracts_can_be_signed() -> None:
    w = contract_scenario()
    assert of_type(w.events, ContractSigned)[0].signed_date == date(2026, 3, 20)
    assert "is signed" in (rejection(w.send(SignContract, "K1")) or "")
    assert "is signed" in (rejection(w.send(SendContractForSignature, "K1")) or "")


def test_a_signed_contract_activates_on_its_start_date() -> None:
    w = contract_scenario()
    assert of_type(w.tick(midnight(START) - timedelta(minutes=30)), ContractActivated) == []
    assert of_type(w.tick(midnight(START)), ContractActivated)


def test_signing_after_the_start_date_activates_at_once() -> None:
    w = contract_scenario(signed_on=date(2026, 4, 3))
    assert of_type(w.events, ContractActivated)


def test_the_renewal_alert_creates_a_review_task_and_a_renewal_opportunity_once() -> None:
    w = contract_scenario()
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
    w = contract_scenario(auto_renewal=True, renewal_term_months=24)
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
    w = contract_scenario(auto_renewal=False)
    events = w.tick(midnight(date(2027, 4, 1)))
    assert [e.aggregate_id for e in of_type(events, ContractExpired)] == ["K1"]
    assert of_type(events, ContractRenewed) == []


def test_date_arithmetic_around_29_february_is_well_defined() -> None:
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert term_end(date(2028, 3, 1), 12) == date(2029, 2, 28)
    assert term_end(date(2027, 3, 1), 12) == date(2028, 2, 29)
    assert notice_date(date(2028, 2, 29), 60) == date(2027, 12, 31)
    assert midnight(date(2028, 2, 29)) == datetime(2028, 2, 29, 0, 0, tzinfo=UTC)


def test_a_contract_ending_on_29_february_alerts_and_renews_on_the_right_days() -> None:
    w = contract_scenario(start=date(2027, 3, 1), auto_renewal=True)
    drafted = of_type(w.events, ContractDrafted)[0]
    assert drafted.contract_end_date == date(2028, 2, 29)
    assert drafted.renewal_date == date(2027, 12, 31)
    assert of_type(w.tick(midnight(date(2027, 12, 31))), ContractRenewalDue)
    events = w.tick(midnight(date(2028, 3, 1)))
    new = of_type(events, ContractDrafted)[0]
    assert (new.contract_start_date, new.contract_end_date) == (date(2028, 3, 1),
                                                                date(2029, 2, 28))
    assert new.renewal_date == date(2028, 12, 30)


def test_a_terminated_contract_ignores_its_timers_and_notes_the_penalty() -> None:
    w = contract_scenario(early_termination_penalty=Decimal("50000.00"))
    terminated = of_type(w.send(TerminateContract, "K1", reason="Plant closed"),
                         ContractTerminated)[0]
    assert terminated.early_termination_penalty == Decimal("50000.00")
    assert "already terminated" in (rejection(w.send(TerminateContract, "K1")) or "")
    later = w.tick(midnight(START)) + w.tick(midnight(date(2027, 4, 1)))
    assert of_type(later, ContractActivated) == of_type(later, ContractExpired) == []


def test_a_penalty_given_at_termination_replaces_the_one_in_the_terms() -> None:
    w = contract_scenario(early_termination_penalty=Decimal("50000.00"))
    waived = of_type(w.send(TerminateContract, "K1", early_termination_penalty=Decimal("0")),
                     ContractTerminated)[0]
    assert waived.early_termination_penalty == Decimal("0")


def test_a_duplicate_signature_changes_nothing() -> None:
    w = Scenario().account("A1")
    w.send(DraftContract, "K1", contract_name="X", account_id="A1", contract_start_date=START,
           contract_term_months=1, contract_value=Decimal("10.00"))
    sign = w.message(SignContract, "K1")
    w.fold(sign)
    before = copy.deepcopy(w.state.entities), dict(w.state.versions), list(w.state.timers)
    assert w.fold(sign) == []
    assert (w.state.entities, w.state.versions, w.state.timers) == before


ALERT_DAY, END_DAY = date(2027, 1, 30), date(2027, 4, 1)  # K1: 2026-04-01 .. 2027-03-31


def test_a_lost_renewal_opportunity_stops_the_auto_renewal_and_the_contract_expires() -> None:
    w = contract_scenario(auto_renewal=True)
    opportunity = of_type(w.tick(midnight(ALERT_DAY)), ContractRenewalDue)[0]
    w.at(midnight(ALERT_DAY) + timedelta(days=20)).send(
        ChangeOpportunityStage, opportunity.renewal_opportunity_id, to_stage="closed_lost",
        change_reason="Customer moved the AMC to a local vendor")
    events = w.tick(midnight(END_DAY))
    assert [(e.aggregate_id, e.reason) for e in of_type(events, ContractExpired)] == [
        ("K1", "Renewal opportunity lost")]
    assert of_type(events, ContractRenewed) == of_type(events, ContractDrafted) == []


def test_an_open_renewal_opportunity_does_not_stop_the_auto_renewal() -> None:
    w = contract_scenario(auto_renewal=True)
    assert of_type(w.tick(midnight(ALERT_DAY)), ContractRenewalDue)
    events = w.tick(midnight(END_DAY))
    assert [e.aggregate_id for e in of_type(events, ContractRenewed)] == ["K1"]
    assert of_type(events, ContractExpired) == []


def test_a_terminated_contract_raises_no_renewal_alert() -> None:
    w = contract_scenario(auto_renewal=True)
    w.at(midnight(ALERT_DAY) - timedelta(days=3)).send(TerminateContract, "K1")
    events = w.tick(midnight(ALERT_DAY)) + w.tick(midnight(END_DAY))
    assert of_type(events, ContractRenewalDue) == []
    assert of_type(events, TaskCreated) == of_type(events, OpportunityCreated) == []
    assert of_type(events, ContractRenewed) == of_type(events, ContractExpired) == []


def test_a_renewed_contract_alerts_and_renews_again_at_its_own_end() -> None:
    w = contract_scenario(auto_renewal=True)
    first = of_type(w.tick(midnight(END_DAY)), ContractDrafted)[0]
    assert (first.contract_end_date, first.renewal_date) == (date(2028, 3, 31),
                                                             date(2028, 1, 31))
    assert of_type(w.tick(midnight(date(2028, 1, 30))), ContractRenewalDue) == []
    alert = of_type(w.tick(midnight(date(2028, 1, 31))), ContractRenewalDue)
    assert [(e.aggregate_id, e.renewal_date) for e in alert] == [
        (first.aggregate_id, date(2028, 1, 31))]
    events = w.tick(midnight(date(2028, 4, 1)))
    assert [e.aggregate_id for e in of_type(events, ContractRenewed)] == [first.aggregate_id]
    second = of_type(events, ContractDrafted)[0]
    assert (second.parent_contract_id, second.contract_number) == (first.aggregate_id,
                                                                   "CTR-000003")
    assert second.contract_start_date == date(2028, 4, 1)


def test_a_renewed_contract_whose_own_renewal_is_lost_expires_at_its_own_end() -> None:
    w = contract_scenario(auto_renewal=True)
    first = of_type(w.tick(midnight(END_DAY)), ContractDrafted)[0]
    alert = of_type(w.tick(midnight(date(2028, 1, 31))), ContractRenewalDue)[0]
    w.at(midnight(date(2028, 2, 15))).send(ChangeOpportunityStage,
                                           alert.renewal_opportunity_id, to_stage="closed_lost")
    events = w.tick(midnight(date(2028, 4, 1)))
    assert [e.aggregate_id for e in of_type(events, ContractExpired)] == [first.aggregate_id]
    assert of_type(events, ContractRenewed) == []


def churn_scenario() -> Scenario:
    """A1 with K1 signed (penalty 50,000), K2 drafted, K3 expired, and a team of two."""
    w = contract_scenario(early_termination_penalty=Decimal("50000.00"))
    w.rep("AM1", "AM").rep("SE1", "SE")
    w.send(AddAccountTeamMember, "A1", sales_rep_id="AM1", team_role="account_manager")
    w.send(AddAccountTeamMember, "A1", sales_rep_id="SE1", team_role="sales_engineer")
    w.send(DraftContract, "K2", contract_name="Spares", account_id="A1",
           contract_start_date=date(2026, 9, 1), contract_term_months=12,
           contract_value=Decimal("300000.00"), early_termination_penalty=Decimal("9000.00"))
    w.send(DraftContract, "K3", contract_name="Old", account_id="A1",
           contract_start_date=date(2025, 3, 1), contract_end_date=date(2026, 3, 31),
           contract_value=Decimal("1000.00"))
    w.send(SignContract, "K3")
    w.tick(midnight(date(2026, 4, 1)))  # K3 expires, K1 activates
    return w


def test_churn_terminates_the_accounts_contracts_at_once_with_the_penalty_of_their_terms() -> None:
    w = churn_scenario()
    events = w.at(utc(2026, 6, 10, 11)).send(ChangeAccountRelationship, "A1",
                                             relationship_status="churned", reason="Competitor")
    terminated = [(e.aggregate_id, e.termination_date, e.early_termination_penalty, e.reason)
                  for e in of_type(events, ContractTerminated)]
    assert terminated == [
        ("K1", date(2026, 6, 10), Decimal("50000.00"), "Account churned: Competitor"),
        ("K2", date(2026, 6, 10), Decimal("0"), "Account churned: Competitor")]
    later = w.tick(midnight(ALERT_DAY)) + w.tick(midnight(END_DAY))
    assert of_type(later, ContractRenewalDue) == of_type(later, ContractExpired) == []


def test_churn_deactivates_the_account_team_on_the_day_of_churn() -> None:
    w = churn_scenario()
    members = [e.team_member_id for e in of_type(w.events, AccountTeamMemberAdded)]
    events = w.at(utc(2026, 6, 10, 11)).send(ChangeAccountRelationship, "A1",
                                             relationship_status="churned")
    assert [(e.team_member_id, e.end_date) for e in of_type(events, AccountTeamMemberRemoved)
            ] == [(members[0], date(2026, 6, 10)), (members[1], date(2026, 6, 10))]
    assert {e.reason for e in of_type(events, ContractTerminated)} == {"Account churned"}
    assert w.state.get("account", "A1").team == ()


def test_an_account_going_inactive_keeps_its_contracts_and_team() -> None:
    w = churn_scenario()
    events = w.send(ChangeAccountRelationship, "A1", relationship_status="inactive")
    assert of_type(events, ContractTerminated) == of_type(events, AccountTeamMemberRemoved) == []


# -- pinned by mutation testing (issue 21) ---------------------------------------------


def test_the_renewal_task_and_opportunity_are_fully_described_and_their_ids_stable() -> None:
    w = contract_scenario(auto_renewal=True)
    events = w.tick(midnight(ALERT_DAY))
    due = of_type(events, ContractRenewalDue)[0]
    # ids derive from the cause (a replay must derive the same ones): pinned literally
    assert (due.renewal_task_id, due.renewal_opportunity_id) == (
        "TSK-d589339b-0a38-584f", "OPP-799c3f6f-2d08-59df")
    assert due.renewal_date == ALERT_DAY
    task = of_type(events, TaskCreated)[0]
    assert (task.subject, task.description, task.related_to_type, task.priority) == (
        "Review contract CTR-000001 for renewal", "Press maintenance ends on 2027-03-31.",
        "account", "high")
    opportunity = of_type(events, OpportunityCreated)[0]
    assert (opportunity.opportunity_name, opportunity.account_id, opportunity.close_date,
            opportunity.created_by) == ("Renewal CTR-000001: Press maintenance", "A1",
                                        date(2027, 3, 31), "system")
    contract = w.state.get("contract", "K1")
    assert (contract.renewal_alerted, contract.renewal_opportunity_id) == (
        True, "OPP-799c3f6f-2d08-59df")


def test_a_long_contract_name_is_cut_to_200_characters_in_the_renewal_opportunity() -> None:
    w = contract_scenario(contract_name="N" * 200)
    opportunity = of_type(w.tick(midnight(ALERT_DAY)), OpportunityCreated)[0]
    assert opportunity.opportunity_name == ("Renewal CTR-000001: " + "N" * 200)[:200]


def test_a_renewal_alert_run_a_second_time_alerts_nothing() -> None:
    w = contract_scenario(auto_renewal=True)
    assert of_type(w.tick(midnight(ALERT_DAY)), ContractRenewalDue)
    w.at(midnight(ALERT_DAY) + timedelta(days=2))
    assert w.run(lambda ctx: renewal_alert(ctx, "K1")) == []


def test_timers_run_before_their_day_do_nothing() -> None:
    w = contract_scenario(auto_renewal=True)
    w.at(midnight(START) - timedelta(minutes=1))
    assert w.run(lambda ctx: activate(ctx, "K1")) == []
    w.tick(midnight(START))
    w.at(midnight(ALERT_DAY) - timedelta(minutes=1))
    assert w.run(lambda ctx: renewal_alert(ctx, "K1")) == []
    w.at(midnight(END_DAY) - timedelta(minutes=1))  # 23:59 on the last day in force
    assert w.run(lambda ctx: end_of_term(ctx, "K1")) == []
    assert w.state.get("contract", "K1").status == "active"


def test_the_renewed_contract_copies_the_terms_under_a_stable_id_created_by_the_system() -> None:
    w = contract_scenario(auto_renewal=True, payment_terms="Net 30",
                            early_termination_penalty=Decimal("5000.00"))
    events = w.tick(midnight(END_DAY))
    renewed = of_type(events, ContractRenewed)[0]
    assert renewed.renewed_contract_id == "CTR-1f487615-dde6-5fa5"
    new = of_type(events, ContractDrafted)[0]
    assert (new.aggregate_id, new.created_by, new.contract_term_months) == (
        "CTR-1f487615-dde6-5fa5", "system", 12)
    assert (new.contract_name, new.account_id, new.contract_owner, new.payment_terms,
            new.early_termination_penalty) == ("Press maintenance", "A1", "AM1", "Net 30",
                                               Decimal("5000.00"))
    assert (new.renewal_date, new.renewal_notice_days) == (date(2028, 1, 31), 60)
    assert w.state.get("contract", "K1").status == "expired"
    assert w.state.get("contract", new.aggregate_id).status == "active"


def test_a_renewal_term_defaults_from_the_rules_when_the_terms_have_none() -> None:
    w = contract_scenario(auto_renewal=True)
    k1 = w.state.get("contract", "K1")
    # A contract drafted before renewal_term_months was filled in (an old event).
    w.state.store("contract")["K1"] = replace(
        k1, terms=k1.terms.model_copy(update={"renewal_term_months": None}))
    new = of_type(w.tick(midnight(END_DAY)), ContractDrafted)[0]
    assert (new.contract_term_months, new.contract_end_date) == (12, date(2028, 3, 31))


def test_an_auto_renewing_contract_without_a_renewal_opportunity_renews() -> None:
    w = contract_scenario(auto_renewal=True)
    w.at(midnight(END_DAY))  # the end-of-term rule runs, no renewal alert ever ran
    events = w.run(lambda ctx: end_of_term(ctx, "K1"))
    assert [e.aggregate_id for e in of_type(events, ContractRenewed)] == ["K1"]
    assert of_type(events, ContractExpired) == []


def test_a_contract_moves_through_draft_sent_signed_active_and_terminated() -> None:
    w = Scenario().account("A1")
    w.send(DraftContract, "K1", contract_name="X", account_id="A1", contract_start_date=START,
           contract_term_months=12, contract_value=Decimal("10.00"))

    def status() -> str:
        return str(w.state.get("contract", "K1").status)

    assert status() == "draft"
    w.send(SendContractForSignature, "K1")
    assert status() == "sent_for_signature"
    w.send(SignContract, "K1")
    assert status() == "signed"
    w.tick(midnight(START))
    assert status() == "active"
    w.send(TerminateContract, "K1")
    assert status() == "terminated"


def test_churn_skips_ended_contracts_wherever_they_are_in_the_list() -> None:
    w = Scenario(start=utc(2026, 3, 10, 9)).account("A1")
    for contract_id in ("K1", "K2"):
        w.send(DraftContract, contract_id, contract_name=contract_id, account_id="A1",
               contract_start_date=START, contract_term_months=12,
               contract_value=Decimal("10.00"))
    w.send(TerminateContract, "K1")  # the first one drafted has ended
    events = w.send(ChangeAccountRelationship, "A1", relationship_status="churned")
    assert [e.aggregate_id for e in of_type(events, ContractTerminated)] == ["K2"]


def test_a_long_churn_reason_is_cut_to_500_characters_on_the_contract() -> None:
    w = churn_scenario()
    events = w.send(ChangeAccountRelationship, "A1", relationship_status="churned",
                    reason="x" * 600)
    reasons = [e.reason for e in of_type(events, ContractTerminated)]
    assert reasons == [("Account churned: " + "x" * 600)[:500]] * 2
    assert len(reasons[0]) == 500


def test_a_contract_signed_on_its_start_date_activates_at_once_without_an_activation_timer(
) -> None:
    w = contract_scenario(signed_on=START)
    assert [e.aggregate_id for e in of_type(w.events, ContractActivated)] == ["K1"]
    assert sorted(t.kind for t in w.state.timers) == ["contract_end", "contract_renewal_alert"]


def test_commands_for_an_unknown_contract_are_refused_by_name() -> None:
    w = Scenario().account("A1")
    assert rejection(w.send(SendContractForSignature, "K9")) == "contract K9 does not exist"


def test_a_termination_keeps_its_reason() -> None:
    w = contract_scenario()
    terminated = of_type(w.send(TerminateContract, "K1", reason="Plant closed"),
                         ContractTerminated)[0]
    assert (terminated.reason, terminated.termination_date) == ("Plant closed",
                                                                date(2026, 3, 20))


def test_a_draft_fills_or_keeps_the_notice_and_may_last_a_single_day() -> None:
    w = Scenario().account("A1")
    fields = {"contract_name": "X", "account_id": "A1", "contract_value": Decimal("1.00")}
    one_day = of_type(w.send(DraftContract, "K1", contract_start_date=START,
                             contract_end_date=START, renewal_notice_days=0, **fields),
                      ContractDrafted)[0]
    assert (one_day.contract_end_date, one_day.renewal_notice_days, one_day.renewal_date) == (
        START, 0, START)
    notice = of_type(w.send(DraftContract, "K2", contract_start_date=START,
                            contract_term_months=12, renewal_notice_days=30, **fields),
                     ContractDrafted)[0]
    assert (notice.renewal_notice_days, notice.renewal_date) == (30, date(2027, 3, 1))
    assert rejection(w.send(DraftContract, "K2", contract_start_date=START,
                            contract_term_months=1, **fields)) == "contract K2 already exists"
    assert rejection(w.send(DraftContract, "K3", contract_start_date=START, **fields)) == (
        "give a contract_end_date or a contract_term_months")
