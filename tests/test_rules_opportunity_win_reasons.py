"""Why a deal was won: the owner records a reason from the picklist before the ERP's order
closes the deal, and the close keeps it (issue 14 point 10: every win reason used to be
"Sales order ... created")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scenario import Scenario, one

from domain.erp.messages import SalesOrderCreated
from domain.opportunities.messages import (
    WIN_REASONS,
    OpportunityStageChanged,
    OpportunityWinReasonRecorded,
    OpportunityWon,
    RecordWinReason,
)
from projectors.projection import merge, rows_for


def accepted() -> tuple[Scenario, str]:
    s = Scenario().org()
    s.deal()
    s.product("O1", "2", "60000", "5")  # net 114000
    return s, s.accepted_quote()


def order(s: Scenario, quote_id: str) -> list:
    return s.send(SalesOrderCreated, "SO-1", sales_order_id="SO-1", quotation_id=quote_id,
                  order_total=Decimal("134520.00"), order_date=date(2026, 3, 1))


def test_the_picklist_holds_the_reasons_buyers_give() -> None:
    assert WIN_REASONS == ("Price", "Product fit", "Relationship", "Delivery lead time",
                           "Service and support", "Incumbent supplier", "Quality")


def test_the_owner_records_a_win_reason_on_the_open_deal() -> None:
    s, _ = accepted()
    recorded = one(s.ok(RecordWinReason, "O1", win_loss_reason="Price",
                        win_loss_notes="Won against Orion Gears at 12 % off",
                        recorded_by="R1"), OpportunityWinReasonRecorded)
    assert (recorded.aggregate_id, recorded.win_loss_reason, recorded.win_loss_notes,
            recorded.recorded_by) == ("O1", "Price", "Won against Orion Gears at 12 % off",
                                      "R1")
    assert (s.opp().win_reason, s.opp().win_notes, s.opp().stage) == (
        "Price", "Won against Orion Gears at 12 % off", "proposal")


def test_the_erps_order_closes_the_deal_with_the_recorded_reason_not_the_order() -> None:
    s, quote_id = accepted()
    s.ok(RecordWinReason, "O1", win_loss_reason="Delivery lead time",
         win_loss_notes="Delivery before the shutdown")
    events = order(s, quote_id)
    won = one(events, OpportunityWon)
    assert (won.win_loss_reason, won.win_loss_notes, won.converted_to_order_id) == (
        "Delivery lead time", "Delivery before the shutdown", "SO-1")
    (row,) = merge(rows_for(events))["opportunities"]
    assert (row.values["win_loss_reason"], row.values["win_loss_notes"],
            row.values["win_loss_status"]) == ("Delivery lead time",
                                               "Delivery before the shutdown", "won")
    # the stage-history row says what moved the stage: the order
    assert one(events, OpportunityStageChanged).change_reason == "Sales order SO-1 created"


def test_a_later_reason_replaces_the_earlier_and_the_same_again_changes_nothing() -> None:
    s, quote_id = accepted()
    s.ok(RecordWinReason, "O1", win_loss_reason="Price")
    assert one(s.ok(RecordWinReason, "O1", win_loss_reason="Quality"),
               OpportunityWinReasonRecorded).win_loss_reason == "Quality"
    assert s.ok(RecordWinReason, "O1", win_loss_reason="Quality") == []
    assert one(order(s, quote_id), OpportunityWon).win_loss_reason == "Quality"


def test_a_reason_outside_the_picklist_is_refused() -> None:
    s, _ = accepted()
    assert s.refused(RecordWinReason, "O1", win_loss_reason="price") == (
        "win_loss_reason 'price' is not one of Price, Product fit, Relationship, "
        "Delivery lead time, Service and support, Incumbent supplier, Quality")
    assert s.opp().win_reason is None


def test_a_closed_deal_takes_no_win_reason() -> None:
    s, quote_id = accepted()
    order(s, quote_id)
    assert "closed" in s.refused(RecordWinReason, "O1", win_loss_reason="Price")
    assert "unknown opportunity O9" in s.refused(RecordWinReason, "O9",
                                                 win_loss_reason="Price")


def test_a_reps_own_close_carries_the_recorded_reason_and_keeps_the_move_reason() -> None:
    s, _ = accepted()
    s.ok(RecordWinReason, "O1", win_loss_reason="Relationship", win_loss_notes="Ten years")
    s.stage("O1", "negotiation")
    events = s.stage("O1", "closed_won", change_reason="PO received by e-mail")
    won = one(events, OpportunityWon)
    assert (won.win_loss_reason, won.win_loss_notes) == ("Relationship", "Ten years")
    assert one(events, OpportunityStageChanged).change_reason == "PO received by e-mail"


def test_a_deal_without_a_recorded_reason_is_won_for_the_reason_of_its_close() -> None:
    s, quote_id = accepted()
    won = one(order(s, quote_id), OpportunityWon)
    assert (won.win_loss_reason, won.win_loss_notes) == ("Sales order SO-1 created", None)
