"""Leads: how the sales reps work them (capture is in `simulators.inbound`).

Each lead has a hidden *fit* (hot, warm, cold, junk) drawn by source; the fit decides
whether the prospect answers, what the BANT questions reveal and how the rep ends it.
Scoring, qualification and assignment are the core's: the rep learns the owner from
LeadAssigned and that a lead qualified from LeadQualified, and only then converts it
(after an SDR hands it to an account executive of the territory).
"""

from __future__ import annotations

from typing import Any

from domain.leads.messages import (
    AssessLeadBant,
    AssignLead,
    ConvertLead,
    DisqualifyLead,
    LogLeadActivity,
    MarkLeadLost,
    NurtureLead,
)
from simulators.inbound import Inbound, LeadFile
from simulators.kernel import SALES_OPS, Desk

REACH = {"hot": 0.95, "warm": 0.85, "cold": 0.7, "junk": 0.35}
BANT_YES = {"hot": 0.78, "warm": 0.36, "cold": 0.2, "junk": 0.06}
OPEN = ("new", "contacted", "nurturing", "qualified", "unqualified")


class LeadDesk(Inbound, Desk):
    """Captures inbound leads and works them: calls, BANT, nurture, hand-off, conversion."""

    NAME = "leads"
    HANDLES = {"LeadAssigned": "on_assigned", "LeadActivityLogged": "on_status",
               "LeadQualified": "on_qualified", "LeadNurtured": "on_nurtured",
               "LeadDisqualified": "on_closed", "LeadLost": "on_closed",
               "LeadConverted": "on_closed"}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.leads: dict[str, LeadFile] = {}
        self.enquirers: list[str] = []
        self.people: dict[str, list[tuple[str, str]]] = {}

    # ------------------------------------------------------------------ learning
    def on_assigned(self, e: Any) -> None:
        """The owner starts working a new lead; an AE converts a handed-off one."""
        lead = self.leads.get(e.aggregate_id)
        if lead is None:  # a lead from another source: work it like a warm one
            lead = self.leads[e.aggregate_id] = LeadFile("warm")
        first = lead.rep is None
        lead.rep = e.assigned_to
        if first:
            self.later(self._first_touch_delay(), "first_touch", e.aggregate_id)
        elif lead.status == "qualified":
            self.later(self.k.hours(24, 120), "convert", e.aggregate_id)

    def _first_touch_delay(self) -> float:
        return self.k.rng.choice((0.5, 1, 2, 3, 4, 6, 8, 12, 24, 30, 48))

    def on_status(self, e: Any) -> None:
        """Follow the lead's status."""
        lead = self.leads.get(e.aggregate_id)
        if lead is not None and lead.status != "qualified":
            lead.status = e.lead_status

    def on_qualified(self, e: Any) -> None:
        """Qualified: an SDR hands it to an AE, an AE moves to convert it."""
        lead = self.leads.get(e.aggregate_id)
        if lead is None:
            return
        lead.status = "qualified"
        self.book.nurturing.pop(e.aggregate_id, None)
        rep = self.book.reps.get(lead.rep or "")
        if rep is not None and rep.role == "SDR":
            self.later(self.k.hours(2, 24), "handoff", e.aggregate_id)
        else:
            self.later(self.k.hours(24, 120), "convert", e.aggregate_id)

    def on_nurtured(self, e: Any) -> None:
        """A nurtured lead may come back (a campaign response can also wake it)."""
        lead = self.leads.get(e.aggregate_id)
        if lead is None:
            return
        lead.status = "nurturing"
        self.book.nurturing[e.aggregate_id] = lead.rep or ""
        if self.k.chance(0.2):
            self.later(24 * self.k.hours(20, 70), "reengage", e.aggregate_id)

    def on_closed(self, e: Any) -> None:
        """Converted, lost or disqualified: the rep is done with it."""
        self.leads.pop(e.aggregate_id, None)
        self.book.nurturing.pop(e.aggregate_id, None)

    # ------------------------------------------------------------------ the rep's work
    def _open(self, lead_id: str) -> LeadFile | None:
        lead = self.leads.get(lead_id)
        return lead if lead is not None and lead.status in OPEN and lead.rep else None

    def _log(self, lead_id: str, lead: LeadFile, kind: str, outcome: str, subject: str) -> None:
        self.k.send(LogLeadActivity, lead_id, activity_type=kind, subject=subject,
                    duration_minutes=self.k.rng.choice((5, 10, 20, 30, 45, 60)),
                    outcome=outcome, performed_by=lead.rep)

    def first_touch(self, lead_id: str) -> None:
        """Call or mail the prospect; three or four tries before giving up."""
        lead = self._open(lead_id)
        if lead is None or lead.status == "qualified":
            return
        if self.k.chance(REACH[lead.fit]):
            self._log(lead_id, lead, "call", "completed", "Introductory call")
            self.later(self.k.hours(12, 72), "discovery", lead_id)
            return
        lead.attempts += 1
        self._log(lead_id, lead, self.k.rng.choice(("call", "email")),
                  self.k.rng.choice(("no_answer", "left_message")), "Follow-up on enquiry")
        if lead.attempts < 3 + (lead.fit in ("hot", "warm")):
            self.later(self.k.hours(20, 60), "first_touch", lead_id)
        elif lead.fit in ("cold", "junk") or self.k.chance(0.5):
            self.k.send(MarkLeadLost, lead_id, actor=lead.rep,
                        reason=f"No response after {lead.attempts} "
                        "attempts")
        else:
            self.k.send(NurtureLead, lead_id, actor=lead.rep,
                        reason="Unreachable for now; add to newsletter")

    def discovery(self, lead_id: str, boost: float = 0.0) -> None:
        """A qualification meeting and the BANT answers it reveals."""
        lead = self._open(lead_id)
        if lead is None or lead.status == "qualified":
            return
        lead.rounds += 1
        p = min(0.97, BANT_YES[lead.fit] + boost)
        yes = [self.k.rng.random() < p for _ in range(4)]
        self._log(lead_id, lead, self.k.rng.choice(("meeting", "call", "demo")), "completed",
                  "Requirement discussion")
        self.k.send(AssessLeadBant, lead_id, actor=lead.rep,
                    has_budget=yes[0], is_decision_maker=yes[1],
                    has_identified_need=yes[2], has_timeline=yes[3])
        self.later(self.k.hours(24, 72), "review", lead_id)

    def review(self, lead_id: str) -> None:
        """Not qualified (yet): push a promising lead once more, else nurture or close it."""
        lead = self._open(lead_id)
        if lead is None or lead.status == "qualified":
            return
        rng = self.k.rng
        if lead.rounds < 2 and (lead.fit == "hot" or lead.fit == "warm" and rng.random() < 0.5):
            self._log(lead_id, lead, rng.choice(("demo", "site_visit")), "completed",
                      "Technical presentation at the plant")
            self.later(self.k.hours(24, 96), "discovery", lead_id, 0.1)
            return
        if rng.random() < 0.004:  # an impatient rep tries to convert anyway (refused)
            self.k.send(ConvertLead, lead_id, converted_by=lead.rep or "")
        weights = {"hot": (70, 0, 30), "warm": (60, 10, 30), "cold": (45, 35, 20),
                   "junk": (0, 80, 20)}[lead.fit]
        action = rng.choices(("nurture", "disqualify", "lost"), weights)[0]
        if action == "nurture" and lead.status == "nurturing":
            return  # stays in the nurture stream
        if action == "nurture":
            self.k.send(NurtureLead, lead_id, actor=lead.rep,
                        reason=rng.choice((
                "Budget expected next financial year", "Project timeline not firm",
                "Evaluating internally; revisit next quarter")))
        elif action == "disqualify":
            self.k.send(DisqualifyLead, lead_id, actor=lead.rep,
                        reason=rng.choice((
                "Not a manufacturing buyer", "Requirement outside our product range",
                "Student / job enquiry", "Order size too small", "Duplicate enquiry")))
        else:
            self.k.send(MarkLeadLost, lead_id, actor=lead.rep,
                        reason=rng.choice((
                "Chose a local supplier", "Went with a competitor on price",
                "Project cancelled")))

    def reengage(self, lead_id: str) -> None:
        """A nurtured lead is back in the market: reconnect and qualify again."""
        lead = self._open(lead_id)
        if lead is None or lead.status != "nurturing":
            return
        if lead.fit in ("cold", "warm") and self.k.chance(0.5):
            lead.fit = "warm" if lead.fit == "cold" else "hot"
        lead.rounds = 0
        self._log(lead_id, lead, "email", "completed", "Re-connecting on your requirement")
        self.later(self.k.hours(24, 72), "discovery", lead_id)

    def handoff(self, lead_id: str) -> None:
        """The SDR hands a qualified lead to an account executive of the territory."""
        lead = self.leads.get(lead_id)
        if lead is None or lead.status != "qualified" or lead.handed_off:
            return
        lead.handed_off = True
        rep = self.book.reps.get(lead.rep or "")
        ae = self.book.any_of(self.k.rng, "AE", rep.territory if rep else None)
        if ae is not None and ae != lead.rep:
            self.k.send(AssignLead, lead_id, actor=lead.rep or SALES_OPS, sales_rep_id=ae)
        else:
            self.later(self.k.hours(24, 72), "convert", lead_id)

    def convert(self, lead_id: str) -> None:
        """Convert a qualified lead (a few stall or slip away at the last step)."""
        lead = self.leads.get(lead_id)
        if lead is None or lead.status != "qualified" or not lead.rep:
            return
        draw = self.k.rng.random()
        if draw < 0.15:
            self.k.send(NurtureLead, lead_id, actor=lead.rep,
                        reason="Project put on hold by the customer")
        elif draw < 0.25:
            self.k.send(MarkLeadLost, lead_id, actor=lead.rep,
                        reason="Customer went ahead with incumbent")
        else:
            self._log(lead_id, lead, "meeting", "completed", "Requirement workshop")
            self.k.send(ConvertLead, lead_id, converted_by=lead.rep)
