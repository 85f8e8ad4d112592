"""Projections of the sales organisation, campaigns, leads, accounts and contacts on a real
PostgreSQL: rows per table, agreement, redelivery.

One scenario exercises every event of these aggregates; its events are projected, the rows
checked, and the same events applied again (as one batch, and one event per batch) must
leave every row as it was.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from scenario import MINUTE, Scenario
from support import project

from domain.accounts.messages import (
    AddAccountTeamMember,
    ChangeAccountRelationship,
    LinkAccountToCustomer,
    RemoveAccountTeamMember,
    SetParentAccount,
    UpdateAccount,
)
from domain.campaigns.lifecycle import record_campaign_outcome
from domain.campaigns.messages import CompleteCampaign, IncurCampaignCost
from domain.contacts.messages import ChangeContactRole, OptOutContact, UpdateContact
from domain.kernel.messages import Event
from domain.leads.messages import CaptureLead, DisqualifyLead, MarkLeadLost, NurtureLead
from domain.sales_org.messages import ChangeRepStatus, SetRepQuota
from domain.sales_org.performance import record_rep_deal

pytestmark = pytest.mark.integration

TABLES = ("sales_territories", "sales_reps", "campaigns", "campaign_members",
          "campaign_variants", "leads", "lead_activities", "accounts", "contacts",
          "account_team_members")
MODULES = ("domain.sales_org.messages", "domain.campaigns.messages",
           "domain.accounts.messages", "domain.leads.messages", "domain.contacts.messages")
# in those modules, but projected and tested by the health, matching and touch tests
OTHERS = frozenset({"AccountHealthScored", "LeadMatched", "ContactTouched"})


def scenario() -> Scenario:
    """Every event of MODULES at least once."""
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH", countries=["India"], states=["Delhi", "Punjab"],
                account_tiers=["key"], territory_quota=Decimal("50000000"))
    w.rep("M1", "Manager", territory="T1")
    w.rep("R1", territory="T1", manager="M1")
    w.rep("R2", "SDR", territory="T1", manager="M1")
    w.ok(SetRepQuota, "R1", annual_quota=Decimal("12000000"), quarterly_quota=Decimal("3000000"))
    w.ok(ChangeRepStatus, "R2", rep_status="on_leave")
    w.campaign("C1", variants=("A", "B"))
    w.ok(IncurCampaignCost, "C1", amount=Decimal("20000"))
    for n in range(4):
        w.lead(f"P{n}", state="Delhi")
        w.member(f"M{n}", "C1", lead=f"P{n}", variant="AB"[n % 2])
    w.respond("M0", "clicked")
    w.respond("M1", "responded")
    w.respond("M2", "bounced")
    w.respond("M3", "opted_out")
    w.ok(CaptureLead, "L1", company_name="Acme Industries", lead_source="referral",
         company_size="enterprise", industry="Energy", state="Delhi",
         contact_first_name="Asha", contact_last_name="Rao", email="asha@acme.example",
         source_campaign_id="C1", campaign_member_id="M0", description="it's 'quoted'")
    w.ok(CaptureLead, "L2", company_name="Beta", lead_source="website", source_campaign_id="C1")
    w.activity("L1")
    w.bant("L1")
    w.convert("L1")
    w.ok(DisqualifyLead, "P1", reason="no budget")
    w.ok(NurtureLead, "P1")
    w.ok(MarkLeadLost, "P2", reason="went elsewhere")
    w.run(lambda ctx: record_campaign_outcome(ctx, "C1", deal_won_amount=Decimal("750000")))
    w.ok(CompleteCampaign, "C1")
    w.run(lambda ctx: record_rep_deal(ctx, "R1", Decimal("750000"), True))
    w.account("A0", "Acme Group", account_type="customer")
    account_id = w.state.get("opportunity", _opportunity(w)).account_id
    w.ok(UpdateAccount, account_id, account_tier="key", website="acme.example")
    w.ok(SetParentAccount, account_id, parent_account_id="A0")
    w.ok(AddAccountTeamMember, account_id, sales_rep_id="R1", team_role="account_owner")
    w.ok(AddAccountTeamMember, account_id, sales_rep_id="M1", team_role="executive_sponsor")
    team = w.state.get("account", account_id).team
    w.ok(RemoveAccountTeamMember, account_id, team_member_id=team[1].team_member_id)
    w.ok(ChangeAccountRelationship, "A0", relationship_status="at_risk", reason="late payments")
    w.ok(LinkAccountToCustomer, account_id, customer_id="CUST-000042")
    w.revenue(account_id, "750000", date(2026, 3, 20))
    w.contact("K1", account_id, job_title="Plant head")
    w.ok(UpdateContact, "K1", department="Operations")
    w.ok(ChangeContactRole, "K1", contact_role="champion", decision_authority="recommends")
    w.ok(OptOutContact, "K1")
    return w


def _opportunity(w: Scenario) -> str:
    return next(iter(w.state.store("opportunity")))


def ours(events: list[Event]) -> list[Event]:
    """Only the events of MODULES (the other projections have tests of their own)."""
    return [e for e in events
            if type(e).__module__ in MODULES and e.event_type not in OTHERS]


def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in TABLES}


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return [r._mapping for r in conn.execute(sa.text(sql), params)]


def one(engine: sa.Engine, sql: str, **params: Any) -> Any:
    found = rows(engine, sql, **params)
    assert len(found) == 1, found
    return found[0]


def test_rows_are_projected_and_agree_with_the_detail_tables(engine: sa.Engine) -> None:
    w = scenario()
    project(engine, ours(w.events))

    territory = one(engine, "SELECT * FROM sales_territories")
    assert json.loads(territory["states"]) == ["Delhi", "Punjab"]
    assert json.loads(territory["cities"]) == [] and territory["is_active"] is True
    r1 = one(engine, "SELECT * FROM sales_reps WHERE sales_rep_id = 'R1'")
    assert (r1["rep_code"], r1["annual_quota"], r1["ytd_revenue"], r1["ytd_deals_closed"],
            r1["win_rate_pct"]) == ("REP-000002", Decimal("12000000.00"),
                                    Decimal("750000.00"), 1, Decimal("100.00"))
    r2 = one(engine, "SELECT * FROM sales_reps WHERE sales_rep_id = 'R2'")
    assert (r2["rep_status"], r2["is_active"]) == ("on_leave", True)

    campaign = one(engine, "SELECT * FROM campaigns")
    leads_of = one(engine, "SELECT count(*) AS n, count(*) FILTER (WHERE converted) AS conv "
                           "FROM leads WHERE source_campaign_id = 'C1'")
    assert campaign["total_leads"] == leads_of["n"] == 2
    assert campaign["opportunities_created"] == leads_of["conv"] == 1
    assert (campaign["campaign_status"], campaign["actual_cost"], campaign["deals_won"],
            campaign["total_revenue"], campaign["roi_pct"], campaign["cost_per_lead"],
            campaign["qualified_leads"]) == (
        "completed", Decimal("20000.00"), 1, Decimal("750000.00"), Decimal("3650.00"),
        Decimal("10000.00"), 1)
    members = rows(engine, "SELECT * FROM campaign_members ORDER BY member_id")
    assert sum(m["lead_created"] for m in members) == campaign["total_leads"]
    assert {m["member_id"]: m["member_status"] for m in members if m["variant_code"]} == {
        "M0": "responded", "M1": "responded", "M2": "bounced", "M3": "opted_out"}
    m0 = next(m for m in members if m["member_id"] == "M0")
    assert m0["lead_created"] and m0["opportunity_created"] and m0["response_date"]
    variants = {v["variant_code"]: v for v in rows(engine, "SELECT * FROM campaign_variants")}
    assert (variants["A"]["members_sent"], variants["A"]["opened"], variants["A"]["clicked"],
            variants["A"]["responded"], variants["A"]["leads_created"]) == (2, 1, 1, 1, 1)
    assert variants["A"]["response_rate_pct"] == Decimal("50.00")
    # two sends per variant are no evidence (CampaignRules.ab_min_sends_per_variant)
    assert [c for c, v in variants.items() if v["is_winner"]] == []

    lead = one(engine, "SELECT * FROM leads WHERE lead_id = 'L1'")
    assert (lead["lead_status"], lead["qualification_status"], lead["converted"],
            lead["assigned_to"], lead["contact_attempts"], lead["has_budget"],
            lead["description"]) == ("converted", "qualified", True, "R1", 1, True,
                                     "it's 'quoted'")
    opp_id = _opportunity(w)
    assert lead["converted_to_opportunity_id"] == opp_id
    captured = next(m for m in w.inputs if isinstance(m, CaptureLead) and m.aggregate_id == "L1")
    assert lead["created_at"] == captured.occurred_at.replace(tzinfo=None)  # event time
    assert one(engine, "SELECT lead_id FROM lead_activities")["lead_id"] == "L1"
    statuses = {r["lead_id"]: (r["lead_status"], r["is_active"])
                for r in rows(engine, "SELECT * FROM leads")}
    assert statuses["P1"] == ("nurturing", True) and statuses["P2"] == ("lost", False)

    account = one(engine, "SELECT * FROM accounts WHERE account_id = :a",
                  a=lead["converted_to_account_id"])
    assert (account["account_number"], account["parent_account_id"], account["account_tier"],
            account["lifetime_value"], account["ytd_revenue"], account["account_type"],
            account["relationship_status"], account["customer_id"], account["health_score"]) == (
        "ACC-000001", "A0", "key", Decimal("750000.00"), Decimal("750000.00"), "customer",
        "active", "CUST-000042", 50)
    team = rows(engine, "SELECT team_role, is_active, end_date FROM account_team_members "
                        "ORDER BY team_role")
    assert [(t["team_role"], t["is_active"], t["end_date"] is not None) for t in team] == [
        ("account_owner", True, False), ("executive_sponsor", False, True)]
    contacts = {c["contact_id"]: c for c in rows(engine, "SELECT * FROM contacts")}
    assert contacts["K1"]["email_opted_out"] and contacts["K1"]["contact_role"] == "champion"
    assert contacts["K1"]["department"] == "Operations"
    assert contacts["K1"]["is_primary"] is False
    assert sum(c["is_primary"] for c in contacts.values()) == 1  # the converted lead's contact


def test_redelivered_events_leave_every_row_unchanged(engine: sa.Engine) -> None:
    events = ours(scenario().events)
    project(engine, events)
    first = dump(engine)
    project(engine, events)
    assert dump(engine) == first
    project(engine, *([e] for e in events))  # again, one event per batch
    assert dump(engine) == first


def test_one_batch_and_one_event_per_batch_give_the_same_rows(engine: sa.Engine) -> None:
    events = ours(scenario().events)
    project(engine, *([e] for e in events))
    one_by_one = dump(engine)
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(sa.text(f"TRUNCATE {table}"))
    project(engine, events)
    assert dump(engine) == one_by_one
