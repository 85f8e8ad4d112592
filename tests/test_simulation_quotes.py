"""Simulated prices, products and quotations hold together (issue 14, points 8 and 10):
one price book, lines that sum to the deal, revised quotes carried into the deal, the
terms a quotation states."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from simulated_history import History, shared

from simulators.catalog import PRICE_REVISION_PCT, PRODUCTS, list_price
from simulators.worktime import IST


@pytest.fixture(scope="module")
def history() -> History:
    """45 days at scale 0.3 (a few seconds; folded once per session)."""
    return shared(45, 0.3)

def test_the_price_book_has_one_list_price_per_item_revised_each_april_by_a_few_percent(
        ) -> None:
    for product in PRODUCTS:
        assert list_price(product, date(2025, 6, 1)) == list_price(product, date(2026, 3, 31))
        ratio = list_price(product, date(2026, 4, 1)) / list_price(product, date(2026, 3, 31))
        assert abs(ratio - (1 + PRICE_REVISION_PCT / 100)) < 0.01
    assert list_price(PRODUCTS[0], date(2025, 9, 1)) == 2_250_000


def test_every_product_line_carries_the_price_book_list_price(history: History) -> None:
    book = {p.material_id: p for p in PRODUCTS}
    lines = history.of("OpportunityProductAdded")
    assert len(lines) > 200
    assert all(e.list_price == list_price(book[e.material_id], e.occurred_at.astimezone(IST).date())
               for e in lines)
    quoted = [ln for e in history.of("QuoteCreated") for ln in e.lines if ln.material_id]
    prices: dict[str, set[Decimal]] = {}
    for ln in quoted:
        prices.setdefault(ln.material_id, set()).add(ln.list_price)
    assert all(len(v) == 1 for v in prices.values())


def test_a_deal_won_on_its_first_quote_has_lines_summing_to_the_won_amount(history: History
                                                                          ) -> None:
    lines: dict[str, Decimal] = {}
    for e in history.of("OpportunityProductAdded"):
        lines[e.aggregate_id] = lines.get(e.aggregate_id, Decimal(0)) + e.line_total
    first = {e.opportunity_id for e in history.of("QuoteCreated") if e.revision_number == 1}
    revised = {e.opportunity_id for e in history.of("QuoteCreated") if e.revision_number > 1}
    won = [e for e in history.of("OpportunityWon")
           if e.aggregate_id in lines and e.aggregate_id in first - revised]
    assert len(won) > 20
    assert all(lines[e.aggregate_id] == e.amount for e in won)


def test_a_deal_won_on_a_revised_quote_has_lines_summing_to_the_won_amount(history: History
                                                                          ) -> None:
    lines: dict[str, dict[str, Decimal]] = {}  # opportunity -> opp_product_id -> line total
    for e in history.of("OpportunityProductAdded", "OpportunityProductsSynced"):
        if e.event_type == "OpportunityProductAdded":
            lines.setdefault(e.aggregate_id, {})[e.opp_product_id] = e.line_total
        else:  # the synced quote's lines replace the deal's
            lines[e.aggregate_id] = {ln.opp_product_id: ln.line_total for ln in e.lines}
    revised = {e.opportunity_id for e in history.of("QuoteCreated") if e.revision_number > 1}
    won = history.of("OpportunityWon")
    assert len([e for e in won if e.aggregate_id in revised]) > 5
    assert all(sum(lines[e.aggregate_id].values()) == e.amount for e in won)
    rows: dict[str, Decimal] = {}  # and the read table holds the same lines
    for row in history.rows("opportunity_products"):
        rows[str(row["opportunity_id"])] = rows.get(str(row["opportunity_id"]), Decimal(0)) \
            + Decimal(str(row["line_total"]))
    assert all(rows[e.aggregate_id] == e.amount for e in won)


def test_revised_quote_lines_carry_the_delivery_lead_time(history: History) -> None:
    revised = [ln for e in history.of("QuoteCreated") if e.revision_number > 1
               for ln in e.lines if ln.material_id]
    assert len(revised) > 10
    assert all(ln.delivery_lead_time_days in (15, 30, 35, 40, 45, 60, 75, 90) for ln in revised)



def test_a_quotation_states_its_payment_delivery_and_warranty_terms(history: History) -> None:
    rows = history.rows("quotations")
    assert rows and all(r.get("payment_terms") and r.get("delivery_terms")
                        and r.get("warranty_terms") for r in rows)
    assert {r["payment_terms"] for r in rows} == {"NET30", "NET60", "advance", "milestone"}
    incoterms = {str(r["delivery_terms"]).split()[0] for r in rows}
    assert incoterms == {"DAP", "FCA"}
    months = {str(r["warranty_terms"]).split()[0] for r in rows}
    assert {"12", "18", "24"} <= months
