"""Simulated prices, products and quotations hold together (issue 14, points 8 and 10):
one price book, lines that sum to the deal, revised quotes carried into the deal, the
terms a quotation states."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from simulated_history import History

from simulators.catalog import PRICE_REVISION_PCT, PRODUCTS, list_price
from simulators.worktime import IST


@pytest.fixture(scope="module")
def history() -> History:
    """45 days at scale 0.3 (a few seconds)."""
    return History(45, 0.3)

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


@pytest.mark.xfail(strict=True, reason="needs a rule: the synced (primary) quote's lines "
                   "replace the opportunity's product lines (no command does it today)")
def test_a_deal_won_on_a_revised_quote_has_lines_summing_to_the_won_amount(history: History
                                                                          ) -> None:
    lines: dict[str, Decimal] = {}
    for e in history.of("OpportunityProductAdded"):
        lines[e.aggregate_id] = lines.get(e.aggregate_id, Decimal(0)) + e.line_total
    won = [e for e in history.of("OpportunityWon") if e.aggregate_id in lines]
    assert all(lines[e.aggregate_id] == e.amount for e in won)


def test_revised_quote_lines_carry_the_delivery_lead_time(history: History) -> None:
    revised = [ln for e in history.of("QuoteCreated") if e.revision_number > 1
               for ln in e.lines if ln.material_id]
    assert len(revised) > 10
    assert all(ln.delivery_lead_time_days in (15, 30, 35, 40, 45, 60, 75, 90) for ln in revised)



@pytest.mark.xfail(strict=True, reason="needs rules/fields: no command sets a quote's terms "
                   "(the core drafts quotes; payment terms could come from the account)")
def test_a_quotation_states_its_payment_delivery_and_warranty_terms(history: History) -> None:
    rows = history.rows("quotations")
    assert rows and all(r.get("payment_terms") and r.get("delivery_terms")
                        and r.get("warranty_terms") for r in rows)

