"""Projections of deals, quotes, the ERP integration log and forecasts on a real
PostgreSQL: the rows each table gets, and redelivery.

One scenario drives every event type of the opportunity, quote, integration, forecast and
sales_order aggregates through the domain; their events are projected with
`projectors.writer.apply_events`, checked table by table, then delivered again.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from scenario import Scenario, of_type, one
from support import project

from domain.erp.messages import SalesOrderCreated, SalesOrderRejected
from domain.forecasts.calls import accuracy
from domain.forecasts.messages import ForecastCalled, ForecastSnapshotTaken
from domain.kernel.messages import Event, utc
from domain.opportunities.messages import ChangeOpportunityTerms, NoteOpportunityCompetitor
from domain.quotes.messages import (
    AcceptQuote,
    AcknowledgeQuote,
    DecideQuoteApproval,
    QuoteCreated,
    QuoteLineInput,
    ReviewQuote,
    ReviseQuote,
    SendQuote,
)
from domain.rules_config import BusinessRules

pytestmark = pytest.mark.integration

FORECAST_RULES = BusinessRules.from_mapping(
    {"fiscal": {"monthly_call_offset_days": 14, "forecast_warmup_days": 0}})
AGGREGATES = {"opportunity", "quote", "integration", "forecast", "sales_order"}
TABLES = {
    "opportunities": "opportunity_id", "opportunity_stage_history": "history_id",
    "opportunity_products": "opp_product_id", "quotations": "quotation_id",
    "quotation_lines": "quote_line_id", "quotation_approvals": "approval_id",
    "crm_integration_log": "log_id", "sales_forecasts": "forecast_id",
    "crm_forecasting.sales_forecast_snapshots": "snapshot_id",  # docs/read-model-extensions.md
}


def _name(table: str) -> str:
    """A (schema-)qualified table name, quoted."""
    return ".".join(f'"{part}"' for part in table.split("."))


def lifecycle() -> tuple[Scenario, dict[str, str]]:
    """Won through the ERP after an approval rejection, a revision and a retry; a lost
    deal; an expired quote; weekly forecast snapshots and March's call (mid-month, no
    warm-up, so this short history has one)."""
    s = Scenario(rules=FORECAST_RULES).org()
    s.deal("O1", "1", close=date(2026, 3, 27))
    s.product("O1", "2", "40000", "25")
    s.product("O1", "5", "1000")
    s.ok(NoteOpportunityCompetitor, "O1", competitor_name="Fanuc",
         competitive_position="competitive")
    s.ok(ChangeOpportunityTerms, "O1", close_date=date(2026, 3, 31))
    s.later(days=1)
    q1 = s.to_proposal("O1")
    s.ok(DecideQuoteApproval, q1, level=1, decision="approved", approver="M1")
    s.ok(DecideQuoteApproval, q1, level=2, decision="rejected", approver="D1",
         comments="Too deep; 'quote' me \"5 %\"")
    q2 = one(s.ok(ReviseQuote, q1, lines=[
        QuoteLineInput(product_name="CNC spindle", material_id="MAT-1", quantity=Decimal(2),
                       unit_of_measure="EA", list_price=Decimal(40000),
                       discount_pct=Decimal(5), delivery_lead_time_days=21)]),
        QuoteCreated).aggregate_id
    for cmd in (SendQuote, AcknowledgeQuote, ReviewQuote, AcceptQuote):
        s.later(hours=2).ok(cmd, q2)
    s.later(hours=1).ok(SalesOrderRejected, q2, quotation_id=q2, reason="credit hold")
    s.tick(s.now + timedelta(minutes=30))  # the first retry is due
    s.later(hours=1).ok(SalesOrderCreated, "SO-77", sales_order_id="SO-77", quotation_id=q2,
                        order_total=Decimal("89680.00"), order_date=s.now.date())
    s.deal("O2", "70000", owner="R2")
    s.stage("O2", "closed_lost", win_loss_reason="price", lost_to_competitor="Fanuc")
    s.deal("O3", "30000", owner="R2", close=date(2026, 4, 15))
    q3 = s.to_proposal("O3")
    s.tick(utc(2026, 3, 9))
    s.tick(utc(2026, 3, 16))  # March's forecast is called
    s.tick(utc(2026, 4, 10))  # March closes
    return s, {"q1": q1, "q2": q2, "q3": q3}


def deal_events(s: Scenario) -> list[Event]:
    """The events of AGGREGATES (the other projections have tests of their own)."""
    return [e for e in s.events if e.aggregate_type in AGGREGATES]


def rows(engine: sa.Engine, table: str, where: str = "TRUE", **params: Any
         ) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(sa.text(
            f'SELECT * FROM {_name(table)} WHERE {where} ORDER BY "{TABLES[table]}"'), params)
        return [dict(r._mapping) for r in result]


def snapshot(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    return {table: rows(engine, table) for table in TABLES}


def test_opportunity_rows_stage_history_and_products(engine: sa.Engine) -> None:
    s, q = lifecycle()
    project(engine, deal_events(s))
    o1, o2, o3 = rows(engine, "opportunities")
    assert (o1["opportunity_number"], o1["stage"], o1["probability_pct"],
            o1["forecast_category"]) == ("OPP-000001", "closed_won", 100, "closed")
    assert (o1["amount"], o1["expected_revenue"]) == (Decimal("76000.00"), Decimal("76000.00"))
    assert (o1["win_loss_status"], o1["is_closed"], o1["converted_to_order_id"]) == (
        "won", True, "SO-77")
    assert o1["close_date"] == date(2026, 3, 31) and o1["actual_close_date"] is not None
    assert json.loads(o1["competitors"]) == ["Fanuc"]
    assert o1["competitive_position"] == "competitive"
    assert o1["converted_to_quote_id"] == q["q2"]
    assert o1["created_at"] == datetime(2026, 3, 2, 9) and o1["closed_at"] is not None
    assert (o2["stage"], o2["win_loss_status"], o2["win_loss_reason"],
            o2["lost_to_competitor"], o2["probability_pct"], o2["forecast_category"]) == (
        "closed_lost", "lost", "price", "Fanuc", 0, "omitted")
    assert (o3["stage"], o3["win_loss_status"], o3["is_closed"]) == ("proposal", "pending",
                                                                    False)
    history = rows(engine, "opportunity_stage_history", "opportunity_id = :o", o="O1")
    assert {(h["from_stage"], h["to_stage"]) for h in history
            if h["from_stage"] != h["to_stage"]} == {
        (None, "prospecting"), ("prospecting", "qualification"),
        ("qualification", "needs_analysis"), ("needs_analysis", "proposal"),
        ("proposal", "closed_won")}
    # amount and close-date changes are rows too, in the stage the deal stayed in
    in_prospecting = sorted((h for h in history if h["from_stage"] == h["to_stage"]
                             == "prospecting"), key=lambda h: (h["to_amount"],
                                                               h["to_close_date"]))
    assert [(h["from_amount"], h["to_amount"], h["from_close_date"], h["to_close_date"],
             h["change_reason"], h["stage_duration_days"]) for h in in_prospecting] == [
        (Decimal("1.00"), Decimal("60000.00"), date(2026, 3, 27), date(2026, 3, 27),
         "Product line 1 added", None),
        (Decimal("60000.00"), Decimal("65000.00"), date(2026, 3, 27), date(2026, 3, 27),
         "Product line 2 added", None),
        (Decimal("65000.00"), Decimal("65000.00"), date(2026, 3, 27), date(2026, 3, 31),
         "Close date +4 days", None)]
    first = next(h for h in history if h["from_stage"] is None)
    assert first["stage_duration_days"] is None and first["to_probability"] == 10
    to_qual = next(h for h in history if h["to_stage"] == "qualification")
    assert to_qual["stage_duration_days"] == 1
    # The synced (revised, won) quote's line rewrote line 1 in place; its sum is the amount.
    # The revision has one line: the row of the deal's line 2 is deleted.
    products = rows(engine, "opportunity_products", "opportunity_id = :o", o="O1")
    assert [(p["line_number"], p["line_total"], p["unit_price"], p["discount_pct"])
            for p in products] == [
        (1, Decimal("76000.00"), Decimal("38000.0000"), Decimal("5.00"))]
    # A deal quoted without products gets the quote's one line as its product line.
    assert [(p["line_number"], p["product_name"], p["line_total"]) for p in rows(
        engine, "opportunity_products", "opportunity_id = :o", o="O3")] == [
        (1, "Deal O3", Decimal("30000.00"))]


def test_quotation_rows_lines_and_approvals(engine: sa.Engine) -> None:
    s, q = lifecycle()
    project(engine, deal_events(s))
    by_id = {r["quotation_id"]: r for r in rows(engine, "quotations")}
    q1, q2, q3 = by_id[q["q1"]], by_id[q["q2"]], by_id[q["q3"]]
    # a superseded quote takes no further transition: its expiry timer does nothing
    assert (q1["quotation_status"], q1["requires_approval"], q1["approval_status"]) == (
        "superseded", True, "rejected")
    assert q1["notes"].startswith("Superseded by QUO-000002")
    assert (q1["subtotal"], q1["discount_amount"], q1["tax_amount"], q1["total_amount"]) == (
        Decimal("85000.00"), Decimal("20000.00"), Decimal("11700.00"), Decimal("76700.00"))
    assert (q2["parent_quotation_id"], q2["revision_number"]) == (q["q1"], 2)
    assert (q2["quotation_status"], q2["converted"], q2["converted_to_order_id"]) == (
        "accepted", True, "SO-77")
    assert (q2["requires_approval"], q2["approval_status"]) == (False, None)
    assert (q2["valid_until_date"] - q2["quotation_date"]).days == 30
    assert q3["quotation_status"] == "expired"
    approvals = rows(engine, "quotation_approvals", "quotation_id = :q", q=q["q1"])
    assert [(a["approval_level"], a["approver_id"], a["decision"]) for a in sorted(
        approvals, key=lambda a: a["approval_level"])] == [(1, "M1", "approved"),
                                                           (2, "D1", "rejected")]
    rejected = next(a for a in approvals if a["approval_level"] == 2)
    assert rejected["comments"] == "Too deep; 'quote' me \"5 %\""
    assert rejected["discount_pct"] == Decimal("23.53") and rejected["decided_at"]
    lines = rows(engine, "quotation_lines", "quotation_id = :q", q=q["q2"])
    assert [(ln["product_name"], ln["line_total"], ln["delivery_lead_time_days"])
            for ln in lines] == [("CNC spindle", Decimal("76000.00"), 21)]


def test_integration_log_row_follows_the_erp_loop(engine: sa.Engine) -> None:
    s, q = lifecycle()
    events = deal_events(s)
    accept_at = max(e.occurred_at for e in events if e.event_type == "IntegrationRequested")
    project(engine, [e for e in events if e.occurred_at <= accept_at])
    (pending,) = rows(engine, "crm_integration_log")
    assert (pending["integration_status"], pending["integration_direction"],
            pending["document_type"], pending["document_id"], pending["retry_count"]) == (
        "pending", "crm_to_erp", "quotation", q["q2"], 0)
    assert pending["integration_data"]["quotation_id"] == q["q2"]
    failed_at = next(e.occurred_at for e in events if e.event_type == "IntegrationFailed")
    project(engine, [e for e in events if accept_at < e.occurred_at <= failed_at])
    (error,) = rows(engine, "crm_integration_log")
    assert (error["integration_status"], error["error_message"], error["retry_count"]) == (
        "error", "credit hold", 1)
    assert error["last_retry_at"] is not None
    project(engine, [e for e in events if e.occurred_at > failed_at])
    (done,) = rows(engine, "crm_integration_log")
    assert (done["integration_status"], done["retry_count"]) == ("completed", 1)
    assert done["integration_data"]["sales_order_id"] == "SO-77"
    assert done["integration_data"]["attempt"] == 2


def test_sales_forecast_rows_hold_the_call_and_accumulate_actuals(engine: sa.Engine) -> None:
    s, _ = lifecycle()
    project(engine, deal_events(s))
    forecasts = rows(engine, "sales_forecasts", "sales_rep_id = 'R1'")
    march = next(f for f in forecasts if f["forecast_period"] == "monthly"
                 and f["forecast_month"] == 3)
    call = next(e for e in of_type(s.events, ForecastCalled)
                if e.aggregate_id == march["forecast_id"])
    assert (march["commit_amount"], march["snapshot_date"], march["territory_id"]) == (
        call.forecast_call, date(2026, 3, 16), "T1")
    assert (march["closed_amount"], march["actual_revenue"]) == (
        Decimal("76000.00"), Decimal("76000.00"))
    assert march["forecast_accuracy_pct"] == accuracy(Decimal(76000), call.forecast_call)
    assert march["created_at"] == call.occurred_at.replace(tzinfo=None)
    assert len(rows(engine, "sales_forecasts")) == len(of_type(s.events, ForecastCalled))
    snaps = of_type(s.events, ForecastSnapshotTaken)
    assert len(rows(engine, "crm_forecasting.sales_forecast_snapshots")) == len(snaps)
    with engine.connect() as conn:
        monthly = conn.execute(sa.text(
            "SELECT SUM(actual_revenue) FROM sales_forecasts WHERE forecast_period = "
            "'monthly' AND forecast_year = 2026 AND forecast_month = 3")).scalar_one()
    assert monthly == Decimal("76000.00")  # one row per rep: no double counting


def test_redelivering_every_event_leaves_all_rows_unchanged(engine: sa.Engine) -> None:
    s, _ = lifecycle()
    events = deal_events(s)
    project(engine, events)
    before = snapshot(engine)
    assert all(before[t] for t in TABLES), {t: len(r) for t, r in before.items()}
    project(engine, events)
    for event in events[::3]:
        project(engine, [event])
    assert snapshot(engine) == before


def test_one_event_per_batch_gives_the_same_rows_as_one_batch(
        engine: sa.Engine, fresh_db_url: str) -> None:
    s, _ = lifecycle()
    events = deal_events(s)
    for event in events:
        project(engine, [event])
    one_by_one = snapshot(engine)
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(sa.text(f"TRUNCATE {_name(table)}"))
    project(engine, events)
    assert snapshot(engine) == one_by_one
