"""Which lead commands each lead status allows, and what a status change keeps."""

from __future__ import annotations

from typing import Any

import pytest
from scenario import MINUTE, Scenario, of_type, rejection

from domain.campaigns.messages import CampaignResultsUpdated
from domain.leads.messages import (
    AssessLeadBant,
    DisqualifyLead,
    LeadActivityLogged,
    LeadNurtured,
    LeadQualified,
    LogLeadActivity,
    MarkLeadLost,
    NurtureLead,
)

STATUSES = ("new", "contacted", "nurturing", "qualified", "unqualified", "lost", "converted")
COMMANDS: dict[str, tuple[type, dict[str, Any], set[str]]] = {
    "disqualify": (DisqualifyLead, {"reason": "no fit"},
                   {"new", "contacted", "nurturing", "qualified"}),
    "nurture": (NurtureLead, {"reason": "next year"},
                {"new", "contacted", "qualified", "unqualified"}),
    "lose": (MarkLeadLost, {"reason": "went elsewhere"},
             {"new", "contacted", "nurturing", "qualified", "unqualified"}),
    "log activity": (LogLeadActivity, {"activity_type": "call"},
                     {"new", "contacted", "nurturing", "qualified", "unqualified"}),
    "assess BANT": (AssessLeadBant, {"has_budget": False, "is_decision_maker": False,
                                     "has_identified_need": False, "has_timeline": False},
                    {"new", "contacted", "nurturing", "qualified"}),
}


def lead_in(status: str) -> Scenario:
    """A scenario whose lead L1 has `status` (and a rep R1)."""
    w = Scenario(step=MINUTE)
    w.rep("R1")
    if status in ("qualified", "converted"):
        w.qualified_lead("L1")
    else:
        w.lead("L1", lead_source="cold_call", company_size=None, industry="Circus")
    steps = {"contacted": [(LogLeadActivity, {"activity_type": "call"})],
             "nurturing": [(NurtureLead, {})],
             "unqualified": [(DisqualifyLead, {"reason": "no fit"})],
             "lost": [(MarkLeadLost, {"reason": "gone"})]}
    for cls, fields in steps.get(status, []):
        w.ok(cls, "L1", **fields)
    if status == "converted":
        assert rejection(w.convert("L1")) is None
    assert w.state.get("lead", "L1").status == status
    return w


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_lead_command_is_allowed_exactly_in_its_statuses(command: str,
                                                              status: str) -> None:
    cls, fields, allowed = COMMANDS[command]
    w = lead_in(status)
    reason = rejection(w.send(cls, "L1", **fields))
    assert reason == (None if status in allowed else f"lead L1 is {status}")


def test_nurturing_keeps_its_reason_and_an_activity_keeps_the_lead_nurturing() -> None:
    w = lead_in("contacted")
    (nurtured,) = of_type(w.ok(NurtureLead, "L1", reason="budget next FY"), LeadNurtured)
    assert nurtured.reason == "budget next FY"
    assert w.state.get("lead", "L1").status == "nurturing"
    (logged,) = of_type(w.activity("L1"), LeadActivityLogged)
    assert logged.lead_status == "nurturing"
    assert logged.activity_id.startswith("LACT-")


def test_a_contacted_lead_is_contacted_in_the_state_too() -> None:
    w = lead_in("new")
    w.activity("L1")
    assert w.state.get("lead", "L1").status == "contacted"


def test_a_campaign_counts_a_lead_qualified_again_only_once() -> None:
    w = Scenario(step=MINUTE)
    w.campaign("C1")
    w.qualified_lead("L1", source_campaign_id="C1")
    lead = w.state.get("lead", "L1")
    assert (lead.qualification_status, lead.ever_qualified) == ("qualified", True)
    w.ok(DisqualifyLead, "L1", reason="on hold")
    w.ok(NurtureLead, "L1")
    again = w.bant("L1")
    assert len(of_type(again, LeadQualified)) == 1
    assert of_type(again, CampaignResultsUpdated) == []
    assert w.state.get("lead", "L1").qualification_status == "qualified"
