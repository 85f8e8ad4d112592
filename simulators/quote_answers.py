"""The customer's side of a quote (mixed into `QuoteWork`, so into `SalesDesk`): when and
how it answers (acknowledges, reviews, accepts, pushes back on price, declines, or lets it
expire), and the rep's revisions that follow a push-back or a rejected approval.

Winners often accept right before the quarter closes; an answer always comes within the
quote's validity, in office hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.interactions.messages import RecordInteraction
from domain.opportunities.messages import ChangeOpportunityStage
from domain.quotes.messages import (
    AcceptQuote,
    AcknowledgeQuote,
    DeclineQuote,
    QuoteLineInput,
    ReviewQuote,
    ReviseQuote,
)
from simulators.catalog import PRODUCTS
from simulators.deal_fate import stage_share
from simulators.kernel import CUSTOMER
from simulators.worktime import after, at_local, fiscal_quarter_end, last_open, local_day

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.quotes import QuoteFile
    from simulators.sales import Deal


ANSWERABLE = ("sent", "acknowledged", "under_review")
LEAD_DAYS = {p.material_id: p.lead_days for p in PRODUCTS}
MAX_REVISIONS = 6  # then the rep gives up ("Could not agree commercial terms")


class QuoteAnswers:
    """The customer's answers to a sent quote, and the revisions they lead to."""

    # provided by Desk and SalesDesk: k, book, deals, quotes, later(), at(), close_lost()
    k: Kernel
    book: Book
    deals: dict[str, Deal]
    quotes: dict[str, QuoteFile]

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

        proposal = deal.created + timedelta(days=deal.cycle * stage_share("proposal",
                                                                          deal.cycle))
        return deal.revisions == 0 and proposal <= self.k.start

    def _buyer(self, account_id: str) -> str:
        """Who answers a quote for the customer: the account's first contact."""
        account = self.book.accounts.get(account_id)
        return account.contacts[0] if account is not None and account.contacts else CUSTOMER

    def customer_step(self, quote_id: str, step: str) -> None:
        """The customer confirms receipt, or starts reviewing."""
        quote = self.quotes.get(quote_id)
        if quote is None:
            return
        if step == "acknowledge" and quote.status == "sent":
            self.k.send(AcknowledgeQuote, quote_id, actor=self._buyer(quote.account_id))
        elif step == "review" and quote.status in ("sent", "acknowledged"):
            self.k.send(ReviewQuote, quote_id, actor=self._buyer(quote.account_id))

    def customer_decides(self, quote_id: str, outcome: str) -> None:
        """Accept, push back on price, or decline (only ever the deal's primary quote)."""
        if outcome == "late_accept":  # refused as expired; a revised quote is not answered
            if quote_id in self.quotes:
                self.k.send(AcceptQuote, quote_id,
                            actor=self._buyer(self.quotes[quote_id].account_id))
            return
        quote = self.quotes.get(quote_id)
        deal = self.deals.get(quote.opportunity_id or "") if quote else None
        if quote is None or deal is None or quote.status not in ANSWERABLE:
            return
        if outcome == "accept":
            self.k.send(AcceptQuote, quote_id, actor=self._buyer(quote.account_id))
        else:
            self.k.send(DeclineQuote, quote_id, actor=self._buyer(quote.account_id),
                        reason=self.k.rng.choice((
                "Price higher than budget; please revisit", "Competitor quoted 8% lower",
                "Delivery schedule does not meet our shutdown window"))
                if outcome == "counter" else self.k.rng.choice((
                    "Project deferred to next financial year", "Ordered from another vendor",
                    "Management did not approve the capex")))
        account = self.book.accounts.get(quote.account_id)
        self.k.send(RecordInteraction, self.k.new_id("INT"), actor=deal.rep(),
                    account_id=quote.account_id,
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
            self.k.send(ChangeOpportunityStage, opp_id, actor=deal.rep(), to_stage="negotiation",
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
        self.k.send(ReviseQuote, quote_id, actor=deal.rep(), lines=lines,
                    prepared_by=deal.owner)
