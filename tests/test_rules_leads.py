"""Lead lifecycle rules: qualification thresholds, assignment, activities, conversion."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from scenario import MINUTE, Scenario, of_type, rejection

from domain.accounts.messages import AccountCreated
from domain.catalog import rulebook
from domain.contacts.messages import ContactCreated
from domain.kernel.engine import handle
from domain.kernel.messages import Event
from domain.leads.messages import (
    AssignLead,
    CaptureLead,
    DisqualifyLead,
    LeadActivityLogged,
    LeadAssigned,
    LeadConverted,
    LeadQualified,
    LeadScored,
    MarkLeadLost,
    NurtureLead,
)
from domain.opportunities.messages import OpportunityCreated
from domain.rules_config import DEFAULT_RULES, BusinessRules
from domain.sales_org.messages import ChangeRepStatus
from projectors.projection import merge, rows_for


def rules_with_source_points(points: int) -> BusinessRules:
    """Score = points + 8 per BANT + 6 recency, for a lead of no size in no target industry."""
    leads = replace(DEFAULT_RULES.leads, source_points={"website": points})
    return replace(DEFAULT_RULES, leads=leads)


def bare_lead(w: Scenario, lid: str = "L1") -> None:
    w.lead(lid, company_size=None, industry="Circus")


# ---- qualification thresholds --------------------------------------------------------

def test_a_score_of_exactly_60_with_three_bant_answers_qualifies() -> None:
    w = Scenario(rules_with_source_points(30), step=MINUTE)
    bare_lead(w)
    events = w.bant("L1")
    assert [e.lead_score for e in of_type(events, LeadQualified)] == [60]
    assert w.state.get("lead", "L1").status == "qualified"


def test_a_score_of_59_with_three_bant_answers_does_not_qualify() -> None:
    w = Scenario(rules_with_source_points(29), step=MINUTE)
    bare_lead(w)
    events = w.bant("L1")
    assert of_type(events, LeadQualified) == []
    lead = w.state.get("lead", "L1")
    assert (lead.score, lead.status, lead.qualification_status) == (59, "new", "in_progress")


def test_two_bant_answers_do_not_qualify_even_with_a_score_of_90() -> None:
    w = Scenario(rules_with_source_points(68), step=MINUTE)
    bare_lead(w)
    events = w.bant("L1", need=False)
    assert w.state.get("lead", "L1").score == 90
    assert of_type(events, LeadQualified) == []


def test_qualification_happens_after_the_change_that_makes_it_true() -> None:
    w = Scenario(rules_with_source_points(27), step=MINUTE)  # 27 + 24 + 6 = 57 with 3 BANT
    bare_lead(w)
    assert of_type(w.bant("L1"), LeadQualified) == []
    events = w.activity("L1")  # +3 engagement -> 60
    assert [type(e).__name__ for e in events][-2:] == ["LeadScored", "LeadQualified"]


def test_a_qualified_lead_stays_qualified_when_bant_answers_drop() -> None:
    w = Scenario(step=MINUTE)
    w.qualified_lead("L1")
    w.bant("L1", budget=False, authority=False)
    lead = w.state.get("lead", "L1")
    assert (lead.status, lead.qualification_status) == ("qualified", "qualified")


# ---- capture and scoring -------------------------------------------------------------

def test_a_captured_lead_is_scored_on_every_rule_and_keeps_its_grade() -> None:
    w = Scenario(step=MINUTE)
    scored = of_type(w.lead("L1"), LeadScored)  # website, medium, Energy
    assert [(e.lead_score, e.lead_grade, e.score_reason) for e in scored] == [
        (42, "C", "source=12 size=9 industry=15 bant=0 engagement=0 recency=6")]
    lead = w.state.get("lead", "L1")
    assert (lead.lead_number, lead.score, lead.grade) == ("LEAD-000001", 42, "C")
    assert (lead.industry, lead.company_size) == ("Energy", "medium")


def test_a_lead_that_scores_nothing_is_still_scored_once_at_capture() -> None:
    nothing = replace(DEFAULT_RULES.leads, source_points={}, recency_points=0)
    w = Scenario(replace(DEFAULT_RULES, leads=nothing), step=MINUTE)
    scored = of_type(w.lead("L1", company_size=None, industry="Circus"), LeadScored)
    assert [(e.lead_score, e.lead_grade) for e in scored] == [(0, "D")]


def test_a_change_that_leaves_score_and_grade_alone_emits_no_score() -> None:
    w = Scenario(step=MINUTE)
    bare_lead(w)
    events = w.bant("L1", budget=False, authority=False, need=False)
    assert of_type(events, LeadScored) == []


def test_a_campaign_member_without_its_campaign_is_refused() -> None:
    w = Scenario(step=MINUTE)
    reason = rejection(w.send(CaptureLead, "L1", company_name="Acme", lead_source="website",
                              campaign_member_id="M1"))
    assert reason == "a campaign_member_id needs its source_campaign_id"


def test_a_lead_credited_to_a_member_of_another_campaign_is_refused() -> None:
    w = Scenario(step=MINUTE)
    w.campaign("C1")
    w.campaign("C2")
    w.account("A1", "Acme")
    w.contact("K1", "A1")
    w.member("M2", "C2", contact="K1")
    reason = rejection(w.send(CaptureLead, "L1", company_name="Acme", lead_source="website",
                              source_campaign_id="C1", campaign_member_id="M2"))
    assert reason == "campaign member M2 is not a member of C1"


def test_commands_for_an_unknown_lead_are_refused() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    assert rejection(w.send(AssignLead, "NOPE", sales_rep_id="R1")) == (
        "lead NOPE does not exist")


# ---- activities and status changes ---------------------------------------------------

def test_an_activity_contacts_a_new_lead_and_counts_the_attempt() -> None:
    w = Scenario(step=MINUTE)
    w.lead("L1")
    first = of_type(w.activity("L1"), LeadActivityLogged)[0]
    second = of_type(w.activity("L1", "email"), LeadActivityLogged)[0]
    assert (first.lead_status, first.contact_attempts) == ("contacted", 1)
    assert second.contact_attempts == 2
    assert second.first_contact_date == first.activity_date
    assert second.last_contact_date == second.activity_date > first.activity_date


def test_disqualify_then_nurture_then_lost_and_nothing_after_lost() -> None:
    w = Scenario(step=MINUTE)
    w.lead("L1")
    w.ok(DisqualifyLead, "L1", reason="no budget this year")
    assert w.state.get("lead", "L1").qualification_status == "disqualified"
    assert rejection(w.send(DisqualifyLead, "L1", reason="again")) == "lead L1 is unqualified"
    w.ok(NurtureLead, "L1")
    w.ok(MarkLeadLost, "L1", reason="bought elsewhere")
    assert w.state.get("lead", "L1").status == "lost"
    w.rep("R1")
    assert rejection(w.send(AssignLead, "L1", sales_rep_id="R1")) == "lead L1 is lost"
    assert rejection(w.send(NurtureLead, "L1")) == "lead L1 is lost"
    assert rejection(w.send(MarkLeadLost, "L1", reason="x")) == "lead L1 is lost"


def test_a_duplicate_input_changes_nothing() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    command = w.message(CaptureLead, "L1", company_name="Acme", lead_source="website")
    first = w.fold(command)
    snapshot = copy.deepcopy((w.state.entities, w.state.versions, w.state.counters))
    assert first and w.fold(command) == []
    assert (w.state.entities, w.state.versions, w.state.counters) == snapshot


def test_an_unknown_source_campaign_is_refused() -> None:
    w = Scenario(step=MINUTE)
    events = w.send(CaptureLead, "L1", company_name="Acme", lead_source="website",
                    source_campaign_id="NOPE")
    assert rejection(events) == "campaign NOPE does not exist"
    assert w.state.get("lead", "L1") is None


# ---- assignment ----------------------------------------------------------------------

def assigned(w: Scenario, lid: str) -> str | None:
    return w.state.get("lead", lid).assigned_to


def test_territory_round_robin_follows_rep_code_order_and_wraps() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH", states=["Delhi"])
    for rid in ("R1", "R2", "R3"):
        w.rep(rid, "AE" if rid != "R2" else "SDR", territory="T1")
    w.rep("M1", "Manager", territory="T1")  # managers get no leads
    for n in range(5):
        w.lead(f"L{n}", state="delhi")
    assert [assigned(w, f"L{n}") for n in range(5)] == ["R1", "R2", "R3", "R1", "R2"]


def test_each_territory_keeps_its_own_round_robin_cursor() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH", states=["Delhi"])
    w.territory("T2", "SOUTH", states=["Kerala"])
    for rid, tid in (("R1", "T1"), ("R2", "T1"), ("R3", "T2"), ("R4", "T2"), ("R5", "T2")):
        w.rep(rid, territory=tid)
    # interleaved: with one shared cursor T2's first lead would go to R4 and T1's second
    # lead back to R1
    for n, state in enumerate(("Delhi", "Kerala", "Delhi", "Kerala", "Kerala", "Kerala")):
        w.lead(f"L{n}", state=state)
    assert [assigned(w, f"L{n}") for n in range(6)] == ["R1", "R3", "R2", "R4", "R5", "R3"]
    assert w.state.counters["lead-rr/T1"] == 2 and w.state.counters["lead-rr/T2"] == 4
    first = of_type(w.events, LeadAssigned)[0]
    assert (first.territory_id, first.assignment_reason) == ("T1",
                                                             "territory NORTH, round-robin")


def test_leads_without_a_territory_do_not_move_a_territorys_cursor() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH", states=["Delhi"])
    w.rep("R1", territory="T1")
    w.rep("R2", territory="T1")
    w.lead("L0", state="Delhi")
    w.lead("L1", state="Goa")  # no territory: overall rotation, its own cursor
    w.lead("L2", state="Delhi")
    assert [assigned(w, f"L{n}") for n in range(3)] == ["R1", "R1", "R2"]
    assert (w.state.counters["lead-rr/T1"], w.state.counters["lead-rr/all"]) == (2, 1)
    overall = of_type(w.events, LeadAssigned)[1]
    assert (overall.territory_id, overall.assignment_reason) == (
        None, "no territory rep, round-robin")


def test_without_a_matching_territory_leads_rotate_over_all_active_reps() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH", states=["Delhi"])
    w.rep("R1", territory="T1")
    w.rep("R2")
    w.rep("R3", "SDR")
    w.ok(ChangeRepStatus, "R3", rep_status="on_leave")
    for n in range(3):
        w.lead(f"L{n}", state="Kerala")
    assert [assigned(w, f"L{n}") for n in range(3)] == ["R1", "R2", "R1"]
    assert of_type(w.events, LeadAssigned)[0].territory_id is None


def test_a_matching_territory_without_reps_falls_back_to_all_reps() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH", states=["Delhi"])
    w.territory("T2", "SOUTH", states=["Kerala"])
    w.rep("R2", territory="T2")
    w.lead("L1", state="Delhi")
    assert assigned(w, "L1") == "R2"


def test_the_most_specific_territory_wins_and_ties_go_to_the_lowest_code() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "B-INDIA", countries=["India"])
    w.territory("T2", "C-DELHI-ENERGY", countries=["India"], states=["Delhi"],
                industries=["Energy"])
    w.territory("T3", "A-DELHI", countries=["India"], states=["Delhi"])
    w.territory("T4", "0-KARNATAKA-ENERGY", countries=["India"], states=["Karnataka"],
                industries=["energy"])
    w.territory("T5", "A-ENERGY", countries=["India"], industries=["Energy"])
    w.territory("T6", "B-DELHI", countries=["India"], states=["Delhi"])  # ties with A-DELHI
    for tid in ("T6", "T1", "T2", "T3", "T4", "T5"):
        w.rep(f"R{tid}", territory=tid)
    w.lead("L1", state="Delhi", industry="Energy")
    w.lead("L2", state="Delhi", industry="Textiles")
    w.lead("L3", state="Goa", industry="Textiles")
    assert [assigned(w, lid) for lid in ("L1", "L2", "L3")] == ["RT2", "RT3", "RT1"]


def test_with_no_reps_at_all_a_lead_is_captured_unassigned() -> None:
    w = Scenario(step=MINUTE)
    events = w.lead("L1")
    assert of_type(events, LeadAssigned) == [] and assigned(w, "L1") is None


def test_a_lead_can_be_reassigned_by_hand_to_an_active_rep_only() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.rep("R2")
    w.lead("L1")
    w.territory("T1", "NORTH", states=["Delhi"])
    w.rep("R3", territory="T1")
    (by_hand,) = of_type(w.ok(AssignLead, "L1", sales_rep_id="R3"), LeadAssigned)
    assert (by_hand.territory_id, by_hand.assignment_reason) == ("T1", "assigned by hand")
    w.ok(AssignLead, "L1", sales_rep_id="R2")
    assert assigned(w, "L1") == "R2"
    w.ok(ChangeRepStatus, "R1", rep_status="inactive")
    assert rejection(w.send(AssignLead, "L1", sales_rep_id="R1")) == (
        "sales rep R1 is not an active sales rep")


# ---- conversion ----------------------------------------------------------------------

def test_converting_an_unqualified_lead_is_refused() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.lead("L1")
    assert rejection(w.convert("L1")) == "lead L1 is new, not qualified"
    assert w.state.store("account") == {}


def test_converting_twice_is_refused_and_changes_nothing() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1")
    assert rejection(w.convert("L1")) is None
    snapshot = copy.deepcopy((w.state.entities, w.state.versions, w.state.counters))
    assert rejection(w.convert("L1")) == "lead L1 already converted"
    assert (w.state.entities, w.state.versions, w.state.counters) == snapshot


def test_conversion_creates_account_contact_and_opportunity_and_links_them() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1", estimated_deal_value=Decimal("750000"),
                     expected_close_date=date(2026, 6, 30), product_interest="CNC lathes")
    events = w.convert("L1")
    account = of_type(events, AccountCreated)[0]
    contact = of_type(events, ContactCreated)[0]
    done = of_type(events, LeadConverted)[0]
    opp = w.state.get("opportunity", done.opportunity_id)
    assert (done.account_id, done.contact_id, done.account_created) == (
        account.aggregate_id, contact.aggregate_id, True)
    assert account.account_name == "L1 Industries" and account.account_owner == "R1"
    assert (contact.first_name, contact.last_name, contact.is_primary) == ("Asha", "Rao", True)
    assert contact.contact_role == "decision_maker"
    assert opp is not None
    created = [e for e in events if type(e).__name__ == "OpportunityCreated"][0]
    assert (created.amount, created.close_date, created.source_lead_id) == (
        Decimal("750000.00"), date(2026, 6, 30), "L1")
    assert w.state.get("lead", "L1").status == "converted"


def test_conversion_carries_the_leads_bant_answers_into_the_opportunity() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.lead("L1", lead_source="referral", company_size="enterprise", product_interest="CNC lathes",
           estimated_deal_value=Decimal("750000"), expected_close_date=date(2026, 6, 30))
    w.bant("L1", timeline=True)
    created = created_opportunity(w.convert("L1"))
    assert (created.budget_confirmed, created.budget_amount) == (True, Decimal("750000.00"))
    assert created.decision_maker_identified is True
    assert created.customer_requirements == "CNC lathes"
    assert created.customer_timeline == "Decision by 2026-06-30"
    (row,) = merge(rows_for([created]))["opportunities"]
    assert (row.values["budget_confirmed"], row.values["decision_maker_identified"],
            row.values["budget_amount"], row.values["customer_timeline"]) == (
        True, True, Decimal("750000.00"), "Decision by 2026-06-30")


@pytest.mark.parametrize(("budget", "authority", "need", "timeline"), [
    (False, True, True, True), (True, False, True, True), (True, True, False, True),
])
def test_a_bant_answer_that_is_no_stays_no_on_the_opportunity(
        budget: bool, authority: bool, need: bool, timeline: bool) -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.lead("L1", lead_source="referral", company_size="enterprise", product_interest="Robots",
           estimated_deal_value=Decimal("90000"))
    w.bant("L1", budget=budget, authority=authority, need=need, timeline=timeline)
    created = created_opportunity(w.convert("L1"))
    assert (created.budget_confirmed, created.decision_maker_identified) == (budget, authority)
    assert created.budget_amount == (Decimal("90000.00") if budget else None)
    assert created.customer_requirements == ("Robots" if need else None)
    assert created.customer_timeline == "Timeline confirmed"  # no date given


def created_opportunity(events: list[Event]) -> OpportunityCreated:
    (created,) = of_type(events, OpportunityCreated)
    return created


def test_conversion_defaults_amount_and_close_date_from_the_rules() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1", expected_close_date=date(2020, 1, 1))  # in the past: ignored
    created = [e for e in w.convert("L1") if type(e).__name__ == "OpportunityCreated"][0]
    rules = DEFAULT_RULES.leads
    assert created.amount == rules.default_deal_value
    assert (created.close_date - w.now.date()).days == rules.default_sales_cycle_days


def test_a_company_matching_an_existing_account_reuses_it_and_its_contact() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.account("A1", "Acme   Industries", account_type="customer")
    w.contact("C1", "A1", email="ASHA@acme.example")
    w.qualified_lead("L1", company_name="  acme industries", email="asha@acme.example")
    events = w.convert("L1")
    done = of_type(events, LeadConverted)[0]
    assert (done.account_id, done.contact_id, done.account_created) == ("A1", "C1", False)
    assert of_type(events, AccountCreated) == [] and of_type(events, ContactCreated) == []
    created = [e for e in events if type(e).__name__ == "OpportunityCreated"][0]
    assert created.opportunity_type == "existing_customer"


def test_a_lead_naming_nobody_converts_without_a_contact() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1", contact_first_name=None, contact_last_name=None)
    done = of_type(w.convert("L1"), LeadConverted)[0]
    assert done.contact_id is None


def test_conversion_by_an_unknown_rep_is_refused() -> None:
    w = Scenario(step=MINUTE)
    w.qualified_lead("L1")
    assert rejection(w.convert("L1", rep="GHOST")) == "sales rep GHOST does not exist"


@pytest.mark.parametrize("status_change", [DisqualifyLead, MarkLeadLost])
def test_a_lead_that_left_the_funnel_cannot_be_converted(status_change: type) -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.qualified_lead("L1")
    w.ok(status_change, "L1", reason="gone")
    assert "not qualified" in (rejection(w.convert("L1")) or "")


def test_replaying_the_same_log_gives_identical_events() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH", states=["Delhi"])
    w.rep("R1", territory="T1")
    w.campaign("C1", variants=("A", "B"))
    w.qualified_lead("L1", source_campaign_id="C1", state="Delhi")
    w.convert("L1")
    replayed = Scenario(step=MINUTE)
    out = [e for m in w.inputs for e in handle(replayed.state, m, book=rulebook())]
    assert out == w.events


def test_a_lead_can_be_converted_into_a_named_account_instead_of_a_match() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.account("A1", "L1 Industries")
    w.account("A2", "Parent Holdings")
    w.qualified_lead("L1")
    assert rejection(w.convert("L1", account_id="A9")) == "account A9 does not exist"
    done = of_type(w.convert("L1", account_id="A2"), LeadConverted)[0]
    assert (done.account_id, done.account_created) == ("A2", False)
