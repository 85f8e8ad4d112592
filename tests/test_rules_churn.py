"""Churn and the pipeline: a customer who has left has no open deals and signs nothing new
(the contract side of churn is in tests/test_rules_contracts.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scenario import Scenario, of_type, one

from domain.accounts.messages import ChangeAccountRelationship
from domain.contracts.messages import DraftContract
from domain.kernel.messages import Event
from domain.opportunities.messages import OpportunityLost, OpportunityStageChanged
from domain.sales_org.messages import RepPerformanceUpdated


def churn(s: Scenario, reason: str | None = "Moved to a competitor") -> list[Event]:
    return s.ok(ChangeAccountRelationship, "A1", relationship_status="churned", reason=reason)


def test_churn_closes_every_open_deal_of_the_account_lost_and_leaves_closed_ones_alone() -> None:
    s = Scenario().org()
    s.deal("O1", "100000")
    s.deal("O2", "250000", owner="R2")
    s.stage("O2", "qualification")
    s.deal("O3", "50000")
    s.stage("O3", "closed_lost", change_reason="No budget")
    events = churn(s)
    lost = [(e.aggregate_id, e.win_loss_reason, e.win_loss_notes, e.actual_close_date)
            for e in of_type(events, OpportunityLost)]
    assert lost == [("O1", "Account churned", "Moved to a competitor", date(2026, 3, 2)),
                    ("O2", "Account churned", "Moved to a competitor", date(2026, 3, 2))]
    moves = [(e.aggregate_id, e.from_stage, e.to_stage, e.change_reason, e.forecast_category)
             for e in of_type(events, OpportunityStageChanged)]
    assert moves == [
        ("O1", "prospecting", "closed_lost", "Account churned: Moved to a competitor", "omitted"),
        ("O2", "qualification", "closed_lost", "Account churned: Moved to a competitor",
         "omitted")]
    assert [s.opp(o).stage for o in ("O1", "O2", "O3")] == ["closed_lost"] * 3


def test_a_deal_lost_to_churn_counts_on_its_owners_record() -> None:
    s = Scenario().org()
    s.deal("O1", "100000")
    events = churn(s, reason=None)
    assert one(events, OpportunityStageChanged).change_reason == "Account churned"
    record = [(e.ytd_deals_lost, e.win_rate_pct) for e in of_type(events, RepPerformanceUpdated)
              if e.aggregate_id == "R1"]
    assert record == [(1, Decimal("0.00"))]


def test_a_deal_whose_quote_the_customer_accepted_stays_open_for_the_erps_answer() -> None:
    s = Scenario().org()
    s.deal("O1", "100000")
    s.product("O1", "1", "100000")
    s.accepted_quote("O1")
    s.deal("O2", "80000")
    events = churn(s)
    assert [e.aggregate_id for e in of_type(events, OpportunityLost)] == ["O2"]
    assert s.opp("O1").stage == "proposal"


def test_a_churned_account_signs_no_new_contract_until_it_is_won_back() -> None:
    s = Scenario().org()
    churn(s)
    fields = {"contract_name": "AMC", "account_id": "A1", "contract_term_months": 12,
              "contract_start_date": date(2026, 4, 1), "contract_value": Decimal("90000.00")}
    assert s.refused(DraftContract, "K1", **fields) == (
        "account A1 has churned: reactivate the relationship before drafting a contract")
    s.ok(ChangeAccountRelationship, "A1", relationship_status="active", reason="Won back")
    s.ok(DraftContract, "K1", **fields)
