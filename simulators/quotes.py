"""Quotes: approvals by the managers the core names, sending, and the customer's answers.

The core drafts the quote at proposal (QuoteCreated: its id, lines, validity and the
approval steps with their approvers). Approvers decide level by level; the owner sends
it; the customer acknowledges, reviews and then accepts (winners, often right before the
quarter closes), pushes back on price (a revision with a better discount follows),
declines or lets it expire. A rejected approval or an expired quote is revised.
The desk acts only on each deal's primary quote: a revision supersedes its parent (the
core refuses every command on a superseded quote), so a superseded quote is forgotten. A
revision within what was already approved comes approved (smart approvals) and is sent.
The customer's answers and the revisions they lead to are simulators/quote_answers.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.accounts.messages import LinkAccountToCustomer
from domain.quotes.messages import (
    DecideQuoteApproval,
    SendQuote,
)
from simulators.erp import customer_number
from simulators.kernel import MASTER_DATA, SALES_OPS
from simulators.quote_answers import QuoteAnswers

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.sales import Deal

APPROVAL_HOURS = {1: (2, 20), 2: (4, 40), 3: (8, 60)}
APPROVE_P = {1: 0.93, 2: 0.9, 3: 0.94}
FALLBACK_ROLE = {2: "Director", 3: "VP"}


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


class QuoteWork(QuoteAnswers):
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
            self.k.send(LinkAccountToCustomer, account_id, actor=MASTER_DATA,
                        customer_id=account.customer_id)

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
        self.k.send(DecideQuoteApproval, quote_id, actor=approver or SALES_OPS, level=level,
                    approver=approver,
                    decision="approved" if approve else "rejected",
                    comments="OK to proceed." if approve else
                    "Discount too deep for this margin; revise to within 10%.")

    def send_quote(self, quote_id: str) -> None:
        """The owner sends an approved (or approval-free) draft."""
        quote = self.quotes.get(quote_id)
        if (quote is not None and quote.status == "draft" and quote.approval in (None, "approved")
                and quote.opportunity_id in self.deals):
            self.k.send(SendQuote, quote_id, actor=self.deals[quote.opportunity_id].rep())

    def send_unapproved(self, quote_id: str) -> None:
        """Sending a quote whose approval is still pending."""
        quote = self.quotes.get(quote_id)
        if quote is not None and quote.approval == "pending":
            deal = self.deals.get(quote.opportunity_id or "")
            self.k.send(SendQuote, quote_id, actor=deal.rep() if deal else SALES_OPS)
