"""The payment, delivery and warranty terms a drafted quotation states (domain.quotes.terms)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from scenario import Scenario, one

from domain.accounts.messages import LinkAccountToCustomer, OpenAccount, UpdateAccount
from domain.opportunities.messages import AddOpportunityProduct, OpenOpportunity
from domain.quotes.messages import QuoteCreated, QuoteLineInput, ReviseQuote
from domain.rules_config import DEFAULT_RULES
from projectors.quotes import quote_created

SUPPLY_12 = "12 months from date of supply against defects in material and workmanship"
FCA = "FCA Chakan (Pune) works, Incoterms 2020; freight and insurance to buyer's account"


def quoted(*lines: tuple[str, str, str], terms: str | None = "NET60",
           city: str | None = "Nashik") -> tuple[Scenario, QuoteCreated]:
    """A deal for account A1 (with these credit terms and city) quoted at proposal."""
    s = Scenario().org()
    if terms or city:
        s.ok(UpdateAccount, "A1", payment_terms=terms, shipping_city=city)
    s.deal()
    for material, qty, price in lines:
        s.ok(AddOpportunityProduct, "O1", product_name=material, material_id=material,
             quantity=Decimal(qty), list_price=Decimal(price))
    quote_id = s.to_proposal()
    return s, one([e for e in s.events if e.aggregate_id == quote_id], QuoteCreated)


def test_a_component_quote_states_the_accounts_credit_terms_fca_plant_and_supply_warranty(
        ) -> None:
    _, quote = quoted(("MAT-FRG-001", "100", "4800"))
    assert (quote.payment_terms, quote.delivery_terms, quote.warranty_terms) == (
        "NET60", FCA, SUPPLY_12)
    (header, *_) = quote_created(quote)
    assert (header.values["payment_terms"], header.values["delivery_terms"],
            header.values["warranty_terms"]) == ("NET60", FCA, SUPPLY_12)


def test_an_account_without_credit_terms_pays_in_advance() -> None:
    _, quote = quoted(("MAT-GBX-001", "2", "145000"), terms=None, city=None)
    assert quote.payment_terms == "advance"
    assert quote.warranty_terms == (
        "18 months from date of supply against defects in material and workmanship")


def test_a_prospect_pays_in_advance_until_it_is_a_customer_with_credit_terms() -> None:
    s = Scenario().org()
    s.ok(OpenAccount, "A2", account_name="New Buyer", payment_terms="NET30")  # no customer

    def quote_for(opp_id: str) -> str | None:
        s.ok(OpenOpportunity, opp_id, opportunity_name=f"Deal {opp_id}", account_id="A2",
             amount=Decimal("200000"), close_date=date(2026, 3, 20), opportunity_owner="R1")
        return s.quote(s.to_proposal(opp_id)).payment_terms

    first = quote_for("O2")
    s.ok(LinkAccountToCustomer, "A2", customer_id="CUST-A2")
    second = quote_for("O3")
    assert (first, second) == ("advance", "NET30")


def test_an_account_on_cash_on_delivery_is_quoted_advance_payment() -> None:
    _, quote = quoted(("MAT-GBX-001", "2", "145000"), terms="COD")
    assert quote.payment_terms == "advance"


def test_an_installed_machine_is_delivered_at_the_customers_site_with_its_warranty() -> None:
    _, quote = quoted(("MAT-CNC-001", "1", "2250000"))
    assert quote.payment_terms == "NET60"  # 22.5 lakh: below the milestone threshold
    assert quote.delivery_terms == (
        "DAP Nashik, Incoterms 2020; installation and commissioning by us")
    assert quote.warranty_terms == ("18 months from commissioning or 24 months from dispatch, "
                                    "whichever is earlier; wear parts and consumables excluded")


def test_an_order_of_one_crore_or_more_is_quoted_on_milestone_payments() -> None:
    _, below = quoted(("MAT-CNC-001", "1", "9999999.99"))
    _, at = quoted(("MAT-CNC-001", "1", "10000000"))
    assert (below.payment_terms, at.payment_terms) == ("NET60", "milestone")


def test_lines_with_different_warranties_state_each() -> None:
    _, quote = quoted(("MAT-CST-001", "500", "245"), ("MAT-CST-002", "500", "560"),
                      ("MAT-SVC-002", "1", "65000"))
    assert quote.warranty_terms == (
        f"Lines 1, 2: {SUPPLY_12}; line 3: 6 months from date of supply against defects in "
        "material and workmanship")


def test_a_revision_keeps_its_parents_terms_unless_new_ones_are_agreed() -> None:
    s, first = quoted(("MAT-FRG-001", "100", "4800"))
    s.ok(UpdateAccount, "A1", payment_terms="NET30")  # later credit review: not re-quoted
    same = one(s.ok(ReviseQuote, first.aggregate_id), QuoteCreated)
    assert (same.payment_terms, same.delivery_terms, same.warranty_terms) == (
        "NET60", FCA, SUPPLY_12)
    agreed = one(s.ok(ReviseQuote, same.aggregate_id, payment_terms="advance",
                      warranty_terms="24 months from date of supply",
                      lines=[QuoteLineInput(material_id="MAT-FRG-001", product_name="F",
                                            quantity=Decimal(90), list_price=Decimal(4800))]),
                 QuoteCreated)
    assert (agreed.payment_terms, agreed.delivery_terms, agreed.warranty_terms) == (
        "advance", FCA, "24 months from date of supply")


DAP_TAIL = ", Incoterms 2020; installation and commissioning by us"


def test_an_installed_machine_for_an_account_without_a_city_is_delivered_at_the_buyers_site(
        ) -> None:
    _, quote = quoted(("MAT-CNC-001", "1", "2250000"), city=None)
    assert quote.delivery_terms == f"DAP buyer's site{DAP_TAIL}"


def test_a_line_of_no_known_material_group_is_supplied_from_the_plant_for_12_months() -> None:
    _, quote = quoted(("MAT-XYZ-001", "1", "50000"))
    assert (quote.delivery_terms, quote.warranty_terms) == (FCA, SUPPLY_12)


def test_the_billing_city_is_the_delivery_place_and_later_updates_keep_city_and_terms() -> None:
    s = Scenario().org()
    s.ok(UpdateAccount, "A1", payment_terms="NET30", billing_city="Pune")
    s.ok(UpdateAccount, "A1", account_owner="R2")  # neither terms nor city: both kept
    s.deal()
    s.ok(AddOpportunityProduct, "O1", product_name="Lathe", material_id="MAT-CNC-002",
         quantity=Decimal(1), list_price=Decimal(900000))
    quote = s.quote(s.to_proposal())
    assert (quote.payment_terms, quote.delivery_terms) == ("NET30", f"DAP Pune{DAP_TAIL}")


def test_a_deal_for_an_account_the_crm_does_not_know_is_quoted_advance_from_the_plant() -> None:
    s = Scenario().org()
    s.ok(OpenOpportunity, "O2", opportunity_name="Deal O2", account_id="A-UNKNOWN",
         amount=Decimal("200000"), close_date=date(2026, 3, 20), opportunity_owner="R1")
    quote = s.quote(s.to_proposal("O2"))
    assert (quote.payment_terms, quote.delivery_terms, quote.warranty_terms) == (
        "advance", FCA, SUPPLY_12)


def test_delivery_terms_are_cut_to_100_characters_for_a_long_city_or_plant_name() -> None:
    city = "Pimpri-Chinchwad Industrial Area, MIDC Bhosari, Block J"  # 55 characters
    _, site = quoted(("MAT-CNC-001", "1", "2250000"), city=city)
    assert site.delivery_terms == f"DAP {city}{DAP_TAIL}"[:100]
    assert len(site.delivery_terms) == 100
    plant = "Chakan (Pune) works, Plot 14, MIDC Phase II, Chakan Industrial Area"
    s = Scenario(rules=replace(DEFAULT_RULES, quotes=replace(DEFAULT_RULES.quotes,
                                                             dispatch_plant=plant))).org()
    s.deal()
    plant_quote = s.quote(s.to_proposal())
    assert plant_quote.delivery_terms == (
        f"FCA {plant}, Incoterms 2020; freight and insurance to buyer's account"[:100])
    assert len(plant_quote.delivery_terms) == 100


def test_a_revision_states_the_delivery_terms_agreed_in_negotiation() -> None:
    s, first = quoted(("MAT-FRG-001", "100", "4800"))
    ex_works = "EXW Chakan (Pune) works, Incoterms 2020; buyer collects"
    agreed = one(s.ok(ReviseQuote, first.aggregate_id, delivery_terms=ex_works), QuoteCreated)
    assert (agreed.payment_terms, agreed.delivery_terms, agreed.warranty_terms) == (
        "NET60", ex_works, SUPPLY_12)


def test_terms_agreed_on_a_revision_carry_to_the_next_revision() -> None:
    s, first = quoted(("MAT-FRG-001", "100", "4800"))
    ex_works = "EXW Chakan (Pune) works, Incoterms 2020; buyer collects"
    agreed = one(s.ok(ReviseQuote, first.aggregate_id, delivery_terms=ex_works,
                      warranty_terms="24 months from date of supply"), QuoteCreated)
    again = one(s.ok(ReviseQuote, agreed.aggregate_id), QuoteCreated)
    assert (again.payment_terms, again.delivery_terms, again.warranty_terms) == (
        "NET60", ex_works, "24 months from date of supply")
