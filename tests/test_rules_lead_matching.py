"""Duplicate management: a captured lead that matches an open lead, a contact or an account
is detected and linked (docs/rules.md "Duplicate management")."""

from __future__ import annotations

from scenario import MINUTE, Scenario, of_type

from domain.accounts.messages import AccountCreated
from domain.contacts.messages import ContactCreated, UpdateContact
from domain.leads.matching import match_lead, normalise_email
from domain.leads.messages import (
    CaptureLead,
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadMatched,
    MarkLeadLost,
)
from domain.sales_org.messages import ChangeRepStatus
from projectors.projection import merge, rows_for


def two_reps() -> Scenario:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.rep("R2")
    return w


def test_a_second_enquiry_from_an_open_leads_email_is_closed_as_its_duplicate() -> None:
    w = two_reps()
    w.lead("L1", email="Asha.Rao@Plant.example")
    out = w.lead("L2", company_name="Plant Pvt Ltd", email="  asha.rao@plant.example ")
    [matched] = of_type(out, LeadMatched)
    assert (matched.match_rule, matched.duplicate_of_lead_id) == ("open_lead", "L1")
    assert matched.match_reason == "same e-mail as open lead LEAD-000001"
    [assigned] = of_type(out, LeadAssigned)
    assert assigned.assigned_to == "R1"  # the first lead's owner, not the next in turn
    assert assigned.assignment_reason == "duplicate of LEAD-000001: its owner"
    [closed] = of_type(out, LeadDisqualified)
    assert closed.reason == "Duplicate of LEAD-000001 (same e-mail); merged into it"
    (row,) = merge(rows_for(out))["leads"]
    assert (row.values["lead_status"], row.values["notes"]) == ("unqualified", closed.reason)


def test_a_lead_of_a_person_whose_earlier_lead_was_lost_is_a_new_enquiry() -> None:
    w = two_reps()
    w.lead("L1", email="asha@plant.example")
    w.ok(MarkLeadLost, "L1", reason="No budget")
    out = w.lead("L2", email="asha@plant.example")  # the same person, a new enquiry
    assert of_type(out, LeadMatched) == []
    assert of_type(out, LeadDisqualified) == []
    assert of_type(out, LeadAssigned)[0].assigned_to == "R2"


def test_a_lead_with_a_contacts_email_is_linked_and_converts_onto_that_contact() -> None:
    w = two_reps()
    w.account("A1", "Kaveri Forgings Ltd")
    w.contact("C1", "A1", email="ravi@kaveri.example")
    w.qualified_lead("L1", company_name="Kaveri Forge", email="RAVI@kaveri.example")
    [matched] = of_type([e for e in w.events if e.aggregate_id == "L1"], LeadMatched)
    assert (matched.match_rule, matched.account_id, matched.contact_id) == (
        "contact", "A1", "C1")
    out = w.convert("L1", rep="R1")
    [done] = of_type(out, LeadConverted)
    assert (done.account_id, done.contact_id, done.account_created) == ("A1", "C1", False)
    assert of_type(out, AccountCreated) == [] and of_type(out, ContactCreated) == []


def test_a_lead_whose_company_is_an_account_is_linked_to_it() -> None:
    w = two_reps()
    w.account("A1", "Kaveri  Forgings LTD")
    out = w.lead("L1", company_name="kaveri forgings ltd", email="new.person@kaveri.example")
    [matched] = of_type(out, LeadMatched)
    assert (matched.match_rule, matched.account_id, matched.contact_id) == (
        "account", "A1", None)
    assert of_type(out, LeadDisqualified) == []


def test_an_unmatched_lead_is_captured_as_before() -> None:
    w = two_reps()
    out = w.lead("L1")
    assert [type(e) for e in out if isinstance(e, LeadMatched | LeadDisqualified)] == []
    assert of_type(out, LeadCaptured)[0].email == "asha@l1.example"


