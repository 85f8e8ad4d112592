"""What an opportunity keeps from each change, and the reasons its rules refuse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from scenario import T0, Scenario, one

from domain.kernel.context import Rejected
from domain.kernel.messages import utc
from domain.opportunities.deals import open_opportunity
from domain.opportunities.figures import price_line
from domain.opportunities.messages import (
    AddOpportunityProduct,
    ChangeOpportunityTerms,
    NoteOpportunityCompetitor,
    OpenOpportunity,
    OpportunityCreated,
    OpportunityProductAdded,
    OpportunityTermsChanged,
)
from projectors.projection import rows_for


def test_the_unit_price_keeps_four_decimals_and_the_line_total_two() -> None:
    assert price_line(Decimal("1"), Decimal("100.0001"), Decimal("33.33")) == (
        Decimal("66.6701"), Decimal("66.67"))


def test_an_opportunity_keeps_its_number_contact_category_and_ids() -> None:
    s = Scenario().org()
    created = one(s.deal(primary_contact_id="K1", product_category="Spindles"),
                  OpportunityCreated)
    assert created.history_id.startswith("OSH-")
    assert (created.budget_confirmed, created.decision_maker_identified) == (False, False)
    opp = s.opp()
    assert (opp.opportunity_number, opp.primary_contact_id, opp.product_category) == (
        "OPP-000001", "K1", "Spindles")


def test_a_product_line_is_kept_whole_on_the_opportunity() -> None:
    s = Scenario().org()
    s.deal()
    added = one(s.ok(AddOpportunityProduct, "O1", product_name="CNC spindle",
                     product_description="5-axis", quantity=Decimal(1),
                     list_price=Decimal(1000), discount_pct=Decimal(10),
                     required_date=date(2026, 4, 15)), OpportunityProductAdded)
    assert added.opp_product_id.startswith("OPL-")
    (line,) = s.opp().products
    assert (line.line_number, line.product_description, line.unit_price,
            line.required_date) == (1, "5-axis", Decimal("900.0000"), date(2026, 4, 15))


def test_a_terms_change_history_id_is_a_stage_history_id() -> None:
    s = Scenario().org()
    s.deal()
    changed = one(s.ok(ChangeOpportunityTerms, "O1", close_date=date(2026, 5, 1)),
                  OpportunityTermsChanged)
    assert changed.history_id.startswith("OSH-")


def test_an_amount_may_be_set_to_zero_but_not_below() -> None:
    s = Scenario().org()
    s.deal()
    assert one(s.ok(ChangeOpportunityTerms, "O1", amount=Decimal("0")),
               OpportunityTermsChanged).amount == Decimal("0.00")
    assert s.refused(ChangeOpportunityTerms, "O1", amount=Decimal("-1")) == (
        "opportunity amount must not be negative")


def test_each_refusal_says_why() -> None:
    s = Scenario().org()
    ctx = s.context()
    with pytest.raises(Rejected, match="^opportunity amount must not be negative$"):
        open_opportunity(ctx, "O9", opportunity_name="x", account_id="A1",
                         amount=Decimal("-5"), close_date=date(2026, 4, 1))
    assert s.refused(ChangeOpportunityTerms, "O9", close_date=date(2026, 4, 1)) == (
        "unknown opportunity O9")
    s.deal()
    assert s.refused(ChangeOpportunityTerms, "O1") == (
        "nothing to change: give an amount, close date, cost or next step")
    assert s.refused(NoteOpportunityCompetitor, "O1", competitor_name="  ") == (
        "competitor_name is empty")
    s.stage("O1", "closed_lost")
    assert s.refused(ChangeOpportunityTerms, "O1", close_date=date(2026, 4, 1)) == (
        "opportunity O1 is closed (closed_lost)")


def test_a_migrated_deal_keeps_its_original_creation_date_as_salesforce_audit_fields_do() -> None:
    s = Scenario().org()  # go-live: 2 March 2026, 09:00 UTC
    opened = utc(2025, 12, 10, 6, 30)
    created = one(s.deal(original_created_at=opened, created_by="data-migration"),
                  OpportunityCreated)
    assert created.original_created_at == opened
    assert (s.opp().created_at, s.opp().stage_entered_at) == (opened, T0)
    rows = {up.table: up.values for up in rows_for([created])}
    assert rows["opportunities"]["created_at"] == opened
    assert "original_created_at" not in rows["opportunities"]  # no such column
    assert rows["opportunity_stage_history"]["changed_at"] == T0  # known since go-live


def test_a_deal_opened_in_the_crm_is_created_when_it_is_opened() -> None:
    s = Scenario().org()
    created = one(s.deal(), OpportunityCreated)
    assert created.original_created_at is None
    assert s.opp().created_at == T0
    rows = {up.table: up.values for up in rows_for([created])}
    assert rows["opportunities"]["created_at"] == T0


def test_an_original_creation_date_in_the_future_is_refused() -> None:
    s = Scenario().org()
    assert s.refused(OpenOpportunity, "O9", opportunity_name="x", account_id="A1",
                     amount=Decimal(1), close_date=date(2026, 4, 1),
                     original_created_at=utc(2026, 3, 2, 9, 30)) == (
        "opportunity O9: original_created_at 2026-03-02 09:30 is in the future")


def test_a_product_lines_id_derives_from_the_cause_deal_and_line_number() -> None:
    s = Scenario().org()
    s.deal()
    ids = [one(s.product("O1", qty, "1000"), OpportunityProductAdded).opp_product_id
           for qty in ("1", "2")]
    # ids derive from the cause (a replay must derive the same ones): pinned literally
    assert ids == ["OPL-7a0d00d8-7ca5-58e4", "OPL-fdc1936d-7007-58a0"]


def test_a_terms_change_history_id_derives_from_the_cause_deal_and_version() -> None:
    s = Scenario().org()
    s.deal()
    ids = [one(s.ok(ChangeOpportunityTerms, "O1", **change), OpportunityTermsChanged).history_id
           for change in ({"amount": Decimal("150000")}, {"close_date": date(2026, 4, 30)})]
    # ids derive from the cause (a replay must derive the same ones): pinned literally
    assert ids == ["OSH-780d1024-492f-5529", "OSH-7d9bff6b-682b-5a60"]


def test_a_new_deals_first_history_id_derives_from_the_cause_and_the_deal() -> None:
    s = Scenario().org()
    ids = [one(s.deal(opp_id), OpportunityCreated).history_id for opp_id in ("O1", "O2")]
    # ids derive from the cause (a replay must derive the same ones): pinned literally
    assert ids == ["OSH-41ba7983-68b3-566a", "OSH-79f3b370-ca0b-51e1"]


def test_a_deal_opened_by_another_rule_has_no_bant_facts_unless_given() -> None:
    s = Scenario().org()
    (created,) = s.run(lambda ctx: open_opportunity(
        ctx, "O9", opportunity_name="Renewal", account_id="A1", amount=Decimal("50000"),
        close_date=date(2026, 4, 1)))
    assert (created.budget_confirmed, created.decision_maker_identified) == (False, False)


def test_a_deal_opened_with_a_zero_cost_has_a_full_margin_and_a_negative_one_is_refused() -> None:
    s = Scenario().org()
    created = one(s.deal(cost_estimate=Decimal("0")), OpportunityCreated)
    assert (created.cost_estimate, created.margin_pct) == (Decimal("0.00"), Decimal("100.00"))
    with pytest.raises(Rejected, match="^opportunity cost_estimate must not be negative$"):
        open_opportunity(s.context(), "O9", opportunity_name="x", account_id="A1",
                         amount=Decimal("5"), close_date=date(2026, 4, 1),
                         cost_estimate=Decimal("-0.01"))


def test_a_migrated_deal_may_have_been_created_at_the_very_moment_it_is_migrated() -> None:
    s = Scenario().org()
    created = one(s.deal(original_created_at=T0), OpportunityCreated)
    assert (created.original_created_at, s.opp().created_at) == (T0, T0)
