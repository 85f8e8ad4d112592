"""Quote sync: the primary (synced) quote's lines are the opportunity's product lines, and
their sum its amount (Salesforce's quote sync; domain.quotes.sync)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scenario import Scenario, of_type, one

from domain.erp.messages import SalesOrderCreated
from domain.opportunities.messages import (
    AddOpportunityProduct,
    OpportunityProductAdded,
    OpportunityTermsChanged,
    OpportunityWon,
)
from domain.quotes.messages import (
    AcceptQuote,
    DeclineQuote,
    OpportunityProductsSynced,
    QuoteCreated,
    QuoteLineInput,
    ReviseQuote,
    SendQuote,
)
from projectors.projection import merge, rows_for


def line(name: str, qty: str, price: str, discount: str = "0",
         material: str = "MAT-1") -> QuoteLineInput:
    return QuoteLineInput(material_id=material, product_name=name, quantity=Decimal(qty),
                          list_price=Decimal(price), discount_pct=Decimal(discount),
                          unit_of_measure="EA")


def two_line_quote() -> tuple[Scenario, str]:
    s = Scenario().org()
    s.deal()
    s.product("O1", "2", "100000")
    s.product("O1", "1", "50000")
    return s, s.to_proposal()


def lines_of(s: Scenario) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(p.product_name, p.quantity, p.discount_pct, p.line_total)
            for p in s.opp().products]


def product_rows(s: Scenario) -> dict[str, dict[str, object]]:
    """opportunity_products rows of the whole log, by opp_product_id."""
    return {dict(u.key)["opp_product_id"]: u.values
            for u in merge(rows_for(s.events)).get("opportunity_products", [])}


def test_a_first_quote_made_from_the_products_changes_no_product_line() -> None:
    s, _ = two_line_quote()
    assert of_type(s.events, OpportunityProductsSynced) == []
    assert s.opp().amount == Decimal("250000.00")


def test_a_revised_discount_rewrites_the_deals_lines_in_place_and_sets_the_amount() -> None:
    s, quote_id = two_line_quote()
    before = sorted(product_rows(s))
    events = s.ok(ReviseQuote, quote_id, lines=[line("CNC spindle", "2", "100000", "5"),
                                                line("CNC spindle", "1", "50000", "5")])
    synced = one(events, OpportunityProductsSynced)
    new_quote = one(events, QuoteCreated)
    assert synced.quotation_id == new_quote.aggregate_id
    assert [ln.quote_line_id for ln in synced.lines] == [
        ln.quote_line_id for ln in new_quote.lines]
    assert (synced.added_opp_product_ids, synced.removed_opp_product_ids) == ([], [])
    assert lines_of(s) == [("CNC spindle", Decimal(2), Decimal(5), Decimal("190000.00")),
                           ("CNC spindle", Decimal(1), Decimal(5), Decimal("47500.00"))]
    assert s.opp().amount == Decimal("237500.00")
    assert one(events, OpportunityTermsChanged).amount == Decimal("237500.00")
    rows = product_rows(s)
    assert sorted(rows) == before  # the same two rows, rewritten
    assert sorted((r["line_number"], r["line_total"], r["discount_pct"])
                  for r in rows.values()) == [(1, Decimal("190000.00"), Decimal(5)),
                                              (2, Decimal("47500.00"), Decimal(5))]


def test_a_line_added_on_the_quote_becomes_a_new_product_line_of_the_deal() -> None:
    s, quote_id = two_line_quote()
    events = s.ok(ReviseQuote, quote_id, lines=[
        line("CNC spindle", "2", "100000"), line("CNC spindle", "1", "50000"),
        line("Tool kit", "3", "10000", material="MAT-2")])
    synced = one(events, OpportunityProductsSynced)
    assert len(synced.added_opp_product_ids) == 1
    assert synced.lines[2].opp_product_id == synced.added_opp_product_ids[0]
    assert [p.line_number for p in s.opp().products] == [1, 2, 3]
    assert s.opp().amount == Decimal("280000.00")
    row = product_rows(s)[synced.added_opp_product_ids[0]]
    assert (row["product_name"], row["line_total"], row["created_at"]) == (
        "Tool kit", Decimal("30000.00"), s.now)


def test_a_line_dropped_from_the_quote_is_removed_from_the_deal() -> None:
    s, quote_id = two_line_quote()
    ids = sorted(product_rows(s))
    events = s.ok(ReviseQuote, quote_id, lines=[line("CNC spindle", "2", "100000")])
    synced = one(events, OpportunityProductsSynced)
    assert len(synced.removed_opp_product_ids) == 1
    assert {synced.lines[0].opp_product_id, *synced.removed_opp_product_ids} == set(ids)
    assert lines_of(s) == [("CNC spindle", Decimal(2), Decimal(0), Decimal("200000.00"))]
    assert s.opp().amount == Decimal("200000.00")


def test_a_deal_without_products_gets_its_quote_line_as_its_product_line() -> None:
    s = Scenario().org()
    s.deal(amount="100000")
    quote_id = s.to_proposal()
    synced = one(s.events, OpportunityProductsSynced)
    assert synced.quotation_id == quote_id and len(synced.added_opp_product_ids) == 1
    assert lines_of(s) == [("Deal O1", Decimal(1), Decimal(0), Decimal("100000.00"))]
    assert s.opp().amount == Decimal("100000.00")


def test_a_deal_won_on_a_revised_quote_has_product_lines_summing_to_the_won_amount() -> None:
    s, quote_id = two_line_quote()
    s.ok(SendQuote, quote_id)
    s.ok(DeclineQuote, quote_id, reason="Price higher than budget")
    revision = one(s.ok(ReviseQuote, quote_id, lines=[
        line("CNC spindle", "2", "100000", "7.5"), line("CNC spindle", "1", "50000", "3")]),
        QuoteCreated).aggregate_id
    s.ok(SendQuote, revision)
    s.ok(AcceptQuote, revision)
    won = one(s.ok(SalesOrderCreated, "SO-1", sales_order_id="SO-1", quotation_id=revision,
                   order_total=Decimal("275530.00"), order_date=s.now.date()),
              OpportunityWon)
    assert won.amount == Decimal("233500.00")
    assert sum(p.line_total for p in s.opp().products) == won.amount
    rows = product_rows(s).values()
    assert sum(r["line_total"] for r in rows) == won.amount  # type: ignore[misc]


def test_a_deal_requoted_at_proposal_is_quoted_from_the_synced_lines() -> None:
    s, quote_id = two_line_quote()
    revision = one(s.ok(ReviseQuote, quote_id, lines=[line("CNC spindle", "4", "100000")]),
                   QuoteCreated).aggregate_id
    s.ok(SendQuote, revision)
    s.ok(DeclineQuote, revision, reason="Ordered from another vendor")
    s.stage("O1", "negotiation")
    requote = one(s.stage("O1", "proposal"), QuoteCreated)  # the declined quote's successor
    assert [(ln.quantity, ln.line_total) for ln in requote.lines] == [
        (Decimal(4), Decimal("400000.00"))]
    assert lines_of(s) == [("CNC spindle", Decimal(4), Decimal(0), Decimal("400000.00"))]


def test_a_synced_line_keeps_its_required_date_while_the_material_is_the_same() -> None:
    s = Scenario().org()
    s.deal()
    for material in ("MAT-1", "MAT-2"):
        s.ok(AddOpportunityProduct, "O1", product_name=material, material_id=material,
             quantity=Decimal(1), list_price=Decimal(1000), required_date=date(2026, 5, 4))
    quote_id = s.to_proposal()
    s.ok(ReviseQuote, quote_id, lines=[line("MAT-1", "2", "1000"),
                                       line("MAT-3", "1", "1000", material="MAT-3")])
    assert [(p.material_id, p.required_date) for p in s.opp().products] == [
        ("MAT-1", date(2026, 5, 4)), ("MAT-3", None)]


def test_a_product_added_after_a_sync_keeps_its_row_through_the_next_sync() -> None:
    s, quote_id = two_line_quote()
    ids = [ln.opp_product_id for ln in one(s.ok(ReviseQuote, quote_id, lines=[
        line("CNC spindle", "2", "100000", "5"), line("CNC spindle", "1", "50000", "5")]),
        OpportunityProductsSynced).lines]
    added = one(s.product("O1", "1", "20000"), OpportunityProductAdded).opp_product_id
    synced = one(s.ok(ReviseQuote, s.opp().quote_id, lines=[
        line("CNC spindle", "2", "100000", "6"), line("CNC spindle", "1", "50000", "6"),
        line("CNC spindle", "1", "20000", "6")]), OpportunityProductsSynced)
    assert [ln.opp_product_id for ln in synced.lines] == [*ids, added]
    assert (synced.added_opp_product_ids, synced.removed_opp_product_ids) == ([], [])
    assert sorted(product_rows(s)) == sorted([*ids, added])
    assert s.opp().amount == Decimal("253800.00")


def test_lines_a_sync_adds_get_distinct_new_ids_that_the_next_sync_keeps() -> None:
    s = Scenario().org()
    s.deal()
    s.product("O1", "1", "100000")
    quote_id = s.to_proposal()
    three = [line("CNC spindle", "1", "100000"), line("Tool kit", "2", "10000", material="MAT-2"),
             line("Coolant unit", "1", "40000", material="MAT-3")]
    first = one(s.ok(ReviseQuote, quote_id, lines=three), OpportunityProductsSynced)
    added = first.added_opp_product_ids
    assert len(added) == 2 and len(set(added)) == 2
    assert all(opp_product_id.startswith("OPL-") for opp_product_id in added)
    assert [ln.opp_product_id for ln in first.lines][1:] == added
    again = one(s.ok(ReviseQuote, s.opp().quote_id,
                     lines=[ln.model_copy(update={"discount_pct": Decimal(2)}) for ln in three]),
                OpportunityProductsSynced)
    assert [ln.opp_product_id for ln in again.lines] == [ln.opp_product_id for ln in first.lines]
    assert (again.added_opp_product_ids, again.removed_opp_product_ids) == ([], [])


def test_a_synced_line_gives_the_deal_its_description_unit_and_unit_price() -> None:
    s, quote_id = two_line_quote()
    described = QuoteLineInput(material_id="MAT-1", product_name="CNC spindle",
                               product_description="5-axis, 24,000 rpm", quantity=Decimal(2),
                               unit_of_measure="SET", list_price=Decimal(100000),
                               discount_pct=Decimal(5))
    synced = one(s.ok(ReviseQuote, quote_id, lines=[described]), OpportunityProductsSynced)
    assert synced.lines[0].product_description == "5-axis, 24,000 rpm"
    (product,) = s.opp().products
    assert (product.product_description, product.unit_of_measure, product.unit_price,
            product.line_total) == ("5-axis, 24,000 rpm", "SET", Decimal("95000.0000"),
                                    Decimal("190000.00"))
