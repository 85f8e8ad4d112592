"""Campaign rules: plan/launch/complete, A/B variants, members, results that agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from area_a_fixtures import World, of_type, rejection

from domain.campaign_members import (
    AddCampaignMember,
    CampaignMemberStatusChanged,
    RecordCampaignResponse,
)
from domain.campaigns import (
    CampaignCompleted,
    CampaignResultsUpdated,
    CampaignVariantStatsUpdated,
    CompleteCampaign,
    IncurCampaignCost,
    LaunchCampaign,
    PlanCampaign,
    VariantSpec,
    record_campaign_outcome,
)
from domain.contacts import ContactOptedOut, OptOutContact
from domain.core import Context
from domain.leads import CaptureLead
from domain.messages import utc
from domain.system import TickClock


def results(w: World, cid: str = "C1") -> CampaignResultsUpdated:
    return [e for e in of_type(w.events, CampaignResultsUpdated) if e.aggregate_id == cid][-1]


def variant(w: World, code: str, cid: str = "C1") -> CampaignVariantStatsUpdated:
    return [e for e in of_type(w.events, CampaignVariantStatsUpdated)
            if e.aggregate_id == cid and e.variant_code == code][-1]


def in_core(w: World, rule, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Run an interface function the way another area's rule would, and commit."""
    ctx = Context(w.state, w.cmd(TickClock, "clock"), w.rules)
    rule(ctx, *args, **kwargs)
    w.events.extend(ctx.commit())


def test_planning_refuses_repeated_variant_codes_and_reversed_dates() -> None:
    w = World()
    twice = [VariantSpec(variant_code="A"), VariantSpec(variant_code="A")]
    assert rejection(w.send(PlanCampaign, "C1", campaign_name="X", campaign_type="email",
                            start_date=date(2026, 3, 1), end_date=date(2026, 3, 2),
                            variants=twice)) == "campaign variant codes repeat: A, A"
    assert "is before its start" in (rejection(w.send(
        PlanCampaign, "C1", campaign_name="X", campaign_type="email",
        start_date=date(2026, 3, 2), end_date=date(2026, 3, 1))) or "")


def test_only_a_planned_campaign_launches_and_only_a_running_one_completes() -> None:
    w = World()
    w.campaign("C1", launch=False)
    assert rejection(w.send(CompleteCampaign, "C1")) == "campaign C1 is planned, not in_progress"
    w.ok(LaunchCampaign, "C1")
    assert rejection(w.send(LaunchCampaign, "C1")) == "campaign C1 is in_progress, not planned"


def add_member(w: World, mid: str, lead: str, code: str | None) -> str | None:
    """Send AddCampaignMember for a lead; the rejection reason, if any."""
    return rejection(w.send(AddCampaignMember, mid, campaign_id="C1", member_type="lead",
                            lead_id=lead, variant_code=code))


def test_members_of_a_campaign_with_variants_need_a_known_variant() -> None:
    w = World()
    w.campaign("C1", variants=("A", "B"))
    w.lead("L1")
    assert add_member(w, "M1", "L1", None) == "campaign C1 needs one of its variant codes (A, B)"
    assert add_member(w, "M1", "L1", "Z") == "campaign C1 needs one of its variant codes (A, B)"
    assert add_member(w, "M1", "L1", "A") is None
    assert add_member(w, "M2", "L1", "B") == "lead L1 is already a member of C1"
    assert add_member(w, "M3", "NOPE", "A") == "lead NOPE does not exist"


def test_members_cannot_join_a_completed_campaign() -> None:
    w = World()
    w.campaign("C1")
    w.lead("L1")
    w.ok(CompleteCampaign, "C1")
    assert add_member(w, "M1", "L1", None) == (
        "campaign C1 is completed, not planned or in_progress")


def test_a_click_counts_as_an_open_once_and_repeats_change_nothing() -> None:
    w = World()
    w.campaign("C1", variants=("A",))
    for n in range(4):
        w.lead(f"L{n}")
        w.member(f"M{n}", "C1", lead=f"L{n}", variant="A")
    w.respond("M0", "clicked")
    w.respond("M0", "opened")  # going back: nothing
    assert of_type(w.respond("M0", "clicked"), CampaignMemberStatusChanged) == []
    w.respond("M1", "opened")
    w.respond("M2", "responded")
    stats = variant(w, "A")
    assert (stats.members_sent, stats.opened, stats.clicked, stats.responded) == (4, 3, 2, 1)
    assert (stats.open_rate_pct, stats.click_rate_pct, stats.response_rate_pct) == (
        Decimal("75.00"), Decimal("50.00"), Decimal("25.00"))


def test_a_bounce_only_before_engagement_and_nothing_after_a_bounce() -> None:
    w = World()
    w.campaign("C1")
    w.lead("L1")
    w.lead("L2")
    w.member("M1", "C1", lead="L1")
    w.member("M2", "C1", lead="L2")
    w.respond("M1", "opened")
    assert rejection(w.send(RecordCampaignResponse, "M1", response="bounced")) == (
        "campaign member M1 cannot bounce once opened")
    w.respond("M2", "bounced")
    assert rejection(w.send(RecordCampaignResponse, "M2", response="opened")) == (
        "campaign member M2 has bounced")


