"""What a deal owner keeps on the opportunity record (mixed into `SalesDesk`): the cost
estimate (the core derives the margin), the next step and its date as the deal moves on,
and why the customer chose us, recorded when the quote is accepted, before the ERP's order
closes the deal (docs/simulation.md, "Cost estimates, margin and next step" and "Win
reasons").

Record keeping must not change the business it records: every draw here comes from a
random stream of its own per deal and purpose (`_stream`), and the commands carry event
ids outside the kernel's counter (`_send_aside`). The core derives the ids of what a
command causes (quotes, orders) from the command's event id, and the ERP stand-in draws
its reply from the request's id; sending these commands through `Kernel.send` would
renumber every later command and so change every quote id, every ERP reply time and, from
there, the rest of the history.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.kernel.messages import Command
from domain.opportunities.messages import ChangeOpportunityTerms, RecordWinReason
from simulators.worktime import after, local_day

if TYPE_CHECKING:
    from simulators.kernel import Kernel
    from simulators.sales import Deal

# Gross margin a manufacturer plans on each product line (low, high; share of the price):
# engineered machines earn more than metal-by-the-kilo, spares and service most
# (docs/simulation.md, "Cost estimates", gives the sources). Unknown families: GENERIC_MARGIN.
GROSS_MARGIN: dict[str, tuple[float, float]] = {
    "CNC machining centres": (0.28, 0.36), "Precision castings": (0.18, 0.25),
    "Hydraulic pumps and power packs": (0.25, 0.33), "Industrial gearboxes": (0.25, 0.32),
    "Electrical control panels": (0.20, 0.28), "Forgings": (0.18, 0.25),
    "Robotic automation cells": (0.25, 0.35), "Conveyor systems": (0.22, 0.30),
    "Screw air compressors": (0.28, 0.36), "Spares and annual maintenance": (0.32, 0.40)}
GENERIC_MARGIN = (0.20, 0.35)
NOTE_DELAY_MINUTES = 10  # the rep updates the record a few minutes after the event
# What a rep writes as the next step, by the step ahead: "qualification" while prospecting,
# "needs_analysis" while qualifying, "proposal" during the evaluation, "follow_up" once the
# quote is out, "negotiation" in the price talks, "order" once the customer has accepted.
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "qualification": ("Qualification call: budget, decision maker and timeline",
                      "Discovery call with the plant head: capacity plan and budget",
                      "Meet purchase to confirm the budget and approval route"),
    "needs_analysis": ("Agree the evaluation plan: demo or site visit",
                       "Technical discussion with the customer's engineering team",
                       "Collect drawings and duty requirements from the plant"),
    "proposal": ("Prepare and send the techno-commercial offer",
                 "Get the costing signed off and send the quotation",
                 "Submit the offer with GA drawings and the delivery schedule"),
    "follow_up": ("Follow up on the quotation with the buying team",
                  "Call purchase for feedback on the offer",
                  "Walk the plant head through the offer"),
    "negotiation": ("Send revised quote after the price discussion",
                    "Negotiate price and payment terms with purchase",
                    "Meeting with the CFO to close the commercial terms"),
    "order": ("Confirm the PO and delivery schedule with purchase",
              "Collect the advance payment and the signed PO",
              "Kick-off meeting with the project team after the PO")}
# The evaluation step that goes with a product line (instead of a generic one, half the time).
EVALUATION = {
    "CNC machining centres": "Trial cut on the customer's sample parts at our demo centre",
    "Precision castings": "Send sample castings for the customer's first-article inspection",
    "Forgings": "Send sample forgings for the customer's first-article inspection",
    "Robotic automation cells": "Cell layout and cycle-time simulation review with the plant",
    "Spares and annual maintenance": "Plant visit with the maintenance head: machine audit",
    "Screw air compressors": "Air audit at the plant: demand profile and leaks",
    "Conveyor systems": "Site survey of the line layout with the production manager",
    "Electrical control panels": "Review of the single-line diagram with the customer's "
                                 "electrical team",
    "Industrial gearboxes": "Plant visit with the maintenance head: duty and mounting",
    "Hydraulic pumps and power packs": "Plant visit with the maintenance head: circuit review"}
# Why customers choose us (the WIN_REASONS picklist), weights by kind of deal; a deal won
# against a competitor at 10 % off or more, or after a negotiation, adds PRICE_EDGE to Price;
# spares and service deals add SERVICE_EDGE to Service and support. Our assumption (see
# docs/simulation.md, "Win reasons").
WIN_WEIGHTS: dict[str, dict[str, int]] = {
    "new_business": {"Product fit": 35, "Price": 15, "Delivery lead time": 15, "Quality": 15,
                     "Service and support": 10, "Relationship": 10},
    "repeat": {"Relationship": 30, "Product fit": 20, "Service and support": 15,
               "Quality": 10, "Price": 10, "Delivery lead time": 10, "Incumbent supplier": 5},
    "renewal": {"Incumbent supplier": 40, "Service and support": 35, "Relationship": 15,
                "Price": 10}}
PRICE_EDGE, SERVICE_EDGE = 35, 20
WIN_NOTES = {
    "Price": "Won against {rival} on price: {discount:.0f} % off list{after}.",
    "Price/open": "Best price of the offers received: {discount:.0f} % off list{after}.",
    "Price/list": "Our list price was below the other offers.",
    "Product fit": "Our {family} met the specification best; the evaluation convinced the "
                   "plant team.",
    "Relationship": "Long relationship with the plant and purchase heads; they trust our "
                    "commitments.",
    "Delivery lead time": "We committed delivery before the customer's planned shutdown.",
    "Service and support": "Service engineers and spares stocked near the plant decided it.",
    "Incumbent supplier": "Our equipment already runs at the plant; they standardise on it.",
    "Quality": "Better quality record (rejections, audits) than the other bidders."}


class DealRecords:
    """The owner's record keeping on each deal (see the module docstring)."""

    # provided by Desk and SalesDesk
    k: Kernel
    at: Any
    deals: dict[str, Deal]
    aside: int

    def _stream(self, purpose: str, opp_id: str) -> random.Random:
        """A random stream of its own for one purpose on one deal (seeded like the
        kernel's: by text, so the same in every process)."""
        return random.Random(f"{purpose}/{self.k.seed}/{opp_id}")

    def _send_aside(self, cls: type[Command], aggregate_id: str, *, actor: str,
                    **fields: Any) -> None:
        """Queue a command by `actor` with an event id of its own series (not the
        kernel's counter)."""
        self.aside = getattr(self, "aside", 0) + 1  # (a desk pickled before it: from 0)
        self.k.outbox.append(cls(event_id=f"sim-{self.k.ns}-rec-{self.aside:09d}",
                                 aggregate_id=aggregate_id, occurred_at=self.k.now,
                                 producer="simulator", actor=actor, **fields))

    def _estimate_cost(self, opp_id: str, deal: Deal, amount: Decimal,
                       family: str | None = None) -> None:
        """The cost estimate: the amount less the product line's planned gross margin
        (GROSS_MARGIN). A budgetary one when the deal opens, redone once the product lines
        are known; later discounts then eat into the margin."""
        low, high = GROSS_MARGIN.get(family or deal.category or "", GENERIC_MARGIN)
        margin = self._stream("margin", opp_id).uniform(low, high)
        cost = (amount * Decimal(f"{1 - margin:.4f}")).quantize(Decimal("1"))
        if amount > 0:
            self._note_terms(opp_id, {"cost_estimate": cost, "changed_by": deal.owner})

    def _plan_next_step(self, opp_id: str, deal: Deal, step: str, due: date) -> None:
        """The next agreed action (what a rep writes for the step ahead) and its date."""
        rng = self._stream(f"step/{step}", opp_id)
        text = rng.choice(NEXT_STEPS[step])
        if step == "needs_analysis" and deal.category in EVALUATION and rng.random() < 0.5:
            text = EVALUATION[deal.category]
        self._note_terms(opp_id, {"next_step": text, "next_step_date": due,
                                  "changed_by": deal.owner})

    def _note_terms(self, opp_id: str, fields: dict[str, Any]) -> None:
        # Event handlers (a deal just opened) may not send commands: the rep updates the
        # record a few minutes later, as an action of its own.
        self.at(self.k.now + timedelta(minutes=NOTE_DELAY_MINUTES), "note_terms", opp_id,
                fields)

    def note_terms(self, opp_id: str, fields: dict[str, Any]) -> None:
        """The owner updates the deal's cost estimate or next step (if still open)."""
        deal = self.deals.get(opp_id)
        if deal is not None:
            self._send_aside(ChangeOpportunityTerms, opp_id, actor=deal.rep(), **fields)

    def _negotiating(self, opp_id: str, deal: Deal) -> None:
        """Price talks: the next step is the revised offer or the commercial meeting."""
        due = local_day(after(self.k.now, 24 * 3, "office"))
        self._plan_next_step(opp_id, deal, "negotiation", due)

    def _customer_accepted(self, opp_id: str) -> None:
        """The customer accepted the quote: the owner records why we won and the order's
        next step; the ERP's sales order then closes the deal with that reason."""
        deal = self.deals.get(opp_id)
        if deal is None:
            return
        self._plan_next_step(opp_id, deal, "order", local_day(after(self.k.now, 24,
                                                                     "office")))
        self.at(self.k.now + timedelta(minutes=NOTE_DELAY_MINUTES), "record_win", opp_id)

    def record_win(self, opp_id: str) -> None:
        """The owner picks the win reason (`win_reason`) and says what decided it."""
        deal = self.deals.get(opp_id)
        if deal is None:
            return
        reason, notes = win_reason(deal, self._stream("win", opp_id))
        self._send_aside(RecordWinReason, opp_id, actor=deal.rep(), win_loss_reason=reason,
                         win_loss_notes=notes, recorded_by=deal.owner)


