"""Quote rules: generation at proposal, approval thresholds and order, revisions, the
customer's answers, and the validity / expiry edge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from scenario import Scenario, of_type, one

from domain.erp.messages import SalesOrderRequested
from domain.kernel.messages import utc
from domain.opportunities.messages import (
    AddOpportunityProduct,
    ChangeOpportunityStage,
    OpenOpportunity,
    OpportunityTermsChanged,
)
from domain.quotes.approvals import required_levels
from domain.quotes.drafting import expires_at
from domain.quotes.messages import (
    AcceptQuote,
    AcknowledgeQuote,
    DecideQuoteApproval,
    DeclineQuote,
    QuoteAccepted,
    QuoteApprovalDecided,
    QuoteCreated,
    QuoteDeclined,
    QuoteExpired,
    QuoteLineInput,
    QuoteSent,
    QuoteStatusEvent,
    QuoteSuperseded,
    ReviewQuote,
    ReviseQuote,
    SendQuote,
)
from domain.rules_config import BusinessRules, QuoteRules
from domain.sales_org.messages import ChangeRepStatus, DefineTerritory, HireSalesRep
from projectors.quotes import quote_created

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
    ("10.004", "100", []),
    ("10.005", "100", [1]),
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
    assert s.refused(DecideQuoteApproval, quote_id, level=1, decision="approved") == (
        f"quotation {quote_id} approval is not required")
    assert one(s.ok(SendQuote, quote_id), QuoteSent).STATUS == "sent"


def test_a_discount_of_10_01_percent_needs_the_managers_approval_before_sending() -> None:
    s, quote_id = quote_with_discount("10.01")
    created = one(s.events, QuoteCreated)
    assert [(a.approval_level, a.approver_id) for a in created.approvals] == [(1, "M1")]
    assert s.refused(SendQuote, quote_id) == f"quotation {quote_id} approval is pending"
    decided = one(s.ok(DecideQuoteApproval, quote_id, level=1, decision="approved",
                       approver="M1"), QuoteApprovalDecided)
    assert decided.approval_status == "approved"
    s.ok(SendQuote, quote_id)


def test_every_level_gets_its_approver_from_the_sales_org() -> None:
    s, _ = quote_with_discount("25", price="8000000")
    created = one(s.events, QuoteCreated)
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
    assert (decided.approval_status, decided.comments) == ("rejected", "too generous")
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
    assert of_type(s.tick(utc(2026, 4, 1, 23, 30)), QuoteStatusEvent) == []
    expired = one(s.tick(utc(2026, 4, 2, 0, 0)), QuoteExpired)
    assert expired.aggregate_id == quote_id and s.quote(quote_id).status == "expired"
    assert "expired; cannot accept" in s.refused(AcceptQuote, quote_id)


def test_the_expiry_timer_does_nothing_for_an_accepted_quote() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    s.ok(AcceptQuote, quote_id)
    assert of_type(s.tick(utc(2026, 4, 2, 0, 30)), QuoteStatusEvent) == []
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


# ------------------------------------------------------------------ approval routing

def two_regions() -> Scenario:
    """org() (T1: VP1, D1, M1 with R1 and R2) plus a second chain VP2 > D2 > M2 (home T2).

    R3 sells in T1 but reports to M2; R4 has no manager and sells in T3, which M2
    manages (D2 is based there too); R5 has neither a manager nor a territory; M3 has no
    manager and manages his own territory T4. VP1, D1 and M1 have the lowest rep codes of
    their roles and are the ones in T1: a lookup that ignores the preparer's chain lands
    on them.
    """
    s = Scenario().org()
    s.ok(DefineTerritory, "T2", territory_code="SOUTH", territory_name="South")
    s.ok(DefineTerritory, "T3", territory_code="EAST", territory_name="East",
         territory_manager="M2")
    s.ok(DefineTerritory, "T4", territory_code="NORTH", territory_name="North",
         territory_manager="M3")
    s.ok(HireSalesRep, "VP2", first_name="Vinod", last_name="Shah", sales_role="VP")
    s.ok(HireSalesRep, "D2", first_name="Divya", last_name="Nair", sales_role="Director",
         territory_id="T3", manager_id="VP2")
    s.ok(HireSalesRep, "M2", first_name="Manoj", last_name="Das", sales_role="Manager",
         territory_id="T2", manager_id="D2")
    s.ok(HireSalesRep, "R3", first_name="Rep", last_name="R3", sales_role="AE",
         territory_id="T1", manager_id="M2")
    s.ok(HireSalesRep, "R4", first_name="Rep", last_name="R4", sales_role="AE",
         territory_id="T3")
    s.ok(HireSalesRep, "R5", first_name="Rep", last_name="R5", sales_role="AE")
    s.ok(HireSalesRep, "M3", first_name="Meera", last_name="Sen", sales_role="Manager",
         territory_id="T4")
    return s


def approvers(s: Scenario, owner: str, discount: str = "25", price: str = "8000000"
              ) -> list[tuple[int, str | None]]:
    """The (level, approver) steps of the quote of a new deal owned by `owner`."""
    opp_id = f"O-{owner}"
    s.deal(opp_id, owner=owner)
    s.product(opp_id, "1", price, discount)
    for stage in ("qualification", "needs_analysis"):
        s.stage(opp_id, stage)
    created = one(s.stage(opp_id, "proposal"), QuoteCreated)
    return [(a.approval_level, a.approver_id) for a in created.approvals]


def test_every_level_goes_up_the_preparing_reps_own_chain_not_the_territorys() -> None:
    s = two_regions()
    # R3 sells in T1 (M1, D1 and VP1's territory) but reports to M2 > D2 > VP2.
    assert approvers(s, "R3") == [(1, "M2"), (2, "D2"), (3, "VP2")]


def test_a_rep_without_a_manager_goes_up_the_chain_of_the_territory_manager() -> None:
    s = two_regions()
    assert approvers(s, "R4") == [(1, "M2"), (2, "D2"), (3, "VP2")]


def test_without_chain_or_territory_the_lowest_rep_code_of_the_role_approves() -> None:
    s = two_regions()
    assert approvers(s, "R5") == [(1, "M1"), (2, "D1"), (3, "VP1")]


def test_a_manager_on_leave_is_replaced_by_the_territory_manager_then_by_rep_code() -> None:
    s = two_regions()
    s.ok(ChangeRepStatus, "M2", rep_status="on_leave")
    # R3's manager is away and T1 has no territory manager: the first active Manager.
    # Levels 2 and 3 still follow R3's chain past the absent manager.
    assert approvers(s, "R3") == [(1, "M1"), (2, "D2"), (3, "VP2")]


def test_the_preparer_not_the_owner_decides_the_chain() -> None:
    s = two_regions()
    s.deal("O9", owner="R1")
    s.product("O9", "1", "100000", "15")
    for stage in ("qualification", "needs_analysis"):
        s.stage("O9", stage)
    created = one(s.stage("O9", "proposal", changed_by="R3"), QuoteCreated)
    assert created.prepared_by == "R3"
    assert [(a.approval_level, a.approver_id) for a in created.approvals] == [(1, "M2")]


def test_nobody_approves_their_own_quote() -> None:
    s = two_regions()
    # M1 has no manager and T1 no territory manager: the next Manager by rep code.
    assert approvers(s, "M1", price="100000") == [(1, "M2"), (2, "D1")]


def test_a_territory_manager_does_not_approve_their_own_quote() -> None:
    s = two_regions()
    # M3 has no manager and manages T4 himself: the lowest rep code of the role.
    assert approvers(s, "M3", price="100000") == [(1, "M1"), (2, "D1")]


def test_a_director_is_skipped_when_met_up_the_territory_managers_chain() -> None:
    s = two_regions()
    # D2's direct manager is a VP (level 1 goes to the direct manager whatever the
    # title); no Director above D2; T3's manager M2 reports to D2 himself: next is D1.
    assert approvers(s, "D2") == [(1, "VP2"), (2, "D1"), (3, "VP2")]


def test_a_preparer_who_is_not_a_sales_rep_routes_up_the_owners_chain() -> None:
    s = two_regions()
    s.deal("O9", owner="R3")
    s.product("O9", "1", "100000", "15")
    created = one(s.stage("O9", "proposal", changed_by="ops-user-7"), QuoteCreated)
    assert created.prepared_by == "ops-user-7"
    assert [(a.approval_level, a.approver_id) for a in created.approvals] == [(1, "M2")]


def test_with_nobody_active_in_a_role_the_step_has_no_approver() -> None:
    s = Scenario().org()
    s.ok(ChangeRepStatus, "VP1", rep_status="inactive")
    assert approvers(s, "R1", discount="0") == [(3, None)]


def test_every_step_has_an_approval_id_of_its_own() -> None:
    s, _ = quote_with_discount("25", price="8000000")
    ids = [a.approval_id for a in one(s.events, QuoteCreated).approvals]
    assert len(set(ids)) == 3 and all(i.startswith("QAP-") for i in ids)


# ------------------------------------------------------------------ thresholds

def test_the_vp_threshold_is_on_the_pre_tax_total_not_the_gst_inclusive_one() -> None:
    s = Scenario().org()
    assert approvers(s, "R1", discount="0", price="4500000") == []
    quote = s.quote(s.opp("O-R1").quote_id or "")
    assert quote.total_amount == Decimal("5310000.00")  # over 5,000,000 only with GST
    assert approvers(s, "R2", discount="0", price="5000000") == []
    created = of_type(s.events, QuoteCreated)[-1]
    assert created.total_amount == Decimal("5900000.00")


def test_a_pre_tax_total_one_paisa_over_the_limit_needs_the_vp() -> None:
    s = Scenario().org()
    assert approvers(s, "R1", discount="0", price="5000000.01") == [(3, "VP1")]
    assert of_type(s.events, QuoteCreated)[-1].approvals[0].approval_reason == (
        "pre-tax total 5000000.01 over 5000000")


def test_a_quote_discount_of_10_004_percent_is_10_00_and_needs_no_approval() -> None:
    s = Scenario().org()
    s.deal()
    s.product("O1", "1", "150000", "10")
    s.product("O1", "1", "100000", "10.01")  # 25,010 off 250,000: 10.004 %
    quote = s.quote(s.to_proposal())
    assert (quote.subtotal, quote.discount_amount) == (Decimal("250000.00"),
                                                       Decimal("25010.00"))
    assert quote.discount_pct == Decimal("10.00")
    assert quote.approvals == () and quote.approval_status is None


# ------------------------------------------------------------------ superseded quotes

def sent_then_revised() -> tuple[Scenario, str, str]:
    """A sent quote revised three days later (so the two validities differ)."""
    s, q1 = quote_with_discount("0")
    s.ok(SendQuote, q1)
    s.later(days=3)
    q2 = one(s.ok(ReviseQuote, q1), QuoteCreated).aggregate_id
    return s, q1, q2


def test_a_revision_supersedes_its_parent_which_gets_status_superseded() -> None:
    s, q1, q2 = sent_then_revised()
    assert (s.quote(q1).status, s.quote(q1).superseded_by) == ("superseded", q2)
    assert s.quote(q2).status == "draft" and s.opp().quote_id == q2


@pytest.mark.parametrize(("command", "fields"), [
    (SendQuote, {}), (AcknowledgeQuote, {}), (ReviewQuote, {}), (AcceptQuote, {}),
    (DeclineQuote, {"reason": "late"}), (ReviseQuote, {}),
    (DecideQuoteApproval, {"level": 1, "decision": "approved"}),
])
def test_a_superseded_quote_refuses_every_command_and_names_its_revision(
        command: type, fields: dict[str, object]) -> None:
    s, q1, q2 = sent_then_revised()
    assert s.refused(command, q1, **fields) == f"quotation {q1} was superseded by {q2}"


def test_the_expiry_timer_of_a_superseded_quote_does_nothing() -> None:
    s, q1, q2 = sent_then_revised()
    assert of_type(s.tick(utc(2026, 4, 2, 0, 0)), QuoteStatusEvent) == []
    assert s.quote(q1).status == "superseded"
    expired = one(s.tick(utc(2026, 4, 5, 0, 0)), QuoteExpired)
    assert expired.aggregate_id == q2


def test_a_superseded_quote_is_projected_with_status_superseded() -> None:
    from projectors.quotes import superseded

    s, q1, q2 = sent_then_revised()
    event = one(s.events, QuoteSuperseded)
    assert superseded(event)[0].values["quotation_status"] == "superseded"
    assert superseded(event)[0].values["notes"] == "Superseded by QUO-000002 (revision 2)"


def test_a_new_proposal_after_the_quote_expired_revises_it_keeping_one_primary_quote() -> None:
    s, q1 = quote_with_discount("0")
    s.stage("O1", "negotiation")
    s.tick(utc(2026, 4, 2, 0, 30))
    events = s.stage("O1", "proposal")
    revision = one(events, QuoteCreated)
    assert (revision.parent_quotation_id, revision.revision_number) == (q1, 2)
    assert one(events, QuoteSuperseded).aggregate_id == q1
    assert s.quote(q1).status == "superseded" and s.opp().quote_id == revision.aggregate_id


# ------------------------------------------------------------------ primary quote

def test_the_primary_quote_sets_the_opportunitys_amount_to_its_pre_tax_total() -> None:
    s, q1 = quote_with_discount("5", qty="3")
    assert s.opp().amount == Decimal("285000.00")  # the products already agree: no event
    assert of_type(s.events, OpportunityTermsChanged) == []
    events = s.ok(ReviseQuote, q1, lines=[QuoteLineInput(
        product_name="CNC spindle", quantity=Decimal(3), list_price=Decimal("100000"),
        discount_pct=Decimal("8"))])
    synced = one(events, OpportunityTermsChanged)
    assert (synced.aggregate_id, synced.amount, synced.close_date) == (
        "O1", Decimal("276000.00"), date(2026, 3, 20))
    assert synced.expected_revenue == Decimal("165600.00")  # 60 % at proposal
    assert (synced.from_amount, synced.changed_by, synced.change_reason) == (
        Decimal("285000.00"), "R1", "Primary quote QUO-000002 (revision 2)")
    assert s.opp().amount == Decimal("276000.00")
    assert one(events, QuoteCreated).total_amount == Decimal("325680.00")  # GST not in it


def test_a_revision_with_the_same_lines_leaves_the_amount_alone() -> None:
    s, q1 = quote_with_discount("5", qty="3")
    assert of_type(s.ok(ReviseQuote, q1), OpportunityTermsChanged) == []


# ------------------------------------------------------------------ smart approvals

def approved_quote(discount: str, price: str = "100000") -> tuple[Scenario, str]:
    """A quote whose every approval step was approved (by M1, D1, VP1 in turn)."""
    s, q1 = quote_with_discount(discount, price=price)
    for level, _, _ in s.quote(q1).approvals:
        s.ok(DecideQuoteApproval, q1, level=level, decision="approved",
             approver={1: "M1", 2: "D1", 3: "VP1"}[level])
    quote = s.quote(q1)
    assert quote.approval_status == "approved"
    assert {decision for _, decision, _ in quote.approvals} == {"approved"}
    return s, q1


def lines_at(discount: str, price: str = "100000") -> list[QuoteLineInput]:
    return [QuoteLineInput(product_name="CNC spindle", quantity=Decimal(1),
                           list_price=Decimal(price), discount_pct=Decimal(discount))]


def test_a_revision_within_what_was_approved_is_approved_without_new_steps() -> None:
    s, q1 = approved_quote("25")
    approved_at = s.now
    s.later(days=2)
    revision = one(s.ok(ReviseQuote, q1, lines=lines_at("22")), QuoteCreated)
    assert revision.approvals == [] and revision.approval_carried_over
    assert (revision.approved_discount_pct, revision.approved_by, revision.approved_at) == (
        Decimal("25.00"), "D1", approved_at)
    assert s.quote(revision.aggregate_id).approval_status == "approved"
    s.ok(SendQuote, revision.aggregate_id)
    row = quote_created(revision)[0].values
    assert (row["requires_approval"], row["approval_status"], row["approved_by"]) == (
        True, "approved", "D1")


def test_a_revision_whose_discount_rises_above_the_approved_one_is_approved_again() -> None:
    s, q1 = approved_quote("25")
    revision = one(s.ok(ReviseQuote, q1, lines=lines_at("26")), QuoteCreated)
    assert [(a.approval_level, a.approver_id, a.approval_reason)
            for a in revision.approvals] == [
        (1, "M1", "discount 26.00% over 10%; approved before: 25.00"),
        (2, "D1", "discount 26.00% over 20%; approved before: 25.00")]
    assert s.quote(revision.aggregate_id).approval_status == "pending"


def test_a_revision_whose_pre_tax_total_rises_over_the_vp_limit_needs_only_the_vp() -> None:
    s, q1 = approved_quote("15")
    revision = one(s.ok(ReviseQuote, q1, lines=lines_at("15", "6000000")), QuoteCreated)
    assert [(a.approval_level, a.approver_id) for a in revision.approvals] == [(3, "VP1")]


def test_a_rejected_approval_covers_nothing_for_the_next_revision() -> None:
    s, q1 = quote_with_discount("25")
    s.ok(DecideQuoteApproval, q1, level=1, decision="approved", approver="M1")
    s.ok(DecideQuoteApproval, q1, level=2, decision="rejected", approver="D1")
    revision = one(s.ok(ReviseQuote, q1, lines=lines_at("15")), QuoteCreated)
    assert [a.approval_level for a in revision.approvals] == [1]
    assert revision.approved_discount_pct is None and not revision.approval_carried_over


def test_what_was_approved_carries_through_a_revision_that_needed_nothing() -> None:
    s, q1 = approved_quote("25")
    q2 = one(s.ok(ReviseQuote, q1, lines=lines_at("5")), QuoteCreated).aggregate_id
    assert s.quote(q2).approval_status is None  # 5 % needs no approval at all
    q3 = one(s.ok(ReviseQuote, q2, lines=lines_at("25")), QuoteCreated)
    assert q3.approvals == [] and q3.approved_by == "D1"


def test_without_smart_approvals_every_revision_is_approved_again() -> None:
    rules = BusinessRules.from_mapping({"quotes": {"smart_approvals": False}})
    s = Scenario(rules=rules).org()
    s.deal()
    s.product("O1", "1", "100000", "25")
    q1 = s.to_proposal()
    for level in (1, 2):
        s.ok(DecideQuoteApproval, q1, level=level, decision="approved")
    revision = one(s.ok(ReviseQuote, q1), QuoteCreated)
    assert [a.approval_level for a in revision.approvals] == [1, 2]


def test_a_revision_below_the_approved_pre_tax_total_needs_no_vp_again() -> None:
    s, q1 = approved_quote("15", price="6000000")
    revision = one(s.ok(ReviseQuote, q1, lines=lines_at("15", "5900000")), QuoteCreated)
    assert revision.subtotal - revision.discount_amount == Decimal("5015000.00")  # over 5M
    assert revision.approvals == [] and revision.approval_carried_over
    assert revision.approved_net_amount == Decimal("5100000.00")  # 6,000,000 less 15 %


def test_a_later_approval_keeps_the_higher_discount_approved_before() -> None:
    s, q1 = approved_quote("25")  # levels 1 and 2 approved at 25 %
    q2 = one(s.ok(ReviseQuote, q1, lines=lines_at("15", "6000000")), QuoteCreated)
    assert [a.approval_level for a in q2.approvals] == [3]
    s.ok(DecideQuoteApproval, q2.aggregate_id, level=3, decision="approved", approver="VP1")
    q3 = one(s.ok(ReviseQuote, q2.aggregate_id, lines=lines_at("22", "6000000")),
             QuoteCreated)
    assert q3.approvals == [] and (q3.approved_discount_pct, q3.approved_by) == (
        Decimal("25.00"), "VP1")


def test_a_later_approval_keeps_the_higher_pre_tax_total_approved_before() -> None:
    s, q1 = approved_quote("15", price="6000000")  # levels 1 and 3 approved
    q2 = one(s.ok(ReviseQuote, q1, lines=lines_at("25")), QuoteCreated)
    assert [a.approval_level for a in q2.approvals] == [1, 2]
    for level in (1, 2):
        s.ok(DecideQuoteApproval, q2.aggregate_id, level=level, decision="approved")
    q3 = one(s.ok(ReviseQuote, q2.aggregate_id, lines=lines_at("25", "6000000")),
             QuoteCreated)
    assert q3.approvals == [] and q3.approved_net_amount == Decimal("5100000.00")


@pytest.mark.parametrize(("command", "status", "action"), [
    (SendQuote, "sent", "send"),
    (AcknowledgeQuote, "draft", "acknowledge"),
    (ReviewQuote, "draft", "review"),
])
def test_a_step_out_of_order_is_refused_naming_the_status_and_the_action(
        command: type, status: str, action: str) -> None:
    s, quote_id = quote_with_discount("0")
    if status == "sent":
        s.ok(SendQuote, quote_id)
    assert s.refused(command, quote_id) == (
        f"quotation {quote_id} is {status}; cannot {action}")


def test_the_customer_may_review_a_sent_quote_without_acknowledging_it() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    s.ok(ReviewQuote, quote_id)
    assert s.quote(quote_id).status == "under_review"


def test_a_declined_quote_is_revised_and_an_accepted_one_cannot_be() -> None:
    s, quote_id = quote_with_discount("0")
    s.ok(SendQuote, quote_id)
    s.ok(DeclineQuote, quote_id, reason="price")
    revision = one(s.ok(ReviseQuote, quote_id), QuoteCreated).aggregate_id
    s.ok(SendQuote, revision)
    s.ok(AcceptQuote, revision)
    assert s.refused(ReviseQuote, revision) == (
        f"quotation {revision} is accepted; cannot revise")


def test_a_new_proposal_after_the_quote_was_declined_revises_it() -> None:
    s, q1 = quote_with_discount("0")
    s.ok(SendQuote, q1)
    s.ok(DeclineQuote, q1)
    s.stage("O1", "negotiation")
    revision = one(s.stage("O1", "proposal"), QuoteCreated)
    assert revision.parent_quotation_id == q1 and s.quote(q1).status == "superseded"


def test_a_revision_needs_a_line() -> None:
    s, quote_id = quote_with_discount("0")
    assert s.refused(ReviseQuote, quote_id, lines=[]) == "a quotation needs at least one line"


def test_a_revision_is_prepared_by_who_revised_it_and_routed_up_their_chain() -> None:
    s = two_regions()
    s.deal("O9", owner="R1")
    s.product("O9", "1", "100000", "5")
    quote_id = s.to_proposal("O9")
    revision = one(s.ok(ReviseQuote, quote_id, prepared_by="R3", lines=lines_at("15")),
                   QuoteCreated)
    assert revision.prepared_by == "R3"
    assert [(a.approval_level, a.approver_id) for a in revision.approvals] == [(1, "M2")]


def test_quote_and_line_ids_are_prefixed_and_distinct() -> None:
    s = Scenario().org()
    s.deal()
    s.product("O1", "1", "1000")
    s.product("O1", "2", "500")
    created = one(s.stage("O1", "proposal"), QuoteCreated)
    line_ids = [ln.quote_line_id for ln in created.lines]
    assert created.aggregate_id.startswith("QUO-")
    assert len(set(line_ids)) == 2 and all(i.startswith("QLN-") for i in line_ids)


def test_a_free_quote_has_a_zero_discount() -> None:
    s = Scenario().org()
    s.deal(amount="0")
    quote = one(s.stage("O1", "proposal"), QuoteCreated)
    assert (quote.subtotal, quote.discount_pct, quote.total_amount) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_quote_that_needed_no_approval_approves_nothing_above_a_threshold() -> None:
    s, q1 = quote_with_discount("5", price="5000000")  # pre-tax 4,750,000: no approval
    q2 = one(s.ok(ReviseQuote, q1, lines=lines_at("5", "5400000")), QuoteCreated)
    assert [a.approval_level for a in q2.approvals] == [3]  # 5,130,000 needs the VP
    assert q2.approved_net_amount == Decimal("4750000.00")


def test_an_approval_carries_through_a_revision_that_needed_none() -> None:
    s, q1 = approved_quote("15", price="6000000")  # pre-tax 5,100,000 approved
    approved_at = s.now
    q2 = one(s.ok(ReviseQuote, q1, lines=lines_at("5")), QuoteCreated).aggregate_id
    q3 = one(s.later(days=1).ok(ReviseQuote, q2, lines=lines_at("15", "6000000")),
             QuoteCreated)
    assert q3.approvals == [] and q3.approval_carried_over
    assert (q3.approved_net_amount, q3.approved_by, q3.approved_at) == (
        Decimal("5100000.00"), "VP1", approved_at)


def test_a_quotes_id_and_its_approval_ids_derive_from_the_cause_deal_and_quote() -> None:
    s, quote_id = quote_with_discount("25")
    created = one(s.events, QuoteCreated)
    # ids derive from the cause (a replay must derive the same ones): pinned literally
    assert (quote_id, [step.approval_id for step in created.approvals]) == (
        "QUO-fdaa0636-cb1a-5b18", ["QAP-243e1866-7aec-5c8c", "QAP-3e75da94-791b-5f33"])


def test_a_quotation_is_named_after_180_characters_of_the_deal_and_its_revision() -> None:
    s = Scenario().org()
    name = "Press line retrofit for the Chakan plant, " * 5  # 210 characters
    s.ok(OpenOpportunity, "O1", opportunity_name=name[:200], account_id="A1",
         amount=Decimal(100000), close_date=date(2026, 3, 20), opportunity_owner="R1")
    quote_id = s.to_proposal()
    created = one([e for e in s.events if e.aggregate_id == quote_id], QuoteCreated)
    assert created.quotation_name == f"{name[:180]} - rev 1"


def test_a_product_lines_description_is_quoted_on_its_line() -> None:
    s = Scenario().org()
    s.deal()
    s.ok(AddOpportunityProduct, "O1", product_name="CNC spindle", material_id="MAT-CNC-001",
         product_description="5-axis, 24,000 rpm", quantity=Decimal(1),
         list_price=Decimal(900000))
    (quoted_line,) = s.quote(s.to_proposal()).lines
    assert quoted_line.product_description == "5-axis, 24,000 rpm"


def test_a_deal_above_the_largest_line_price_needs_product_lines_to_be_quoted() -> None:
    s = Scenario().org()
    s.deal(amount="100000000.00")  # 10 crore: more than a quote line's price can hold
    s.stage("O1", "qualification")
    s.stage("O1", "needs_analysis")
    reason = s.refused(ChangeOpportunityStage, "O1", to_stage="proposal")
    assert reason == "opportunity O1 needs product lines for a quote"


def test_a_quote_is_addressed_to_the_deals_primary_contact() -> None:
    s = Scenario().org()
    s.contact("C1", "A1")
    s.deal(primary_contact_id="C1")
    quote_id = s.to_proposal()
    assert one([e for e in s.events if e.aggregate_id == quote_id], QuoteCreated).contact_id == "C1"
