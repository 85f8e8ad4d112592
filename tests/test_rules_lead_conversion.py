"""Lead conversion: every fact the lead carries lands on the account, contact and deal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scenario import MINUTE, Scenario, of_type, rejection

from domain.accounts.messages import AccountCreated
from domain.campaigns.messages import CampaignMemberOpportunityCreated, CampaignResultsUpdated
from domain.contacts.messages import ContactCreated
from domain.kernel.context import derive_id
from domain.kernel.messages import Event
from domain.leads.messages import LeadConverted
from domain.opportunities.messages import OpportunityCreated


def converted(events: list[Event]) -> tuple[AccountCreated, ContactCreated, OpportunityCreated]:
    (account,) = of_type(events, AccountCreated)
    (contact,) = of_type(events, ContactCreated)
    (opp,) = of_type(events, OpportunityCreated)
    return account, contact, opp


def test_the_leads_facts_land_on_the_new_account_contact_and_opportunity() -> None:
    w = Scenario(step=MINUTE)
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
    w = Scenario(step=MINUTE)
    w.qualified_lead("L1")  # no rep yet: captured unassigned
    w.rep("R1")
    _, _, opp = converted(w.convert("L1", rep="R1"))
    assert opp.opportunity_owner == "R1"


def test_a_contact_named_only_in_part_is_completed_with_unknown() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1", contact_first_name=None, phone="020 555", mobile="+91 9")
    _, contact, _ = converted(w.convert("L1"))
    assert (contact.first_name, contact.last_name, contact.phone) == ("Unknown", "Rao",
                                                                      "020 555")
    w.qualified_lead("L2", contact_last_name=None)
    _, contact, _ = converted(w.convert("L2"))
    assert (contact.first_name, contact.last_name) == ("Asha", "Unknown")


def test_only_a_decision_maker_becomes_a_decision_maker_contact() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.lead("L1", lead_source="referral", company_size="enterprise")
    w.bant("L1", authority=False, timeline=True)
    _, contact, opp = converted(w.convert("L1"))
    assert contact.contact_role is None
    assert opp.decision_maker_identified is False


def test_without_a_known_timeline_the_opportunity_has_none() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1", expected_close_date=date(2026, 6, 30))  # BANT without timeline
    _, _, opp = converted(w.convert("L1"))
    assert opp.customer_timeline is None
    assert (opp.budget_confirmed, opp.budget_amount) == (True, None)  # no value stated


def test_a_lead_without_product_interest_opens_a_new_business_deal() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1", estimated_deal_value=Decimal("1000"))
    _, _, opp = converted(w.convert("L1"))
    assert opp.opportunity_name == "L1 Industries - New business"
    assert (opp.product_category, opp.customer_requirements) == (None, None)


def test_a_matched_prospect_account_gets_a_new_business_deal() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.account("A1", "L1 Industries")  # a prospect, not a customer
    w.qualified_lead("L1")
    events = w.convert("L1")
    (done,) = of_type(events, LeadConverted)
    (opp,) = of_type(events, OpportunityCreated)
    assert (done.account_id, opp.opportunity_type) == ("A1", "new_business")


def test_converting_into_a_named_account_uses_it_and_an_unknown_one_is_refused() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.account("A7", "Other Name Ltd", account_type="customer")
    w.qualified_lead("L1")
    assert rejection(w.convert("L1", account_id="A9")) == "account A9 does not exist"
    events = w.convert("L1", account_id="A7")
    (done,) = of_type(events, LeadConverted)
    (contact,) = of_type(events, ContactCreated)  # nobody with the lead's e-mail there
    (opp,) = of_type(events, OpportunityCreated)
    assert (done.account_id, done.account_created, done.converted_by) == ("A7", False, "R1")
    assert (contact.account_id, contact.is_primary, done.contact_id) == (
        "A7", False, contact.aggregate_id)
    assert (opp.account_id, opp.opportunity_type) == ("A7", "existing_customer")
    assert of_type(events, AccountCreated) == []


def test_a_given_opportunity_name_replaces_the_default_and_a_long_default_is_cut() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1")
    (opp,) = of_type(w.convert("L1", opportunity_name="Pune plant retrofit"),
                     OpportunityCreated)
    assert opp.opportunity_name == "Pune plant retrofit"
    w.qualified_lead("L2", company_name="C" * 150, product_interest="P" * 100)
    (opp,) = of_type(w.convert("L2"), OpportunityCreated)
    assert opp.opportunity_name == "C" * 150 + " - " + "P" * 47  # the column holds 200


def test_a_converted_campaign_lead_counts_for_the_campaign_and_flags_its_member() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.campaign("C1")
    w.lead("L1", lead_source="referral", company_size="enterprise")
    w.member("M1", "C1", lead="L1")
    w.qualified_lead("L2", source_campaign_id="C1", campaign_member_id="M1")
    events = w.convert("L2")
    (done,) = of_type(events, LeadConverted)
    (flag,) = of_type(events, CampaignMemberOpportunityCreated)
    assert (flag.aggregate_id, flag.opportunity_id) == ("M1", done.opportunity_id)
    results = of_type(events, CampaignResultsUpdated)[-1]  # after the opportunity's
    assert (results.converted_leads, results.opportunities_created, results.total_leads) == (
        1, 1, 1)
    (opp,) = of_type(events, OpportunityCreated)
    assert (opp.source_campaign_id, opp.source_lead_id) == ("C1", "L2")
    assert w.state.get("campaign_member", "M1").opportunity_created is True


def test_a_lead_without_a_campaign_touches_no_campaign() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.campaign("C1")
    w.qualified_lead("L1")
    events = w.convert("L1")
    assert of_type(events, CampaignResultsUpdated) == []
    assert of_type(events, CampaignMemberOpportunityCreated) == []


def test_the_new_records_ids_derive_from_the_command_and_the_lead() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1")
    events = w.convert("L1")
    cause = w.inputs[-1].event_id
    account, contact, opp = converted(events)

    def expected(prefix: str) -> str:
        return f"{prefix}-{derive_id(cause, '', prefix, 'L1')[:18]}"

    assert (account.aggregate_id, contact.aggregate_id, opp.aggregate_id) == (
        expected("ACC"), expected("CON"), expected("OPP"))


def test_the_new_account_is_billed_in_the_leads_country() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1", country="Nepal", city="Kathmandu", state=None)
    account, _, _ = converted(w.convert("L1"))
    assert (account.billing_country, account.billing_city, account.billing_state) == (
        "Nepal", "Kathmandu", None)