def win_reason(deal: Deal, rng: random.Random) -> tuple[str, str]:
    """Why this deal was won (a WIN_REASONS value) and the rep's note: weights by kind of
    deal (WIN_WEIGHTS), Price favoured when we won a contested deal at a discount, Service
    and support on spares and maintenance."""
    kind = ("renewal" if deal.kind == "renewal" else
            "repeat" if deal.kind in ("existing_customer", "upsell") else "new_business")
    weights = dict(WIN_WEIGHTS[kind])
    if deal.competitors and (deal.discount >= 10 or deal.negotiate or deal.revisions):
        weights["Price"] = weights.get("Price", 0) + PRICE_EDGE
    if (deal.category or "").startswith("Spares"):
        weights["Service and support"] = weights.get("Service and support", 0) + SERVICE_EDGE
    names = sorted(weights)  # a fixed order: the draw must not depend on dict history
    reason = rng.choices(names, [weights[n] for n in names])[0]
    revised = (f" after {deal.revisions} revision{'s' if deal.revisions > 1 else ''}"
               if deal.revisions else "")
    note = reason
    if reason == "Price":  # against whom, and at what discount
        note = ("Price/list" if round(deal.discount) < 1 and not deal.revisions
                else "Price" if getattr(deal, "rival", None) else "Price/open")
    notes = WIN_NOTES[note].format(
        rival=getattr(deal, "rival", None), discount=deal.discount, after=revised,
        family=(deal.category or "equipment").lower())
    return reason, notes
