"""Opportunity fields a rep keeps on a real deal: cost estimate, margin and next step
(issue 14 point 10: these columns were 100 % NULL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from scenario import Scenario, one

from domain.catalog import rulebook
from domain.kernel.messages import Event
from domain.opportunities.figures import margin_pct
from domain.opportunities.messages import (
    ChangeOpportunityTerms,
    OpportunityCreated,
    OpportunityProductAdded,
    OpportunityTermsChanged,
)
from projectors.projection import merge, rows_for


def opportunity_row(event: Event) -> dict[str, Any]:
    """The values one event writes to its opportunities row."""
    (row,) = merge(rows_for([event]))["opportunities"]
    return dict(row.values)


def test_a_deal_opened_with_a_cost_estimate_carries_its_margin_and_next_step() -> None:
    s = Scenario().org()
    created = one(s.deal(amount="200000", cost_estimate=Decimal("150000"),
                         next_step="Site survey", next_step_date=date(2026, 1, 20)),
                  OpportunityCreated)
    assert created.margin_pct == Decimal("25.00")
    row = opportunity_row(created)
    assert row["cost_estimate"] == Decimal("150000.00")
    assert row["margin_pct"] == Decimal("25.00")
    assert row["next_step"] == "Site survey"
    assert row["next_step_date"] == date(2026, 1, 20)


def test_a_deal_opened_without_a_cost_estimate_has_no_margin() -> None:
    created = one(Scenario().org().deal(), OpportunityCreated)
    assert (created.cost_estimate, created.margin_pct, created.next_step) == (None, None, None)


def test_margin_is_rounded_half_up_to_two_decimals_and_held_to_the_column_range() -> None:
    assert margin_pct(Decimal("300000"), Decimal("200000")) == Decimal("33.33")
    assert margin_pct(Decimal("800"), Decimal("799.9")) == Decimal("0.01")
    assert margin_pct(Decimal("100"), Decimal("5000")) == Decimal("-999.99")  # dec(5,2)
    assert margin_pct(Decimal("0"), Decimal("10")) is None


def test_a_new_amount_recomputes_the_margin_from_the_cost_estimate_held() -> None:
    s = Scenario().org()
    s.deal(amount="100000", cost_estimate=Decimal("70000"))
    changed = one(s.ok(ChangeOpportunityTerms, "O1", amount=Decimal("140000")),
                  OpportunityTermsChanged)
    assert (changed.cost_estimate, changed.margin_pct) == (Decimal("70000.00"),
                                                          Decimal("50.00"))
    assert opportunity_row(changed)["margin_pct"] == Decimal("50.00")
    assert s.opp().cost_estimate == Decimal("70000.00")


def test_changing_only_the_next_step_emits_the_change_without_a_history_row() -> None:
    s = Scenario().org()
    s.deal(next_step="Discovery call", next_step_date=date(2026, 1, 10))
    changed = one(s.ok(ChangeOpportunityTerms, "O1", next_step="Send proposal",
                       next_step_date=date(2026, 2, 1)), OpportunityTermsChanged)
    assert changed.history_id is None
    assert (changed.next_step, changed.next_step_date) == ("Send proposal", date(2026, 2, 1))
    assert merge(rows_for([changed])).get("opportunity_stage_history", []) == []
    assert s.opp().next_step == "Send proposal"


def test_a_new_cost_estimate_alone_changes_the_margin() -> None:
    s = Scenario().org()
    s.deal(amount="100000")
    changed = one(s.ok(ChangeOpportunityTerms, "O1", cost_estimate=Decimal("65000")),
                  OpportunityTermsChanged)
    assert changed.margin_pct == Decimal("35.00")


def test_a_negative_cost_estimate_is_refused() -> None:
    s = Scenario().org()
    s.deal()
    assert "cost_estimate" in s.refused(ChangeOpportunityTerms, "O1",
                                        cost_estimate=Decimal("-1"))


def test_a_product_line_recomputes_the_margin_on_the_new_amount() -> None:
    s = Scenario().org()
    s.deal(amount="0", cost_estimate=Decimal("30000"))
    added = one(s.product("O1", "2", "20000"), OpportunityProductAdded)
    assert added.margin_pct == Decimal("25.00")
    assert opportunity_row(added)["margin_pct"] == Decimal("25.00")


def test_a_new_cost_estimate_and_next_step_date_stay_on_the_deal_for_later_changes() -> None:
    s = Scenario().org()
    s.deal(amount="100000", cost_estimate=Decimal("70000"), next_step="Discovery call",
           next_step_date=date(2026, 1, 10))
    s.ok(ChangeOpportunityTerms, "O1", cost_estimate=Decimal("65000"),
         next_step_date=date(2026, 2, 1))
    opp = s.opp()
    assert (opp.cost_estimate, opp.next_step, opp.next_step_date) == (
        Decimal("65000.00"), "Discovery call", date(2026, 2, 1))
    later = one(s.ok(ChangeOpportunityTerms, "O1", amount=Decimal("130000")),
                OpportunityTermsChanged)
    assert (later.cost_estimate, later.margin_pct, later.next_step, later.next_step_date) == (
        Decimal("65000.00"), Decimal("50.00"), "Discovery call", date(2026, 2, 1))


def test_a_cost_estimate_of_zero_is_accepted_as_a_full_margin() -> None:
    s = Scenario().org()
    s.deal(amount="100000", cost_estimate=Decimal("40000"))
    changed = one(s.ok(ChangeOpportunityTerms, "O1", cost_estimate=Decimal("0")),
                  OpportunityTermsChanged)
    assert (changed.cost_estimate, changed.margin_pct) == (Decimal("0.00"), Decimal("100.00"))


def test_a_negative_cost_estimate_change_is_refused_saying_so() -> None:
    s = Scenario().org()
    s.deal()
    assert s.refused(ChangeOpportunityTerms, "O1", cost_estimate=Decimal("-0.01")) == (
        "opportunity cost_estimate must not be negative")


def test_a_terms_change_from_an_old_log_without_cost_or_next_step_keeps_the_deals_own() -> None:
    s = Scenario().org()
    s.deal(amount="100000", cost_estimate=Decimal("70000"), next_step="Discovery call",
           next_step_date=date(2026, 1, 10))
    changed = one(s.ok(ChangeOpportunityTerms, "O1", close_date=date(2026, 4, 30)),
                  OpportunityTermsChanged)
    old = OpportunityTermsChanged.model_validate(changed.model_dump(exclude={
        "cost_estimate", "margin_pct", "next_step", "next_step_date"}))
    assert (old.cost_estimate, old.next_step, old.next_step_date) == (None, None, None)
    folded = rulebook().evolvers[old.event_type](s.opp(), old)
    assert (folded.close_date, folded.cost_estimate, folded.next_step,
            folded.next_step_date) == (date(2026, 4, 30), Decimal("70000.00"),
                                       "Discovery call", date(2026, 1, 10))


def test_a_margin_of_half_a_hundredth_rounds_up_and_a_one_rupee_deal_has_a_margin() -> None:
    assert margin_pct(Decimal("200"), Decimal("199.99")) == Decimal("0.01")  # 0.005
    assert margin_pct(Decimal("1"), Decimal("0.50")) == Decimal("50.00")