def test_a_changed_contact_email_matches_under_its_new_address_only() -> None:
    w = two_reps()
    w.account("A1", "Kaveri Forgings Ltd")
    w.contact("C1", "A1", email="old@kaveri.example")
    w.ok(UpdateContact, "C1", email="new@kaveri.example")
    facts = CaptureLead(event_id="x", aggregate_id="L9", occurred_at=w.now,
                        company_name="Other Co", lead_source="website",
                        email="old@kaveri.example")
    assert match_lead(w.state, facts) is None
    facts = facts.model_copy(update={"email": "New@Kaveri.example"})
    assert match_lead(w.state, facts).contact_id == "C1"  # type: ignore[union-attr]


def test_email_addresses_compare_trimmed_and_case_insensitively() -> None:
    assert normalise_email("  A.B@X.Example ") == "a.b@x.example"
    assert normalise_email("   ") is None
    assert normalise_email(None) is None


def test_a_lead_matched_to_a_contact_keeps_the_contact_and_its_account_on_its_record() -> None:
    w = two_reps()
    w.account("A1", "Kaveri Forgings Ltd")
    w.contact("C1", "A1", email="ravi@kaveri.example")
    w.lead("L1", company_name="Kaveri Forge", email="ravi@kaveri.example")
    lead = w.state.get("lead", "L1")
    assert (lead.matched_account_id, lead.matched_contact_id) == ("A1", "C1")


def test_a_contact_moving_to_a_new_email_leaves_the_others_with_the_old_one_matchable() -> None:
    w = two_reps()
    w.account("A1", "Kaveri Forgings Ltd")
    w.account("A2", "Godavari Castings Ltd")
    w.contact("C1", "A1", email="buyer@shared.example")
    w.contact("C2", "A2", email="buyer@shared.example")
    w.ok(UpdateContact, "C1", email="ravi@kaveri.example")
    facts = CaptureLead(event_id="x", aggregate_id="L9", occurred_at=w.now,
                        company_name="Other Co", lead_source="website",
                        email="buyer@shared.example")
    found = match_lead(w.state, facts)
    assert found is not None
    assert (found.rule, found.contact_id, found.account_id) == ("contact", "C2", "A2")


def test_a_lead_linked_to_an_account_is_still_assigned_in_turn_and_stays_open() -> None:
    w = two_reps()
    w.account("A1", "Kaveri Forgings Ltd")
    out = w.lead("L1", company_name="Kaveri Forgings Ltd")
    [matched] = of_type(out, LeadMatched)
    assert (matched.match_rule, matched.match_reason) == (
        "account", "company name matches the account's")
    assert [(a.aggregate_id, a.assigned_to) for a in of_type(out, LeadAssigned)] == [("L1", "R1")]
    assert w.state.get("lead", "L1").status == "new"


def test_a_duplicate_goes_to_the_first_leads_owner_in_the_owners_territory() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "WEST")
    w.rep("R1", territory="T1")
    w.rep("R2")
    w.lead("L1", email="asha@plant.example")
    [assigned] = of_type(w.lead("L2", email="asha@plant.example"), LeadAssigned)
    assert (assigned.assigned_to, assigned.territory_id) == ("R1", "T1")


def test_a_duplicate_whose_first_owner_left_is_assigned_in_turn_and_still_closed() -> None:
    w = two_reps()
    w.lead("L1", email="asha@plant.example")  # R1
    w.ok(ChangeRepStatus, "R1", rep_status="inactive")
    out = w.lead("L2", email="asha@plant.example")
    assert of_type(out, LeadMatched)[0].duplicate_of_lead_id == "L1"
    assert [(a.aggregate_id, a.assigned_to, a.assignment_reason)
            for a in of_type(out, LeadAssigned)] == [("L2", "R2", "no territory rep, round-robin")]
    assert [d.aggregate_id for d in of_type(out, LeadDisqualified)] == ["L2"]
