"""Quote rules: generation at proposal, approval thresholds and order, revisions, the
customer's answers, and the validity / expiry edge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from area_b_fixtures import Scenario, of, one

from domain.erp import SalesOrderRequested
from domain.messages import utc
from domain.opportunity_stages import ChangeOpportunityStage
from domain.quote_approvals import DecideQuoteApproval, QuoteApprovalDecided, required_levels
from domain.quote_status import (
    AcceptQuote,
    AcknowledgeQuote,
    DeclineQuote,
    QuoteAccepted,
    QuoteDeclined,
    QuoteExpired,
    QuoteSent,
    QuoteStatusEvent,
    ReviewQuote,
    SendQuote,
)
from domain.quotes import (
    QuoteCreated,
    QuoteLineInput,
    QuoteSuperseded,
    ReviseQuote,
    expires_at,
)
from domain.rules_config import QuoteRules

RULES = QuoteRules()


def quote_with_discount(discount: str, price: str = "100000", qty: str = "1"
                        ) -> tuple[Scenario, str]:
    s = Scenario().org()
    s.deal()
    s.product("O1", qty, price, discount)
    return s, s.to_proposal()


@pytest.mark.parametrize(("discount", "total", "levels"), [
    ("0", "100", []),
    ("10.00", "100", []),
    ("10.01", "100", [1]),
    ("20.00", "100", [1]),
    ("20.01", "100", [1, 2]),
    ("0", "5000000", []),
    ("0", "5000000.01", [3]),
    ("25", "6000000", [1, 2, 3]),
])
def test_approval_levels_follow_the_thresholds_strictly_above_each_limit(
        discount: str, total: str, levels: list[int]) -> None:
    found = required_levels(Decimal(discount), Decimal(total), RULES)
    assert [level for level, _ in found] == levels


def test_a_quote_is_generated_from_the_products_when_the_deal_reaches_proposal() -> None:
    s = Scenario().org()
    s.deal()
    s.product("O1", "2", "1000", "5")
    s.product("O1", "1", "500")
    events = s.stage("O1", "proposal")
    quote = one(events, QuoteCreated)
    assert quote.quotation_number == "QUO-000001"
    assert quote.quotation_date == s.now.date()
    assert quote.valid_until_date == date(2026, 4, 1)
    assert [ln.line_total for ln in quote.lines] == [Decimal("1900.00"), Decimal("500.00")]
    assert (quote.subtotal, quote.discount_amount, quote.discount_pct) == (
        Decimal("2500.00"), Decimal("100.00"), Decimal("4.00"))
    assert quote.tax_amount == Decimal("432.00")  # 18 % of the net 2400
    assert quote.total_amount == Decimal("2832.00")
    assert quote.approvals == [] and quote.revision_number == 1
    assert s.opp().quote_id == quote.aggregate_id
    assert [t.due_at for t in s.state.timers if t.kind == "quote_expiry"] == [
        utc(2026, 4, 2)]


def test_a_deal_without_products_is_quoted_as_one_line_for_its_amount() -> None:
    s = Scenario().org()
    s.deal(amount="100000")
    quote = s.quote(s.to_proposal())
    assert [(ln.product_name, ln.quantity, ln.list_price) for ln in quote.lines] == [
        ("Deal O1", Decimal(1), Decimal("100000"))]
    assert quote.total_amount == Decimal("118000.00")


def test_a_discount_of_exactly_10_percent_needs_no_approval_and_can_be_sent() -> None:
    s, quote_id = quote_with_discount("10")
    assert s.quote(quote_id).approval_status is None
    assert one(s.ok(SendQuote, quote_id), QuoteSent).STATUS == "sent"


def test_a_discount_of_10_01_percent_needs_the_managers_approval_before_sending() -> None:
    s, quote_id = quote_with_discount("10.01")
    created = one(s.log, QuoteCreated)
    assert [(a.approval_level, a.approver_id) for a in created.approvals] == [(1, "M1")]
    assert s.refused(SendQuote, quote_id) == f"quotation {quote_id} approval is pending"
    decided = one(s.ok(DecideQuoteApproval, quote_id, level=1, decision="approved",
                       approver="M1"), QuoteApprovalDecided)
    assert decided.approval_status == "approved"
    s.ok(SendQuote, quote_id)


def test_every_level_gets_its_approver_from_the_sales_org() -> None:
    s, _ = quote_with_discount("25", price="8000000")
    created = one(s.log, QuoteCreated)
    assert [(a.approval_level, a.approver_id) for a in created.approvals] == [
        (1, "M1"), (2, "D1"), (3, "VP1")]


def test_approvals_are_decided_in_level_order() -> None:
    s, quote_id = quote_with_discount("25")
    reason = s.refused(DecideQuoteApproval, quote_id, level=2, decision="approved")
    assert reason == f"quotation {quote_id} level 1 must be decided before level 2"
    first = one(s.ok(DecideQuoteApproval, quote_id, level=1, decision="approved"),
                QuoteApprovalDecided)
    assert first.approval_status == "pending"
    assert s.refused(DecideQuoteApproval, quote_id, level=1, decision="approved") == (
        f"quotation {quote_id} has no pending approval at level 1")
    last = one(s.ok(DecideQuoteApproval, quote_id, level=2, decision="approved"),
               QuoteApprovalDecided)
    assert last.approval_status == "approved"
    assert s.refused(DecideQuoteApproval, quote_id, level=3, decision="approved") == (
        f"quotation {quote_id} approval is approved")


def test_a_rejected_approval_keeps_the_quote_draft_until_it_is_revised() -> None:
    s, quote_id = quote_with_discount("25")
    decided = one(s.ok(DecideQuoteApproval, quote_id, level=1, decision="rejected",
                       comments="too generous"), QuoteApprovalDecided)
    assert decided.approval_status == "rejected"
    assert s.quote(quote_id).status == "draft"
    assert s.refused(SendQuote, quote_id) == f"quotation {quote_id} approval is rejected"
    assert s.refused(DecideQuoteApproval, quote_id, level=2, decision="approved") == (
        f"quotation {quote_id} approval is rejected")
    events = s.ok(ReviseQuote, quote_id, lines=[QuoteLineInput(
        product_name="CNC spindle", quantity=Decimal(1), list_price=Decimal("100000"),
        discount_pct=Decimal("8"))])
    revision = one(events, QuoteCreated)
    assert (revision.parent_quotation_id, revision.revision_number) == (quote_id, 2)
    assert revision.quotation_number == "QUO-000002"
    assert revision.approvals == []
    assert one(events, QuoteSuperseded).superseded_by == revision.aggregate_id
    assert s.opp().quote_id == revision.aggregate_id
    assert "superseded" in s.refused(SendQuote, quote_id)
    s.ok(SendQuote, revision.aggregate_id)


def test_a_revision_without_new_lines_copies_the_old_ones() -> None:
    s, quote_id = quote_with_discount("5", qty="3")
    revision = one(s.ok(ReviseQuote, quote_id), QuoteCreated)
    old = s.quote(quote_id)
    assert [(ln.quantity, ln.discount_pct) for ln in revision.lines] == [
        (ln.quantity, ln.discount_pct) for ln in old.lines]
    assert revision.total_amount == old.total_amount


def test_the_customer_acknowledges_reviews_and_accepts_a_sent_quote() -> None:
    s, quote_id = quote_with_discount("0")
    assert "draft; cannot accept" in s.refused(AcceptQuote, quote_id)
    s.ok(SendQuote, quote_id)
    s.ok(AcknowledgeQuote, quote_id)
    s.ok(ReviewQuote, quote_id)
    events = s.ok(AcceptQuote, quote_id)
    assert one(events, QuoteAccepted).STATUS == "accepted"
    assert s.quote(quote_id).status == "accepted"
    assert one(events, SalesOrderRequested).quotation_id == quote_id
    assert "accepted; cannot decline" in s.refused(DeclineQuote, quote_id)


def test_a_declined_quote_is_rejected_with_the_reason_kept() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    declined = one(s.ok(DeclineQuote, quote_id, reason="budget cut"), QuoteDeclined)
    assert (declined.STATUS, declined.reason) == ("rejected", "budget cut")
    assert s.quote(quote_id).status == "rejected"


def test_accepting_at_any_time_on_the_valid_until_date_is_accepted() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    s.at(utc(2026, 4, 1, 23, 59))
    assert s.quote(quote_id).valid_until == date(2026, 4, 1)
    s.ok(AcceptQuote, quote_id)


def test_accepting_the_day_after_is_refused_even_before_the_expiry_tick() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    s.at(utc(2026, 4, 2, 0, 0))
    assert s.refused(AcceptQuote, quote_id) == (
        f"quotation {quote_id} expired after 2026-04-01")
    assert s.quote(quote_id).status == "sent"


def test_the_expiry_tick_is_the_first_tick_after_the_valid_until_date() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    assert expires_at(date(2026, 4, 1)) == utc(2026, 4, 2)
    assert of(s.tick(utc(2026, 4, 1, 23, 30)), QuoteStatusEvent) == []
    expired = one(s.tick(utc(2026, 4, 2, 0, 0)), QuoteExpired)
    assert expired.aggregate_id == quote_id and s.quote(quote_id).status == "expired"
    assert "expired; cannot accept" in s.refused(AcceptQuote, quote_id)


def test_the_expiry_timer_does_nothing_for_an_accepted_quote() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    s.ok(AcceptQuote, quote_id)
    assert of(s.tick(utc(2026, 4, 2, 0, 30)), QuoteStatusEvent) == []
    assert s.quote(quote_id).status == "accepted"


def test_an_expired_quote_can_be_revised_into_a_new_valid_one() -> None:
    s, quote_id = quote_with_discount("0")
    s.tick(utc(2026, 4, 2, 0, 30))
    assert s.quote(quote_id).status == "expired"
    revision = one(s.ok(ReviseQuote, quote_id), QuoteCreated)
    assert revision.valid_until_date == date(2026, 5, 2)


def test_a_quote_of_a_lost_deal_cannot_be_accepted() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    s.ok(ChangeOpportunityStage, "O1", to_stage="closed_lost", win_loss_reason="no budget")
    assert s.refused(AcceptQuote, quote_id) == "opportunity O1 is closed (closed_lost)"


def test_unknown_quotes_are_refused() -> None:
    s = Scenario().org()
    assert s.refused(SendQuote, "Q-NONE") == "unknown quotation Q-NONE"
