"""Closing opportunities won or lost: what each close records and whom it credits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scenario import Scenario, of_type, one

from domain.accounts.messages import AccountRevenueRecorded
from domain.campaigns.messages import CampaignResultsUpdated, PlanCampaign
from domain.kernel.context import derive_id
from domain.opportunities.messages import (
    ChangeOpportunityStage,
    OpportunityLost,
    OpportunityStageChanged,
    OpportunityWon,
)
from domain.opportunities.stages import close_won, days_in_stage


def campaign_deal(s: Scenario, amount: str = "80000") -> None:
    s.ok(PlanCampaign, "C1", campaign_name="Expo", campaign_type="trade_show",
         start_date=date(2026, 3, 1), end_date=date(2026, 3, 31))
    s.deal(amount=amount, source_campaign_id="C1")


def test_a_deal_closed_by_an_order_takes_the_orders_amount_date_and_number() -> None:
    s = Scenario().org()
    s.deal(amount="80000")
    s.stage("O1", "proposal")
    ctx = s.context()
    close_won(ctx, "O1", amount=Decimal("91000"), order_id="SO-9", closed_by="R1",
              reason="PO received", notes="rush", on=date(2026, 3, 5))
    change, won = one(ctx.events, OpportunityStageChanged), one(ctx.events, OpportunityWon)
    assert (change.from_amount, change.to_amount, change.changed_by) == (
        Decimal("80000.00"), Decimal("91000.00"), "R1")
    assert (won.amount, won.converted_to_order_id, won.actual_close_date) == (
        Decimal("91000.00"), "SO-9", date(2026, 3, 5))
    assert (won.closed_by, won.win_loss_reason, won.win_loss_notes) == ("R1", "PO received",
                                                                        "rush")
    opp = s.opp()
    assert (opp.amount, opp.order_id, opp.actual_close_date) == (
        Decimal("91000.00"), "SO-9", date(2026, 3, 5))
    assert one(ctx.events, AccountRevenueRecorded).lifetime_value == Decimal("91000.00")


def test_closing_won_by_hand_records_who_why_and_notes() -> None:
    s = Scenario().org()
    s.deal()
    s.stage("O1", "negotiation")
    events = s.stage("O1", "closed_won", changed_by="M1", change_reason="signed",
                     win_loss_notes="3-year deal")
    won = one(events, OpportunityWon)
    assert (won.closed_by, won.win_loss_reason, won.win_loss_notes) == ("M1", "signed",
                                                                        "3-year deal")
    assert one(events, OpportunityStageChanged).changed_by == "M1"


def test_closing_lost_records_who_when_and_the_reason_given_as_change_reason() -> None:
    s = Scenario().org()
    s.deal()
    s.later(days=2)
    events = s.stage("O1", "closed_lost", changed_by="R1", change_reason="x" * 250,
                     win_loss_notes="budget frozen")
    lost = one(events, OpportunityLost)
    assert (lost.closed_by, lost.win_loss_notes) == ("R1", "budget frozen")
    assert lost.win_loss_reason == "x" * 200  # the column holds 200
    assert s.opp().actual_close_date == date(2026, 3, 4)
    history = one(events, OpportunityStageChanged)  # the stage-history row says who and why
    assert (history.to_stage, history.changed_by, history.change_reason) == (
        "closed_lost", "R1", "x" * 250)


def test_a_lost_deal_from_a_campaign_credits_the_campaign_no_revenue() -> None:
    s = Scenario().org()
    campaign_deal(s)
    events = s.stage("O1", "closed_lost", win_loss_reason="price")
    assert of_type(events, CampaignResultsUpdated) == []


def test_a_deal_won_for_nothing_adds_no_account_revenue_but_one_rupee_does() -> None:
    s = Scenario().org()
    s.deal("O1", amount="0")
    s.stage("O1", "negotiation")
    assert of_type(s.stage("O1", "closed_won"), AccountRevenueRecorded) == []
    s.deal("O2", amount="1")
    s.stage("O2", "negotiation")
    revenue = one(s.stage("O2", "closed_won"), AccountRevenueRecorded)
    assert revenue.lifetime_value == Decimal("1.00")


def test_a_stage_move_resets_the_days_counted_in_the_new_stage() -> None:
    s = Scenario().org()
    s.deal()
    s.later(days=4)
    s.stage("O1", "qualification")
    s.later(days=2, hours=23)
    change = one(s.stage("O1", "needs_analysis"), OpportunityStageChanged)
    assert change.stage_duration_days == 2
    assert change.history_id.startswith("OSH-")
    assert one(s.stage("O1", "proposal"), OpportunityStageChanged).stage_duration_days == 0
    assert days_in_stage(s.now, s.now) == 0


def test_a_stage_move_keeps_the_amount_the_deal_has_now() -> None:
    s = Scenario().org()
    s.deal(amount="5000")
    s.product("O1", "2", "1000")
    change = one(s.stage("O1", "qualification"), OpportunityStageChanged)
    assert (change.from_amount, change.to_amount) == (Decimal("2000.00"), Decimal("2000.00"))
    assert s.opp().amount == Decimal("2000.00")


def test_closing_won_by_hand_from_another_stage_is_refused_with_the_way_to_do_it() -> None:
    s = Scenario().org()
    s.deal()
    reason = s.refused(ChangeOpportunityStage, "O1", to_stage="closed_won")
    assert reason == ("opportunity O1 can close won only from negotiation or through the "
                      "ERP's sales order")


def test_a_stage_history_id_derives_from_the_command_the_deal_and_the_new_stage() -> None:
    s = Scenario().org()
    s.deal()
    change = one(s.stage("O1", "closed_lost"), OpportunityStageChanged)
    cause = s.inputs[-1].event_id  # the ChangeOpportunityStage just sent
    assert change.history_id == f"OSH-{derive_id(cause, '', 'OSH', 'O1/closed_lost')[:18]}"