def test_a_contact_opting_out_of_a_campaign_is_opted_out_of_email() -> None:
    w = World()
    w.account("A1", "Acme")
    w.contact("K1", "A1")
    w.contact("K2", "A1")
    w.ok(OptOutContact, "K2")
    w.campaign("C1")
    w.member("M1", "C1", contact="K1")
    events = w.respond("M1", "opted_out")
    assert of_type(events, ContactOptedOut)[0].aggregate_id == "K1"
    refused = w.send(AddCampaignMember, "M2", campaign_id="C1", member_type="contact",
                     contact_id="K2")
    assert rejection(refused) == "contact K2 opted out of e-mail"


def test_the_winner_has_the_highest_response_rate_and_ties_go_to_the_lower_code() -> None:
    w = World()
    w.campaign("C1", variants=("A", "B", "C"))
    plan = {"A": (4, 1), "B": (2, 1), "C": (4, 2)}  # B and C tie at 50 %
    for code, (sent, responded) in plan.items():
        for n in range(sent):
            lid = f"L{code}{n}"
            w.lead(lid)
            w.member(f"M{lid}", "C1", lead=lid, variant=code)
            if n < responded:
                w.respond(f"M{lid}", "responded")
    done = of_type(w.ok(CompleteCampaign, "C1"), CampaignCompleted)[0]
    assert done.winner_variant_code == "B"


def test_a_campaign_without_members_completes_with_no_winner() -> None:
    w = World()
    w.campaign("C1", variants=("A", "B"))
    done = of_type(w.ok(CompleteCampaign, "C1"), CampaignCompleted)[0]
    assert done.winner_variant_id is None


def test_a_running_campaign_completes_on_the_first_tick_after_its_end_date() -> None:
    w = World()
    w.campaign("C1", end_date=date(2026, 3, 10))
    assert w.send(TickClock, "clock", occurred_at=utc(2026, 3, 10, 23, 30)) == []
    events = w.send(TickClock, "clock", occurred_at=utc(2026, 3, 11, 0, 0))
    assert [type(e) for e in events] == [CampaignCompleted]
    assert w.send(TickClock, "clock", occurred_at=utc(2026, 3, 12)) == []


def test_costs_accumulate_into_roi_and_cost_per_lead() -> None:
    w = World()
    w.campaign("C1")
    w.ok(IncurCampaignCost, "C1", amount=Decimal("30000"))
    assert results(w).roi_pct == Decimal("-100.00") and results(w).cost_per_lead is None
    w.ok(IncurCampaignCost, "C1", amount=Decimal("10000"))
    for n in range(3):
        w.lead(f"L{n}", source_campaign_id="C1")
    in_core(w, record_campaign_outcome, "C1", deal_won_amount=Decimal("100000"))
    r = results(w)
    assert (r.actual_cost, r.total_leads, r.deals_won, r.total_revenue) == (
        Decimal("40000"), 3, 1, Decimal("100000.00"))
    assert (r.roi_pct, r.cost_per_lead) == (Decimal("150.00"), Decimal("13333.33"))


def test_campaign_totals_agree_with_the_leads_folded() -> None:
    w = World()
    w.rep("R1")
    w.campaign("C1", variants=("A", "B"))
    w.campaign("C2")
    for n in range(6):
        w.lead(f"P{n}")
        w.member(f"M{n}", "C1", lead=f"P{n}", variant="AB"[n % 2])
    for n in range(8):
        source = "C1" if n % 3 else "C2"
        member = f"M{n}" if n < 6 and source == "C1" else None
        w.ok(CaptureLead, f"L{n}", company_name=f"Firm {n % 4}", lead_source="referral",
             company_size="enterprise", industry="Energy", contact_first_name="A",
             contact_last_name="B", source_campaign_id=source, campaign_member_id=member)
        if n % 2:
            w.bant(f"L{n}")
        if n % 4 == 1:
            w.convert(f"L{n}")
    w.ok(CaptureLead, "X1", company_name="Nobody", lead_source="website")  # no campaign

    for cid in ("C1", "C2"):
        leads = [lead for lead in w.state.store("lead").values()
                 if lead.source_campaign_id == cid]
        members = [m for m in w.state.store("campaign_member").values()
                   if m.campaign_id == cid]
        opportunities = [o for o in w.state.store("opportunity").values()
                         if o.source_campaign_id == cid]
        r = results(w, cid)
        assert r.total_leads == len(leads) == sum(m.lead_created for m in members)
        assert r.qualified_leads == sum(lead.ever_qualified for lead in leads)
        assert r.converted_leads == sum(lead.converted for lead in leads)
        assert r.opportunities_created == len(opportunities) == r.converted_leads
        assert sum(m.opportunity_created for m in members) == r.converted_leads
    assert results(w, "C1").total_leads == 5 and results(w, "C2").total_leads == 3
    created = sum(variant(w, c).leads_created for c in "AB")
    assert created == sum(1 for n in range(6) if n % 3)
