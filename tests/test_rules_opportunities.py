"""Opportunity rules: opening, products, stage moves and their bands, closing won or lost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from scenario import Scenario, of_type, one

from domain.accounts.messages import AccountRevenueRecorded
from domain.campaigns.messages import CampaignResultsUpdated, PlanCampaign
from domain.kernel.context import Rejected
from domain.kernel.messages import Event, utc
from domain.opportunities.deals import open_opportunity
from domain.opportunities.figures import (
    describe_change,
    forecast_category_for,
    stage_forecast_category,
)
from domain.opportunities.messages import (
    ChangeOpportunityStage,
    ChangeOpportunityTerms,
    HistoryFields,
    NoteOpportunityCompetitor,
    OpenOpportunity,
    OpportunityCompetitorNoted,
    OpportunityCreated,
    OpportunityLost,
    OpportunityProductAdded,
    OpportunityStageChanged,
    OpportunityTermsChanged,
    OpportunityWon,
)
from domain.opportunities.stages import days_in_stage, stage_move_refusal
from domain.opportunities.terms import change_opportunity_terms
from domain.quotes.messages import QuoteCreated, QuoteLineInput, ReviseQuote
from domain.rules_config import OpportunityRules
from domain.sales_org.messages import RepPerformanceUpdated
from projectors.projection import merge, rows_for

RULES = OpportunityRules()


def projected(event: Event, table: str) -> dict[str, Any]:
    """The values the projection writes to `table` for one event (exactly one row)."""
    (row,) = merge(rows_for([event]))[table]
    return {**dict(row.key), **row.values}


def history_rows(event: Event) -> list[dict[str, Any]]:
    """The opportunity_stage_history rows one event projects to."""
    return [{**dict(u.key), **u.values}
            for u in merge(rows_for([event])).get("opportunity_stage_history", [])]


@pytest.mark.parametrize(("probability", "category"), [
    (0, "pipeline"), (25, "pipeline"), (26, "best_case"), (75, "best_case"),
    (76, "commit"), (99, "commit"), (100, "closed"),
])
def test_forecast_category_bands_are_inclusive_at_their_upper_edge(
        probability: int, category: str) -> None:
    assert forecast_category_for(probability, RULES) == category


@pytest.mark.parametrize(("stage", "category"), [
    ("prospecting", "pipeline"), ("qualification", "pipeline"),
    ("needs_analysis", "best_case"), ("proposal", "best_case"), ("negotiation", "commit"),
    ("closed_won", "closed"), ("closed_lost", "omitted"),
])
def test_each_stage_has_the_category_of_its_probability_and_lost_deals_are_omitted(
        stage: str, category: str) -> None:
    assert stage_forecast_category(stage, RULES) == category


@pytest.mark.parametrize("from_stage", ["prospecting", "proposal", "negotiation"])
def test_a_deal_closed_lost_is_forecast_omitted_never_closed(from_stage: str) -> None:
    s = Scenario().org()
    s.deal(amount="50000")
    if from_stage != "prospecting":
        s.stage("O1", from_stage)
    change = one(s.stage("O1", "closed_lost", win_loss_reason="price"),
                 OpportunityStageChanged)
    assert (change.forecast_category, change.to_probability) == ("omitted", 0)
    assert change.expected_revenue == Decimal("0.00")
    assert s.opp().forecast_category == "omitted"
    row = projected(change, "opportunities")
    assert row["forecast_category"] == "omitted"


def test_a_lost_deal_from_an_old_log_that_says_closed_projects_as_omitted() -> None:
    s = Scenario().org()
    s.deal(amount="50000")
    change = one(s.stage("O1", "closed_lost"), OpportunityStageChanged)
    old = change.model_copy(update={"forecast_category": "closed"})
    assert projected(old, "opportunities")["forecast_category"] == "omitted"


def test_a_deal_closed_won_stays_forecast_closed() -> None:
    s = Scenario().org()
    s.deal(amount="50000")
    s.stage("O1", "negotiation")
    change = one(s.stage("O1", "closed_won"), OpportunityStageChanged)
    assert (change.forecast_category, s.opp().forecast_category) == ("closed", "closed")
    assert projected(change, "opportunities")["forecast_category"] == "closed"


def test_opening_an_opportunity_starts_in_prospecting_with_probability_10() -> None:
    s = Scenario().org()
    created = one(s.deal(amount="250000"), OpportunityCreated)
    assert created.opportunity_number == "OPP-000001"
    assert (created.stage, created.probability_pct, created.forecast_category) == (
        "prospecting", 10, "pipeline")
    assert created.expected_revenue == Decimal("25000.00")
    assert created.history_id
    assert one(s.deal("O2"), OpportunityCreated).opportunity_number == "OPP-000002"


def test_an_opportunity_id_in_use_is_refused() -> None:
    s = Scenario().org()
    s.deal()
    reason = s.refused(OpenOpportunity, "O1", opportunity_name="x", account_id="A1",
                       amount=Decimal(1), close_date=date(2026, 4, 1))
    assert reason == "opportunity O1 already exists"


def test_open_opportunity_refuses_values_that_break_the_columns() -> None:
    s = Scenario().org()
    ctx = s.context()
    with pytest.raises(Rejected, match="^opportunity O9: String should have at most 100"):
        open_opportunity(ctx, "O9", opportunity_name="x", account_id="A1", amount=Decimal(1),
                         close_date=date(2026, 4, 1), product_category="p" * 101)
    with pytest.raises(Rejected, match="unknown opportunity_type 'resale'"):
        open_opportunity(ctx, "O9", opportunity_name="x", account_id="A1", amount=Decimal(1),
                         close_date=date(2026, 4, 1), opportunity_type="resale")


def test_opening_from_a_campaign_counts_an_opportunity_created_for_it() -> None:
    s = Scenario().org()
    s.ok(PlanCampaign, "C1", campaign_name="Expo", campaign_type="trade_show",
         start_date=date(2026, 3, 1), end_date=date(2026, 3, 31))
    results = one(s.deal(source_campaign_id="C1"), CampaignResultsUpdated)
    assert results.opportunities_created == 1


def test_products_set_the_amount_to_the_sum_of_their_line_totals() -> None:
    s = Scenario().org()
    s.deal(amount="999999")
    first = one(s.product("O1", "2", "1000.50", "10"), OpportunityProductAdded)
    assert (first.unit_price, first.line_total, first.amount) == (
        Decimal("900.4500"), Decimal("1800.90"), Decimal("1800.90"))
    second = one(s.product("O1", "1", "200"), OpportunityProductAdded)
    assert second.line_number == 2
    assert second.amount == Decimal("2000.90")
    assert second.expected_revenue == Decimal("200.09")
    assert s.opp().amount == Decimal("2000.90")


def test_the_amount_of_a_deal_with_products_cannot_be_set_by_hand() -> None:
    s = Scenario().org()
    s.deal()
    s.product("O1", "1", "500")
    reason = s.refused(ChangeOpportunityTerms, "O1", amount=Decimal("7"))
    assert reason == "opportunity O1 amount follows its product lines"
    s.ok(ChangeOpportunityTerms, "O1", close_date=date(2026, 4, 30))
    assert s.opp().close_date == date(2026, 4, 30)


def test_a_close_date_move_is_a_history_row_showing_the_slip() -> None:
    s = Scenario().org()
    s.deal(amount="200000", close=date(2026, 3, 20))
    s.stage("O1", "needs_analysis")
    s.later(days=5)
    changed = one(s.ok(ChangeOpportunityTerms, "O1", close_date=date(2026, 4, 30),
                       changed_by="R1"), OpportunityTermsChanged)
    assert (changed.close_date, changed.from_close_date) == (date(2026, 4, 30),
                                                            date(2026, 3, 20))
    (row,) = history_rows(changed)
    assert row["history_id"] == changed.history_id and row["opportunity_id"] == "O1"
    assert (row["from_stage"], row["to_stage"]) == ("needs_analysis", "needs_analysis")
    assert (row["from_close_date"], row["to_close_date"]) == (date(2026, 3, 20),
                                                              date(2026, 4, 30))
    assert row["from_amount"] == row["to_amount"] == Decimal("200000.00")
    assert row["from_probability"] == row["to_probability"] == 40
    assert (row["change_reason"], row["changed_by"]) == ("Close date +41 days", "R1")
    assert row["stage_duration_days"] is None  # no stage was left
    assert row["changed_at"] == s.now


def test_an_amount_change_is_a_history_row_with_both_amounts() -> None:
    s = Scenario().org()
    s.deal(amount="200000", close=date(2026, 3, 20))
    changed = one(s.ok(ChangeOpportunityTerms, "O1", amount=Decimal("150000"),
                       close_date=date(2026, 3, 13), change_reason="scope cut"),
                  OpportunityTermsChanged)
    (row,) = history_rows(changed)
    assert (row["from_amount"], row["to_amount"]) == (Decimal("200000.00"),
                                                      Decimal("150000.00"))
    assert (row["from_close_date"], row["to_close_date"]) == (date(2026, 3, 20),
                                                              date(2026, 3, 13))
    assert (row["from_stage"], row["change_reason"]) == ("prospecting", "scope cut")
    assert s.opp().amount == Decimal("150000.00")


def test_the_default_reason_says_what_changed_and_by_how_much() -> None:
    assert describe_change(Decimal("200000"), Decimal("150000.5"), date(2026, 3, 20),
                           date(2026, 3, 13)) == (
        "Close date -7 days; Amount 200000.00 -> 150000.50")
    assert describe_change(Decimal(1), Decimal(2), date(2026, 1, 1), date(2026, 1, 1)) == (
        "Amount 1.00 -> 2.00")
    assert describe_change(Decimal(1), Decimal(1), date(2026, 1, 1), date(2026, 1, 1)) == (
        "No change")


def test_terms_equal_to_the_current_ones_change_nothing_and_write_no_row() -> None:
    s = Scenario().org()
    s.deal(amount="200000", close=date(2026, 3, 20))
    assert s.ok(ChangeOpportunityTerms, "O1", amount=Decimal("200000.00"),
                close_date=date(2026, 3, 20)) == []


def test_every_change_of_one_deal_gets_a_history_row_of_its_own() -> None:
    s = Scenario().org()
    s.deal(amount="200000", close=date(2026, 3, 20))
    ids = {one(s.ok(ChangeOpportunityTerms, "O1", close_date=date(2026, 4, n)),
               OpportunityTermsChanged).history_id for n in (1, 2, 1)}
    created = one(s.events, OpportunityCreated).history_id
    assert len(ids) == 3 and created not in ids


def test_a_product_line_that_changes_the_amount_is_a_history_row() -> None:
    s = Scenario().org()
    s.deal(amount="999999", close=date(2026, 3, 20))
    first = one(s.product("O1", "2", "1000.50", "10"), OpportunityProductAdded)
    (row,) = history_rows(first)
    assert (row["from_amount"], row["to_amount"]) == (Decimal("999999.00"),
                                                      Decimal("1800.90"))
    assert row["from_close_date"] == row["to_close_date"] == date(2026, 3, 20)
    assert (row["to_stage"], row["to_probability"], row["change_reason"]) == (
        "prospecting", 10, "Product line 1 added")
    free = one(s.product("O1", "1", "0"), OpportunityProductAdded)
    assert free.history_id is None and history_rows(free) == []


def test_a_synced_quote_amount_goes_through_the_terms_rule_with_its_row() -> None:
    s = Scenario().org()
    s.deal(amount="200000", close=date(2026, 3, 20))
    ctx = s.context()
    change_opportunity_terms(ctx, "O1", amount=Decimal("176000"), changed_by="R1",
                             reason="Primary quote QUO-000001")
    (changed,) = ctx.events
    (row,) = history_rows(changed)
    assert (row["from_amount"], row["to_amount"], row["change_reason"]) == (
        Decimal("200000.00"), Decimal("176000.00"), "Primary quote QUO-000001")


def test_a_revised_quote_that_changes_the_amount_is_a_history_row() -> None:
    s = Scenario().org()
    s.deal(amount="1", close=date(2026, 3, 20))
    s.product("O1", "2", "40000", "25")
    quote_id = s.to_proposal("O1")
    events = s.ok(ReviseQuote, quote_id, lines=[QuoteLineInput(
        product_name="CNC spindle", quantity=Decimal(2), list_price=Decimal(40000),
        discount_pct=Decimal(5))])
    (row,) = history_rows(one(events, OpportunityTermsChanged))
    assert (row["from_stage"], row["to_stage"], row["from_amount"], row["to_amount"]) == (
        "proposal", "proposal", Decimal("60000.00"), Decimal("76000.00"))


def test_an_event_from_an_old_log_without_history_fields_writes_no_history_row() -> None:
    s = Scenario().org()
    s.deal(amount="200000", close=date(2026, 3, 20))
    changed = one(s.ok(ChangeOpportunityTerms, "O1", close_date=date(2026, 4, 30)),
                  OpportunityTermsChanged)
    old = OpportunityTermsChanged.model_validate(changed.model_dump(exclude=set(
        HistoryFields.model_fields)))
    assert history_rows(old) == []
    assert projected(old, "opportunities")["close_date"] == date(2026, 4, 30)


def test_a_competitor_is_listed_once_with_our_latest_position() -> None:
    s = Scenario().org()
    s.deal()
    s.ok(NoteOpportunityCompetitor, "O1", competitor_name="Fanuc",
         competitive_position="competitive")
    noted = one(s.ok(NoteOpportunityCompetitor, "O1", competitor_name="fanuc ",
                     competitive_position="behind"), OpportunityCompetitorNoted)
    assert noted.competitors == ["Fanuc"]
    assert noted.competitive_position == "behind"


def test_stages_may_move_forward_and_backward_among_open_stages() -> None:
    s = Scenario().org()
    s.deal()
    for stage in ("needs_analysis", "qualification", "negotiation", "prospecting"):
        assert one(s.stage("O1", stage), OpportunityStageChanged).to_stage == stage
    assert s.opp().probability == 10


def test_a_stage_change_records_from_and_to_values_in_a_history_row() -> None:
    s = Scenario().org()
    s.deal(amount="200000", close=date(2026, 5, 1))
    s.later(days=3)
    change = one(s.stage("O1", "needs_analysis", change_reason="demo done",
                         changed_by="R1"), OpportunityStageChanged)
    assert (change.from_stage, change.to_stage) == ("prospecting", "needs_analysis")
    assert (change.from_probability, change.to_probability) == (10, 40)
    assert change.from_amount == change.to_amount == Decimal("200000.00")
    assert change.from_close_date == change.to_close_date == date(2026, 5, 1)
    assert change.stage_duration_days == 3
    assert (change.forecast_category, change.expected_revenue) == ("best_case",
                                                                   Decimal("80000.00"))
    assert (change.change_reason, change.changed_by) == ("demo done", "R1")


def test_stage_duration_counts_whole_days_across_a_month_boundary() -> None:
    assert days_in_stage(utc(2026, 1, 30, 10), utc(2026, 2, 2, 9, 59)) == 2
    assert days_in_stage(utc(2026, 1, 30, 10), utc(2026, 2, 2, 10)) == 3
    s = Scenario(start=utc(2026, 1, 31, 12)).org()
    s.deal()
    s.at(utc(2026, 3, 1, 11))
    assert one(s.stage("O1", "qualification"), OpportunityStageChanged
               ).stage_duration_days == 28


@pytest.mark.parametrize("closed", ["closed_won", "closed_lost"])
@pytest.mark.parametrize("target", ["prospecting", "negotiation", "closed_won", "closed_lost"])
def test_nothing_leaves_a_closed_stage(closed: str, target: str) -> None:
    s = Scenario().org()
    s.deal()
    s.stage("O1", "negotiation")
    s.stage("O1", closed)
    reason = s.refused(ChangeOpportunityStage, "O1", to_stage=target)
    assert reason == f"opportunity O1 is closed ({closed})"


def test_closed_won_by_hand_is_allowed_only_from_negotiation() -> None:
    s = Scenario().org()
    s.deal()
    s.stage("O1", "proposal")
    reason = s.refused(ChangeOpportunityStage, "O1", to_stage="closed_won")
    assert "only from negotiation" in reason
    assert stage_move_refusal("negotiation", "closed_won") is None
    assert stage_move_refusal("negotiation", "negotiation") == "is already in stage negotiation"


def test_closing_lost_from_any_open_stage_records_reason_and_competitor() -> None:
    s = Scenario().org()
    s.deal(amount="50000")
    events = s.stage("O1", "closed_lost", win_loss_reason="price", lost_to_competitor="Fanuc",
                     changed_by="R1")
    lost = one(events, OpportunityLost)
    assert (lost.win_loss_reason, lost.lost_to_competitor) == ("price", "Fanuc")
    assert lost.actual_close_date == s.now.date()
    assert one(events, OpportunityStageChanged).to_probability == 0
    perf = owners_figures(events)
    assert (perf.ytd_deals_closed, perf.ytd_revenue, perf.win_rate_pct) == (0, 0, 0)
    assert not of_type(events, AccountRevenueRecorded)


def test_closing_won_from_negotiation_credits_rep_account_and_campaign() -> None:
    s = Scenario().org()
    s.ok(PlanCampaign, "C1", campaign_name="Expo", campaign_type="trade_show",
         start_date=date(2026, 3, 1), end_date=date(2026, 3, 31))
    s.deal(amount="80000", source_campaign_id="C1")
    s.stage("O1", "negotiation")
    events = s.stage("O1", "closed_won", changed_by="M1", win_loss_reason="best fit")
    won = one(events, OpportunityWon)
    assert (won.amount, won.closed_by, won.converted_to_order_id) == (
        Decimal("80000.00"), "M1", None)
    assert owners_figures(events).ytd_revenue == Decimal("80000.00")
    assert one(events, AccountRevenueRecorded).lifetime_value == Decimal("80000.00")
    assert one(events, CampaignResultsUpdated).total_revenue == Decimal("80000.00")
    assert s.opp().is_closed


def test_moving_to_proposal_generates_one_quote_while_it_is_live() -> None:
    s = Scenario().org()
    s.deal()
    assert len(of_type(s.stage("O1", "proposal"), QuoteCreated)) == 1
    s.stage("O1", "needs_analysis")
    assert of_type(s.stage("O1", "proposal"), QuoteCreated) == []


def owners_figures(events: list[Event]) -> RepPerformanceUpdated:
    """The owner's (R1's) performance update (managers' roll-ups come with it)."""
    (perf,) = [e for e in of_type(events, RepPerformanceUpdated) if e.aggregate_id == "R1"]
    return perf


def test_changes_to_an_unknown_opportunity_are_refused() -> None:
    s = Scenario().org()
    assert s.refused(ChangeOpportunityStage, "NOPE", to_stage="qualification") == (
        "unknown opportunity NOPE")
