"""Quotes: approvals by the managers the core names, sending, and the customer's answers.

The core drafts the quote at proposal (QuoteCreated: its id, lines, validity and the
approval steps with their approvers). Approvers decide level by level; the owner sends
it; the customer acknowledges, reviews and then accepts (winners, often right before the
quarter closes), pushes back on price (a revision with a better discount follows),
declines or lets it expire. A rejected approval or an expired quote is revised.
The desk acts only on each deal's primary quote: a revision supersedes its parent (the
core refuses every command on a superseded quote), so a superseded quote is forgotten. A
revision within what was already approved comes approved (smart approvals) and is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.accounts.messages import LinkAccountToCustomer
from domain.interactions.messages import RecordInteraction
from domain.opportunities.messages import ChangeOpportunityStage
from domain.quotes.messages import (
    AcceptQuote,
    AcknowledgeQuote,
    DecideQuoteApproval,
    DeclineQuote,
    QuoteLineInput,
    ReviewQuote,
    ReviseQuote,
    SendQuote,
)
from simulators.catalog import PRODUCTS
from simulators.erp import customer_number
from simulators.worktime import after, at_local, fiscal_quarter_end, last_open, local_day

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.sales import Deal

ANSWERABLE = ("sent", "acknowledged", "under_review")
APPROVAL_HOURS = {1: (2, 20), 2: (4, 40), 3: (8, 60)}
APPROVE_P = {1: 0.93, 2: 0.9, 3: 0.94}
FALLBACK_ROLE = {2: "Director", 3: "VP"}
LEAD_DAYS = {p.material_id: p.lead_days for p in PRODUCTS}
MAX_REVISIONS = 6  # then the rep gives up ("Could not agree commercial terms")


@dataclass(slots=True)
class QuoteFile:
    """A quote as the sales team sees it."""

    opportunity_id: str | None
    account_id: str
    valid_until: date
    lines: tuple[Any, ...]
    approvals: list[tuple[int, str | None]] = field(default_factory=list)
    approval: str | None = None
    status: str = "draft"


class QuoteWork:
    """The quote part of the sales desk (mixed into `SalesDesk`)."""

    QUOTE_HANDLES = {"QuoteCreated": "on_quote", "QuoteApprovalDecided": "on_decided",
                     "QuoteSent": "on_sent", "QuoteAcknowledged": "on_quote_status",
                     "QuoteUnderReview": "on_quote_status", "QuoteDeclined": "on_declined",
                     "QuoteExpired": "on_expired", "QuoteAccepted": "on_accepted",
                     "QuoteSuperseded": "on_superseded", "SalesOrderRequested": "on_order",
                     "CustomerMasterRequested": "on_master_request",
                     "IntegrationCustomerCreated": "on_master_done",
                     "IntegrationFailed": "on_master_failed"}
    # provided by Desk and SalesDesk: k, book, deals, quotes, later(), at(), close_lost()
    k: Kernel
    book: Book
    deals: dict[str, Deal]
    quotes: dict[str, QuoteFile]

    # ------------------------------------------------------------------ learning
    def on_quote(self, e: Any) -> None:
        """A quote was drafted: ask for approvals, or send it."""
        approval = ("pending" if e.approvals
                    else "approved" if getattr(e, "approval_carried_over", False) else None)
        quote = QuoteFile(e.opportunity_id, e.account_id, e.valid_until_date, tuple(e.lines),
                          [(s.approval_level, s.approver_id) for s in e.approvals], approval)
        self.quotes[e.aggregate_id] = quote
        deal = self.deals.get(e.opportunity_id or "")
        if deal is not None:
            deal.quote = e.aggregate_id
        if quote.approvals:
            self._ask(e.aggregate_id, quote)
            if self.k.chance(0.01):  # an eager rep tries to send it before approval (refused)
                self.later(self.k.hours(0.5, 2), "send_unapproved", e.aggregate_id)
        else:
            self.later(self.k.hours(2, 20), "send_quote", e.aggregate_id)

    def _ask(self, quote_id: str, quote: QuoteFile) -> None:
        level = quote.approvals[0][0]
        self.later(self.k.hours(*APPROVAL_HOURS[level]), "decide", quote_id, level)

    def on_decided(self, e: Any) -> None:
        """Next level, send, or revise after a rejection."""
        quote = self.quotes.get(e.aggregate_id)
        if quote is None:
            return
        quote.approvals = [a for a in quote.approvals if a[0] != e.approval_level]
        quote.approval = e.approval_status
        if e.approval_status == "pending" and quote.approvals:
            self._ask(e.aggregate_id, quote)
        elif e.approval_status == "approved":
            self.later(self.k.hours(1, 12), "send_quote", e.aggregate_id)
        else:
            self.later(self.k.hours(4, 30), "revise", e.aggregate_id, 10.0)

    def on_sent(self, e: Any) -> None:
        """The customer has it: plan acknowledgement, review and the decision."""
        quote = self.quotes.get(e.aggregate_id)
        deal = self.deals.get(quote.opportunity_id or "") if quote else None
        if quote is None or deal is None:
            return
        quote.status = "sent"
        if self.k.chance(0.85):
            self.later(self.k.hours(4, 48), "customer_step", e.aggregate_id, "acknowledge")
        if self.k.chance(0.75):
            self.later(self.k.hours(30, 100), "customer_step", e.aggregate_id, "review")
        outcome, when = self._decision(deal, quote)
        if outcome != "ignore":
            self.at(when, "customer_decides", e.aggregate_id, outcome)

    def _decision(self, deal: Deal, quote: QuoteFile) -> tuple[str, datetime]:
        """What the customer will answer, and when (always within the validity)."""
        rng, now = self.k.rng, self.k.now
        # the last office hour of the validity (16:30 IST, earlier on a Saturday or holiday)
        deadline = last_open(datetime.combine(quote.valid_until, time(11, 0), UTC), "office")
        if deadline < now + timedelta(hours=12):  # sent too late to be answered in time
            return "ignore", deadline
        if deal.won and (deal.revised or not deal.negotiate):
            if rng.random() < 0.015:  # a customer who answers too late (refused)
                late = deadline + timedelta(hours=rng.uniform(16, 48))
                return "late_accept", after(late, 0, "office").replace(microsecond=0)
            # a fresh offer is answered two days after it arrives at the earliest; an
            # offer out before go-live (re-issued in the CRM with the migrated deal) is
            # answered on the deal's own timeline (else the first week's decisions would
            # all come in one lump, two days after the re-issue)
            floor = rng.uniform(2, 12) if self._offered_before_go_live(deal) else 48
            target = max(after(deal.created, 24 * deal.cycle, "office"),
                         after(now, floor, "office"))
            quarter_end = at_local(fiscal_quarter_end(local_day(now)), 15)
            if now + timedelta(days=3) < quarter_end < target and rng.random() < 0.35:
                target = last_open(quarter_end - timedelta(days=rng.uniform(0, 6)), "office")
            elif target > deadline + timedelta(days=5):
                # capex approval takes longer than the quote is valid: it lapses and the
                # rep sends a fresh revision (a long deal goes through several)
                return "ignore", deadline
            outcome = "accept"
        elif deal.negotiate and not deal.revised:
            target, outcome = after(now, 24 * rng.uniform(3, 10), "office"), "counter"
        elif deal.loss_stage == "proposal" and rng.random() < 0.4:
            return "ignore", deadline
        else:
            target, outcome = after(now, 24 * rng.uniform(3, 18), "office"), "decline"
        if target > deadline:
            target = last_open(deadline - timedelta(hours=rng.uniform(0, 48)), "office")
        return outcome, max(target, now + timedelta(hours=1)).replace(microsecond=0)

    def _offered_before_go_live(self, deal: Deal) -> bool:
        """Whether the deal was migrated with its offer out (in proposal or negotiation at
        go-live) and this is that offer, not a revision."""
        from simulators.sales import stage_share  # (sales imports this module)

        proposal = deal.created + timedelta(days=deal.cycle * stage_share("proposal",
                                                                          deal.cycle))
        return deal.revisions == 0 and proposal <= self.k.start

    def on_quote_status(self, e: Any) -> None:
        """Follow acknowledgement and review."""
        quote = self.quotes.get(e.aggregate_id)
        if quote is not None:
            quote.status = "acknowledged" if e.event_type == "QuoteAcknowledged" \
                else "under_review"

    def on_declined(self, e: Any) -> None:
        """Declined: negotiate (when the deal is still winnable) or close it lost."""
        quote = self.quotes.get(e.aggregate_id)
        deal = self.deals.get(quote.opportunity_id or "") if quote else None
        if quote is None or deal is None:
            return
        quote.status = "rejected"
        if deal.won or (deal.negotiate and not deal.revised):
            self.later(self.k.hours(24, 72), "negotiate", quote.opportunity_id)
        else:
            self.later(self.k.hours(24, 120), "close_lost", quote.opportunity_id)

    def on_expired(self, e: Any) -> None:
        """Expired: re-quote a deal that is still alive, else close it lost."""
        quote = self.quotes.get(e.aggregate_id)
        deal = self.deals.get(quote.opportunity_id or "") if quote else None
        if quote is None or deal is None:
            return
        quote.status = "expired"
        if deal.won:
            self.later(self.k.hours(24, 96), "revise", e.aggregate_id, None)
        else:
            self.later(self.k.hours(24, 120), "close_lost", quote.opportunity_id,
                       "No decision from customer")

    def on_accepted(self, e: Any) -> None:
        """Accepted: the ERP takes it from here."""
        quote = self.quotes.get(e.aggregate_id)
        deal = self.deals.get(quote.opportunity_id or "") if quote else None
        if quote is not None:
            quote.status = "accepted"
        if deal is not None:
            deal.accepted = True

    def on_superseded(self, e: Any) -> None:
        """A revision replaced this quote."""
        self.quotes.pop(e.aggregate_id, None)

    def on_order(self, e: Any) -> None:
        """Remember which account an ERP request is for (the service desk quotes orders).

        Master data is not the desk's job: the core asks for the customer master when a
        quote is accepted for an account without one (domain/erp/master_data.py)."""
        self.book.erp_logs[e.log_id] = e.account_id

    def on_master_request(self, e: Any) -> None:
        """Remember which account a customer master request is for (the data steward's)."""
        self.book.erp_logs[e.log_id] = e.account_id

    def on_master_done(self, e: Any) -> None:
        """The customer exists: nothing left for the data steward."""
        self.book.erp_logs.pop(e.aggregate_id, None)

    def on_master_failed(self, e: Any) -> None:
        """Retries used up on a customer master: a data steward corrects the data, creates
        the customer in the ERP by hand and links the account, 1-3 working days later (the
        log row stays 'error'; the held orders go out on the core's next tick)."""
        account_id = self.book.erp_logs.get(e.aggregate_id)
        if account_id is not None and e.next_retry_at is None:
            self.later(self.k.hours(20, 70), "steward_links", e.aggregate_id, account_id)

    def steward_links(self, log_id: str, account_id: str) -> None:
        """The data steward's manual fix (unless the account got its customer meanwhile)."""
        self.book.erp_logs.pop(log_id, None)
        account = self.book.accounts.get(account_id)
        if account is not None and account.customer_id is None:
            account.customer_id = customer_number(account_id)
            self.k.send(LinkAccountToCustomer, account_id, customer_id=account.customer_id)

    # ------------------------------------------------------------------ actions
    def decide(self, quote_id: str, level: int) -> None:
        """An approver decides the lowest pending level."""
        quote = self.quotes.get(quote_id)
        if quote is None or quote.approval != "pending" or quote.approvals[0][0] != level:
            return
        deal = self.deals.get(quote.opportunity_id or "")
        approver = quote.approvals[0][1] or (
            self.book.manager_of(deal.owner if deal else None) if level == 1
            else self.book.any_of(self.k.rng, FALLBACK_ROLE[level]))
        approve = self.k.chance(APPROVE_P[level])
        self.k.send(DecideQuoteApproval, quote_id, level=level, approver=approver,
                    decision="approved" if approve else "rejected",
                    comments="OK to proceed." if approve else
                    "Discount too deep for this margin; revise to within 10%.")

    def send_quote(self, quote_id: str) -> None:
        """The owner sends an approved (or approval-free) draft."""
        quote = self.quotes.get(quote_id)
        if (quote is not None and quote.status == "draft" and quote.approval in (None, "approved")
                and quote.opportunity_id in self.deals):
            self.k.send(SendQuote, quote_id)

    def send_unapproved(self, quote_id: str) -> None:
        """Sending a quote whose approval is still pending."""
        quote = self.quotes.get(quote_id)
        if quote is not None and quote.approval == "pending":
            self.k.send(SendQuote, quote_id)

    def customer_step(self, quote_id: str, step: str) -> None:
        """The customer confirms receipt, or starts reviewing."""
        quote = self.quotes.get(quote_id)
        if quote is None:
            return
        if step == "acknowledge" and quote.status == "sent":
            self.k.send(AcknowledgeQuote, quote_id)
        elif step == "review" and quote.status in ("sent", "acknowledged"):
            self.k.send(ReviewQuote, quote_id)

    def customer_decides(self, quote_id: str, outcome: str) -> None:
        """Accept, push back on price, or decline (only ever the deal's primary quote)."""
        if outcome == "late_accept":  # refused as expired; a revised quote is not answered
            if quote_id in self.quotes:
                self.k.send(AcceptQuote, quote_id)
            return
        quote = self.quotes.get(quote_id)
        deal = self.deals.get(quote.opportunity_id or "") if quote else None
        if quote is None or deal is None or quote.status not in ANSWERABLE:
            return
        if outcome == "accept":
            self.k.send(AcceptQuote, quote_id)
        else:
            self.k.send(DeclineQuote, quote_id, reason=self.k.rng.choice((
                "Price higher than budget; please revisit", "Competitor quoted 8% lower",
                "Delivery schedule does not meet our shutdown window"))
                if outcome == "counter" else self.k.rng.choice((
                    "Project deferred to next financial year", "Ordered from another vendor",
                    "Management did not approve the capex")))
        account = self.book.accounts.get(quote.account_id)
        self.k.send(RecordInteraction, self.k.new_id("INT"), account_id=quote.account_id,
                    contact_id=account.contacts[0] if account and account.contacts else None,
                    opportunity_id=quote.opportunity_id, interaction_type="email",
                    subject="Response to our quotation", direction="inbound",
                    description="Purchase order to follow" if outcome == "accept"
                    else "Asked for a better price" if outcome == "counter"
                    else "Not going ahead with our offer", duration_minutes=5,
                    sentiment="positive" if outcome == "accept" else "negative",
                    performed_by=deal.owner)

    def negotiate(self, opp_id: str) -> None:
        """Move to negotiation and offer a better price."""
        deal = self.deals.get(opp_id)
        if deal is None or deal.quote not in self.quotes:
            return
        if deal.stage != "negotiation":
            self.k.send(ChangeOpportunityStage, opp_id, to_stage="negotiation",
                        changed_by=deal.owner, change_reason="Customer asked for better terms")
            deal.stage = "negotiation"
        deal.revised = True
        self.revise(deal.quote or "", None, self.k.rng.uniform(2, 5))

    def revise(self, quote_id: str, cap: float | None, extra: float = 0.0) -> None:
        """Re-quote: discounts capped (after an approval rejection) or sweetened."""
        quote = self.quotes.get(quote_id)
        deal = self.deals.get(quote.opportunity_id or "") if quote else None
        if quote is None or deal is None or deal.stage in ("closed_won", "closed_lost"):
            return
        if deal.revisions >= MAX_REVISIONS:
            self.close_lost(quote.opportunity_id or "", "Could not agree commercial terms")
            return
        deal.revisions += 1
        lines = []
        for line in quote.lines:
            discount = float(line.discount_pct) + extra
            discount = min(discount, cap) if cap is not None else min(discount, 30.0)
            fields = {f: getattr(line, f) for f in QuoteLineInput.model_fields}
            fields["discount_pct"] = Decimal(f"{max(0.0, discount):.2f}")
            if fields.get("delivery_lead_time_days") is None and line.material_id in LEAD_DAYS:
                fields["delivery_lead_time_days"] = LEAD_DAYS[line.material_id]
            lines.append(QuoteLineInput(**fields))
        self.k.send(ReviseQuote, quote_id, lines=lines, prepared_by=deal.owner)
