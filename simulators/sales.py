"""Opportunities: each deal's fate is drawn when it opens, then the owner walks it through
the stages (products, competitors, demos, proposal) and the customer's quote decisions
(in `simulators.quotes`) play the fate out; the ERP's sales order closes it won. The
fate itself is drawn from simulators/deal_fate.py:
win probability by type (new business 25 %, existing customer 38 %, upsell 35 %, renewal
80 %, nudged by lead source); the cycle grows with the deal (`cycle_days`: about a month
for ₹2 lakh, two months for ₹16 lakh, four for ₹80 lakh, six to nine above ₹2 crore);
losers fall out at every stage, prospecting included. Every delay is working time
(`simulators.worktime.after`). Upsells on the installed base are opened by account
managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.opportunities.messages import ChangeOpportunityStage, OpenOpportunity
from simulators.catalog import COMPETITORS, FAMILIES, INDUSTRY_FAMILIES
from simulators.deal_fate import (
    DISCOUNTS,
    FALLOUT,
    LOSS_STAGES,
    P_WIN,
    SOURCE_EDGE,
    cycle_days,
    stage_share,
)
from simulators.deal_records import DealRecords
from simulators.deal_work import DealWork
from simulators.kernel import SALES_OPS, Desk
from simulators.quotes import QuoteFile, QuoteWork
from simulators.worktime import after, local_day, office_share, office_times, window
from simulators.world import deal_value, pick

NEEDS = ("Capacity expansion: a second line needs {f}",
         "Replacement of ageing equipment with {f}",
         "New product launch at the plant calls for {f}",
         "Standardise the plant on our {f} after good experience")
NEXT = {"prospecting": "qualification", "qualification": "needs_analysis",
        "needs_analysis": "proposal"}
LOSS_REASONS = {"prospecting": ("Budgetary enquiry only; no project",
                                "No response after the first meeting"),
                "qualification": ("No budget this financial year", "Requirement dropped"),
                "needs_analysis": ("Technical fit not adequate", "Lost to competitor on specs"),
                "proposal": ("Price too high", "No decision from customer"),
                "negotiation": ("Lost to competitor on price", "Payment terms not agreed")}


def first_opening(at: datetime, kind: str = "office") -> datetime:
    """`at` when `kind` is at work then, else the next opening of its working hours (no
    backlog before it: unlike `worktime.next_open`, which puts an instant of a closed
    spell behind the work that piled up in it)."""
    day = local_day(at)
    for _ in range(14):
        span = window(day, kind)
        if span is not None and span[1] > at:
            return max(span[0], at)
        day += timedelta(days=1)
    return at


@dataclass(slots=True)
class Deal:
    """An opportunity as its owner sees it, with the fate the market has in store."""

    account_id: str
    owner: str | None
    kind: str
    amount: Decimal
    created: datetime
    close_date: date
    category: str | None
    won: bool
    loss_stage: str | None
    cycle: float  # days
    negotiate: bool
    discount: float
    stage: str = "prospecting"
    quote: str | None = None
    revised: bool = False
    revisions: int = 0
    accepted: bool = False
    competitors: int = 0
    rival: str | None = None  # the competitor named last

    def rep(self) -> str:
        """Who works the deal: its owner, or sales operations while it has none."""
        return self.owner or SALES_OPS


class SalesDesk(DealWork, DealRecords, QuoteWork, Desk):
    """Works every open opportunity; opens upsells on the installed base."""

    NAME = "sales"
    HANDLES = {"OpportunityCreated": "on_created", "OpportunityStageChanged": "on_stage",
               "OpportunityWon": "on_closed", "OpportunityLost": "on_closed",
               **QuoteWork.QUOTE_HANDLES}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.deals: dict[str, Deal] = {}
        self.quotes: dict[str, QuoteFile] = {}
        self.aside = 0  # commands of the record keeping (DealRecords._send_aside)

    def plan_day(self, day_start: datetime) -> None:
        """Account managers open a few upsell opportunities on the installed base."""
        day = local_day(day_start)
        for when in office_times(day, self.k.count(1.5 * self.k.scale * office_share(day)),
                                 self.k.rng):
            self.at(when, "open_upsell")

    def open_upsell(self) -> None:
        """An account manager spots an expansion at a customer."""
        book, rng = self.book, self.k.rng
        if not book.customers:
            return
        account = book.accounts[rng.choices(book.customers, weights=book.customer_weight)[0]]
        family = rng.choice(INDUSTRY_FAMILIES.get(account.industry or "", FAMILIES))
        owner = account.manager or account.owner
        amount = deal_value(rng, account.size)
        budget = (Decimal(round(float(amount) * rng.uniform(0.9, 1.25), -4))
                  if rng.random() < 0.6 else None)  # 60 % have a budget approved
        self.k.send(OpenOpportunity, self.k.new_id("OPP"), actor=owner or SALES_OPS,
                    opportunity_name=f"{account.name} - {family} expansion"[:200],
                    account_id=account.account_id, opportunity_type=rng.choice(
                        ("upsell", "existing_customer")), product_category=family,
                    amount=amount, lead_source="account_management",
                    close_date=local_day(self.k.now) + timedelta(days=rng.randrange(45, 120)),
                    opportunity_owner=owner, created_by=owner,
                    primary_contact_id=account.contacts[0] if account.contacts else None,
                    decision_maker_identified=rng.random() < 0.7,
                    budget_confirmed=budget is not None, budget_amount=budget,
                    customer_timeline=rng.choice(("This quarter", "Next quarter",
                                                  "This financial year")),
                    customer_requirements=rng.choice(NEEDS).format(f=family.lower()))

    def later(self, hours: float, method: str, *args: Any, kind: str = "office") -> datetime:
        """`Desk.later`, but before the office first opens after go-live (the migration's
        instant, 05:30 IST on a Monday) counted from that opening: nothing piled up while
        the office was closed before the CRM existed, so the migrated deals' first steps
        are not queued behind a weekend's backlog (`worktime.next_open` would put them on
        Thursday, and their customers' answers in one lump the Monday after)."""
        opening = first_opening(self.k.start)
        if kind == "any" or self.k.now >= opening:
            return super().later(hours, method, *args, kind=kind)
        due = after(opening, hours, kind).replace(microsecond=0)
        self.at(due, method, *args)
        return due

    # ------------------------------------------------------------------ learning
    def on_created(self, e: Any) -> None:
        """A new opportunity: draw its fate and plan its first step."""
        rng = self.k.rng
        kind = e.opportunity_type
        won = rng.random() < P_WIN.get(kind, 0.3) + SOURCE_EDGE.get(e.lead_source or "", 0)
        if kind == "renewal":
            cycle = max(10.0, (e.close_date - local_day(e.occurred_at)).days - rng.uniform(3, 15))
            loss = None if won else pick(rng, LOSS_STAGES[2:])
        else:
            cycle = cycle_days(rng, float(e.amount), kind)
            loss = None if won else pick(rng, FALLOUT)
        low, high, _ = rng.choices(DISCOUNTS, [w for *_, w in DISCOUNTS])[0]
        self.deals[e.aggregate_id] = Deal(
            e.account_id, e.opportunity_owner, kind, e.amount, e.occurred_at, e.close_date,
            e.product_category, won, loss, cycle,
            loss == "negotiation" or (won and rng.random() < 0.35), rng.uniform(low, high))
        self.book.deal_account[e.aggregate_id] = e.account_id
        if e.cost_estimate is None:  # the rep's budgetary costing (refined with the lines)
            self._estimate_cost(e.aggregate_id, self.deals[e.aggregate_id], e.amount)
        self._next_step(e.aggregate_id, "qualification")

    def on_stage(self, e: Any) -> None:
        """Follow the stage."""
        deal = self.deals.get(e.aggregate_id)
        if deal is not None:
            deal.stage = e.to_stage
            if e.to_stage == "negotiation":
                self._negotiating(e.aggregate_id, deal)

    def on_accepted(self, e: Any) -> None:
        """The customer accepted the quote: the quote work's bookkeeping, then the owner
        records the win reason (before the ERP's order closes the deal)."""
        QuoteWork.on_accepted(self, e)
        quote = self.quotes.get(e.aggregate_id)
        if quote is not None and quote.opportunity_id:
            self._customer_accepted(quote.opportunity_id)

    def on_closed(self, e: Any) -> None:
        """Won or lost: the owner lets the deal go."""
        deal = self.deals.pop(e.aggregate_id, None)
        if deal is not None and deal.quote:
            self.quotes.pop(deal.quote, None)
        if e.event_type == "OpportunityLost":  # (a won deal's account: the contract desk's)
            self.book.deal_account.pop(e.aggregate_id, None)

    # ------------------------------------------------------------------ the owner's work
    def _next_step(self, opp_id: str, stage: str) -> None:
        deal, rng = self.deals[opp_id], self.k.rng
        share = stage_share(stage, deal.cycle) * (0.6 if deal.kind == "renewal" else 1.0)
        latest = share * 1.15  # the latest the draw below can put the step
        if deal.loss_stage == deal.stage:  # falls out a little after reaching its stage
            share = stage_share(stage, deal.cycle) * rng.uniform(0.7, 1.3)
            latest = stage_share(stage, deal.cycle) * 1.3 * 1.15
        due = after(deal.created, 24 * deal.cycle * share * rng.uniform(0.85, 1.15), "office")
        if due < self.k.now:  # a migrated deal's step drawn in its past: drawn again from
            # the part of the range still ahead (as many a day as in the steady state)
            start = first_opening(self.k.now)
            bound = after(deal.created, 24 * deal.cycle * latest, "office")
            span = max((bound - start).total_seconds() / 3600, 24.0)
            due = after(start, span * rng.random(), "office")
        self.at(due.replace(microsecond=0), "advance", opp_id)
        self._plan_next_step(opp_id, deal, stage, local_day(due))

    def advance(self, opp_id: str) -> None:
        """Move the deal one stage on (or close it lost where its fate says)."""
        deal = self.deals.get(opp_id)
        if deal is None or deal.stage not in NEXT:
            return
        if deal.loss_stage == deal.stage:
            self.close_lost(opp_id)
            return
        target = NEXT[deal.stage]
        if deal.kind == "renewal" and target == "needs_analysis":
            target = "proposal"
        getattr(self, f"_enter_{target}")(opp_id, deal)
        self.k.send(ChangeOpportunityStage, opp_id, actor=deal.rep(), to_stage=target,
                    changed_by=deal.owner,
                    change_reason=f"Moved to {target.replace('_', ' ')}")
        deal.stage = target
        if target in NEXT:  # the proposal's quote takes it from there
            following = "proposal" if deal.kind == "renewal" else NEXT[target]
            self._next_step(opp_id, following)
        else:
            self._plan_next_step(opp_id, deal, "follow_up",
                                 local_day(after(self.k.now, 24 * 7, "office")))

    def close_lost(self, opp_id: str, reason: str | None = None) -> None:
        """The owner closes the deal lost."""
        deal = self.deals.get(opp_id)
        if deal is None or deal.accepted:
            return
        rng = self.k.rng
        stage = deal.loss_stage or "negotiation"
        reason = reason or rng.choice(LOSS_REASONS.get(stage, ("No decision",)))
        self.k.send(ChangeOpportunityStage, opp_id, actor=deal.rep(), to_stage="closed_lost",
                    changed_by=deal.owner, win_loss_reason=reason,
                    change_reason="Closed lost", lost_to_competitor=rng.choice(COMPETITORS)
                    if "competitor" in reason.lower() or deal.competitors else None,
                    win_loss_notes="Reviewed in the weekly pipeline meeting.")
        deal.stage = "closed_lost"
