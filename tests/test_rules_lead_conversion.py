"""Lead conversion: every fact the lead carries lands on the account, contact and deal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from area_a_fixtures import World, of_type

from domain.accounts import AccountCreated
from domain.contacts import ContactCreated
from domain.lead_conversion import LeadConverted
from domain.messages import Event
from domain.opportunities import OpportunityCreated


def converted(events: list[Event]) -> tuple[AccountCreated, ContactCreated, OpportunityCreated]:
    (account,) = of_type(events, AccountCreated)
    (contact,) = of_type(events, ContactCreated)
    (opp,) = of_type(events, OpportunityCreated)
    return account, contact, opp


def test_the_leads_facts_land_on_the_new_account_contact_and_opportunity() -> None:
    w = World()
    w.rep("R1")
    w.rep("R2")
    w.lead("L0")  # R1's turn: L1 goes to R2
    w.qualified_lead("L1", contact_title="Plant Head", mobile="+91 98450 00000",
                     city="Pune", state="Maharashtra", product_interest="P" * 120,
                     expected_close_date=w.now.date())  # today is not past
    account, contact, opp = converted(w.convert("L1", rep="R1"))
    assert account.aggregate_id.startswith("ACC-") and account.account_name == "L1 Industries"
    assert (account.industry, account.company_size, account.account_owner) == (
        "Energy", "enterprise", "R2")
    assert (account.billing_city, account.billing_state, account.billing_country,
            account.created_by) == ("Pune", "Maharashtra", "India", "R1")
    assert contact.aggregate_id.startswith("CON-")
    assert (contact.job_title, contact.email, contact.phone, contact.created_by) == (
        "Plant Head", "asha@l1.example", "+91 98450 00000", "R1")
    assert opp.aggregate_id.startswith("OPP-")
    assert (opp.opportunity_owner, opp.primary_contact_id, opp.lead_source, opp.created_by) == (
        "R2", contact.aggregate_id, "referral", "R1")
    assert opp.product_category == "P" * 100  # the column holds 100
    assert opp.opportunity_name == "L1 Industries - " + "P" * 120
    assert opp.close_date == w.now.date()
    assert opp.opportunity_type == "new_business"


def test_an_unassigned_lead_is_owned_by_the_rep_who_converts_it() -> None:
    w = World()
    w.qualified_lead("L1")  # no rep yet: captured unassigned
    w.rep("R1")
    _, _, opp = converted(w.convert("L1", rep="R1"))
    assert opp.opportunity_owner == "R1"


def test_a_contact_named_only_in_part_is_completed_with_unknown() -> None:
    w = World()
    w.rep("R1")
    w.qualified_lead("L1", contact_first_name=None, phone="020 555", mobile="+91 9")
    _, contact, _ = converted(w.convert("L1"))
    assert (contact.first_name, contact.last_name, contact.phone) == ("Unknown", "Rao",
                                                                      "020 555")
    w.qualified_lead("L2", contact_last_name=None)
    _, contact, _ = converted(w.convert("L2"))
    assert (contact.first_name, contact.last_name) == ("Asha", "Unknown")


def test_only_a_decision_maker_becomes_a_decision_maker_contact() -> None:
    w = World()
    w.rep("R1")
    w.lead("L1", lead_source="referral", company_size="enterprise")
    w.bant("L1", authority=False, timeline=True)
    _, contact, opp = converted(w.convert("L1"))
    assert contact.contact_role is None
    assert opp.decision_maker_identified is False


def test_without_a_known_timeline_the_opportunity_has_none() -> None:
    w = World()
    w.rep("R1")
    w.qualified_lead("L1", expected_close_date=date(2026, 6, 30))  # BANT without timeline
    _, _, opp = converted(w.convert("L1"))
    assert opp.customer_timeline is None
    assert (opp.budget_confirmed, opp.budget_amount) == (True, None)  # no value stated


def test_a_lead_without_product_interest_opens_a_new_business_deal() -> None:
    w = World()
    w.rep("R1")
    w.qualified_lead("L1", estimated_deal_value=Decimal("1000"))
    _, _, opp = converted(w.convert("L1"))
    assert opp.opportunity_name == "L1 Industries - New business"
    assert (opp.product_category, opp.customer_requirements) == (None, None)


def test_a_matched_prospect_account_gets_a_new_business_deal() -> None:
    w = World()
    w.rep("R1")
    w.account("A1", "L1 Industries")  # a prospect, not a customer
    w.qualified_lead("L1")
    events = w.convert("L1")
    (done,) = of_type(events, LeadConverted)
    (opp,) = of_type(events, OpportunityCreated)
    assert (done.account_id, opp.opportunity_type) == ("A1", "new_business")
