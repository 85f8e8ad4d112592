"""The ERP bridge: the request on acceptance, the order closing the loop, rejections with
retries in event time."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from decimal import Decimal

from scenario import Scenario, of_type, one

from domain.accounts.messages import (
    AccountLinkedToCustomer,
    AccountRevenueRecorded,
    LinkAccountToCustomer,
    OpenAccount,
)
from domain.catalog import rulebook
from domain.erp.integration_log import (
    IntegrationLog,
    backoff,
    customer_log_id_for,
    log_id_for,
    payload_json,
)
from domain.erp.messages import (
    CustomerMasterCreated,
    CustomerMasterRejected,
    CustomerMasterRequested,
    IntegrationCompleted,
    IntegrationCustomerCreated,
    IntegrationFailed,
    IntegrationHeld,
    IntegrationReleased,
    IntegrationRequested,
    IntegrationRetried,
    SalesOrderCreated,
    SalesOrderRejected,
    SalesOrderRequested,
)
from domain.erp.sales_orders import RETRY_TIMER
from domain.kernel.messages import Command
from domain.kernel.records import updated
from domain.opportunities.messages import OpenOpportunity, OpportunityStageChanged, OpportunityWon
from domain.quotes.messages import AcceptQuote, DecideQuoteApproval, QuoteConverted, SendQuote
from domain.sales_org.messages import RepPerformanceUpdated
from events.topics import topic_for
from projectors.projection import rows_for
from simulators.erp import ERP_REQUESTS, customer_number, data_problem, erp_reply


def accepted() -> tuple[Scenario, str]:
    s = Scenario().org()
    s.deal()
    s.product("O1", "2", "60000", "5")  # net 114000, tax 20520, total 134520
    return s, s.accepted_quote()


def order(s: Scenario, quote_id: str, order_id: str = "SO-1") -> list:
    return s.send(SalesOrderCreated, order_id, sales_order_id=order_id, quotation_id=quote_id,
                  order_total=Decimal("134520.00"), order_date=s.now.date())


def reject(s: Scenario, quote_id: str, reason: str = "credit hold") -> list:
    return s.send(SalesOrderRejected, quote_id, quotation_id=quote_id, reason=reason)


def test_the_erp_replies_are_inputs_of_the_core_named_as_the_erps_facts() -> None:
    assert issubclass(SalesOrderCreated, Command) and SalesOrderCreated.KIND == "command"
    assert issubclass(SalesOrderRejected, Command)
    assert SalesOrderCreated.AGGREGATE == SalesOrderRejected.AGGREGATE == "sales_order"


def test_an_accepted_quote_requests_a_sales_order_and_opens_a_pending_log_row() -> None:
    s, quote_id = accepted()
    request = one(s.events, SalesOrderRequested)
    assert (request.aggregate_type, request.aggregate_id, request.attempt) == (
        "sales_order", quote_id, 1)
    assert (request.account_id, request.opportunity_id) == ("A1", "O1")
    assert [(ln.product_name, ln.quantity, ln.line_total) for ln in request.lines] == [
        ("CNC spindle", Decimal("2.0000"), Decimal("114000.00"))]
    assert (request.subtotal, request.discount_amount, request.tax_amount,
            request.total_amount) == (Decimal("120000.00"), Decimal("6000.00"),
                                      Decimal("20520.00"), Decimal("134520.00"))
    log = one(s.events, IntegrationRequested)
    assert log.aggregate_id == request.log_id == log_id_for(quote_id)
    assert (log.integration_direction, log.document_type, log.document_id) == (
        "crm_to_erp", "quotation", quote_id)
    data = json.loads(log.integration_data)
    assert data["quotation_id"] == quote_id and data["total_amount"] == "134520.00"


def test_the_sales_order_converts_the_quote_and_closes_the_deal_won() -> None:
    s, quote_id = accepted()
    s.later(days=2)
    events = order(s, quote_id)
    converted = one(events, QuoteConverted)
    assert (converted.converted_to_order_id, converted.converted_date) == ("SO-1",
                                                                           s.now.date())
    assert one(events, OpportunityStageChanged).to_stage == "closed_won"
    won = one(events, OpportunityWon)
    assert (won.converted_to_order_id, won.amount) == ("SO-1", Decimal("114000.00"))
    owner = [e for e in of_type(events, RepPerformanceUpdated) if e.aggregate_id == "R1"]
    assert [e.ytd_revenue for e in owner] == [Decimal("114000.00")]  # manager M1 rolls up too
    revenue = one(events, AccountRevenueRecorded)
    assert (revenue.lifetime_value, revenue.last_purchase_date) == (Decimal("114000.00"),
                                                                    s.now.date())
    done = one(events, IntegrationCompleted)
    assert json.loads(done.integration_data)["sales_order_id"] == "SO-1"


def test_a_duplicate_sales_order_created_changes_nothing() -> None:
    s, quote_id = accepted()
    order(s, quote_id)
    before = copy.deepcopy((s.state.entities, s.state.versions, s.state.counters))
    assert order(s, quote_id) == []
    assert copy.deepcopy((s.state.entities, s.state.versions, s.state.counters)) == before


def test_a_second_order_for_a_converted_quote_is_refused() -> None:
    s, quote_id = accepted()
    order(s, quote_id)
    reason = s.refused(SalesOrderCreated, "SO-2", sales_order_id="SO-2", quotation_id=quote_id,
                       order_total=Decimal(1), order_date=date(2026, 3, 3))
    assert reason == f"quotation {quote_id} already converted to order SO-1"


def test_a_sales_order_for_an_unknown_or_unaccepted_quote_is_refused() -> None:
    s, quote_id = accepted()
    assert s.refused(SalesOrderCreated, "SO-9", sales_order_id="SO-9", quotation_id="QX",
                     order_total=Decimal(1), order_date=date(2026, 3, 3)) == (
        "unknown quotation QX")
    s.deal("O2")
    draft = s.to_proposal("O2")
    assert s.refused(SalesOrderCreated, "SO-9", sales_order_id="SO-9", quotation_id=draft,
                     order_total=Decimal(1), order_date=date(2026, 3, 3)) == (
        f"quotation {draft} is draft, not accepted")


def test_a_rejection_is_logged_as_error_and_retried_after_the_backoff() -> None:
    s, quote_id = accepted()
    failed = one(reject(s, quote_id), IntegrationFailed)
    assert (failed.retry_count, failed.error_message) == (1, "credit hold")
    assert failed.last_retry_at == s.now
    assert failed.next_retry_at == s.now + timedelta(minutes=30)
    rejected_at = s.now
    assert of_type(s.tick(rejected_at + timedelta(minutes=29)), SalesOrderRequested) == []
    events = s.tick(rejected_at + timedelta(minutes=30))
    assert one(events, SalesOrderRequested).attempt == 2
    assert one(events, IntegrationRetried).attempt == 2
    assert s.state.get("integration", log_id_for(quote_id)).status == "pending"


def test_retries_back_off_then_give_up_after_max_retries_leaving_the_log_in_error() -> None:
    s, quote_id = accepted()
    delays = []
    for attempt in range(1, 5):
        failed = one(reject(s, quote_id, f"refusal {attempt}"), IntegrationFailed)
        assert failed.retry_count == attempt
        if attempt == 4:
            assert failed.next_retry_at is None
            break
        delays.append(failed.next_retry_at - s.now)
        retried = s.tick(failed.next_retry_at)
        assert one(retried, SalesOrderRequested).attempt == attempt + 1
    assert delays == [timedelta(minutes=m) for m in (30, 120, 480)]
    assert of_type(s.tick(s.now + timedelta(days=2)), SalesOrderRequested) == []
    log = s.state.get("integration", log_id_for(quote_id))
    assert (log.status, log.retry_count) == ("error", 4)
    assert s.refused(SalesOrderRejected, quote_id, quotation_id=quote_id, reason="again") == (
        f"no sales order request pending for quotation {quote_id}")


def test_the_last_configured_backoff_repeats_when_retries_outnumber_it() -> None:
    assert backoff(5, (30, 120)) == timedelta(minutes=120)
    assert backoff(1, (30, 120)) == timedelta(minutes=30)


def test_an_order_after_a_rejection_still_completes_the_loop_and_stops_retries() -> None:
    s, quote_id = accepted()
    failed = one(reject(s, quote_id), IntegrationFailed)
    assert one(order(s, quote_id), IntegrationCompleted)
    assert of_type(s.tick(failed.next_retry_at), SalesOrderRequested) == []


def test_a_rejection_without_a_pending_request_is_refused() -> None:
    s = Scenario().org()
    s.deal()
    quote_id = s.to_proposal()
    assert s.refused(SalesOrderRejected, quote_id, quotation_id=quote_id, reason="x") == (
        f"no sales order request pending for quotation {quote_id}")


# -- pinned by mutation testing (docs/testing.md): each test kills mutants that survived ----


def compact_sorted_json(text: str) -> str:
    """`text` re-serialised the canonical way (sorted keys, no spaces)."""
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def test_the_log_id_of_a_quotations_request_is_stable_across_versions() -> None:
    # Replays of an existing log must find the same crm_integration_log rows.
    assert log_id_for("Q1") == "LOG-2947f529-4b2b-56c8"
    assert log_id_for("Q2") != log_id_for("Q1")


def test_the_request_carries_the_customer_master_id_lines_and_currency() -> None:
    s = Scenario().org()  # A1 is customer CUST-A1 in the ERP
    s.deal()
    s.product("O1", "2", "60000", "5")
    quote_id = s.accepted_quote()
    request = one(s.events, SalesOrderRequested)
    assert (request.customer_id, request.currency, request.quotation_number) == (
        "CUST-A1", "INR", s.quote(quote_id).quotation_number)
    assert [(ln.line_number, ln.material_id, ln.unit_of_measure, ln.unit_price)
            for ln in request.lines] == [(1, "MAT-1", "EA", Decimal("57000.00"))]
    assert request.requested_delivery_date is None  # no line has a lead time


def test_the_log_row_holds_exactly_the_request_payload_as_canonical_json() -> None:
    s, quote_id = accepted()
    request = one(s.events, SalesOrderRequested)
    data = one(s.events, IntegrationRequested).integration_data
    assert data == compact_sorted_json(data)
    assert json.loads(data) == request.model_dump(mode="json", include=set(request.payload()))
    assert s.state.get("integration", log_id_for(quote_id)) == IntegrationLog(
        log_id_for(quote_id), quote_id, "pending", data)


def test_the_requested_delivery_date_waits_for_the_slowest_line() -> None:
    s = Scenario().org()
    s.deal()
    s.product("O1", "2", "60000")
    s.product("O1", "1", "10000")
    quote_id = s.to_proposal()
    quote = s.quote(quote_id)
    lines = tuple(ln.model_copy(update={"delivery_lead_time_days": days})
                  for ln, days in zip(quote.lines, (30, None), strict=True))
    s.state.store("quote")[quote_id] = updated(quote, lines=lines)
    for level, _, _ in quote.approvals:
        s.ok(DecideQuoteApproval, quote_id, level=level, decision="approved")
    s.ok(SendQuote, quote_id)
    s.ok(AcceptQuote, quote_id)
    request = one(s.events, SalesOrderRequested)
    assert request.requested_delivery_date == quote.quotation_date + timedelta(days=30)


def test_the_order_closes_the_deal_on_the_order_date_with_the_orders_reason() -> None:
    s, quote_id = accepted()
    s.later(days=2)
    events = s.send(SalesOrderCreated, "SO-1", sales_order_id="SO-1", quotation_id=quote_id,
                    order_total=Decimal("134520.00"), order_date=date(2026, 3, 1))
    won = one(events, OpportunityWon)
    assert (won.actual_close_date, won.win_loss_reason, won.amount) == (
        date(2026, 3, 1), "Sales order SO-1 created", Decimal("114000.00"))
    assert one(events, OpportunityStageChanged).change_reason == "Sales order SO-1 created"
    done = one(events, IntegrationCompleted)
    request = json.loads(one(s.events, IntegrationRequested).integration_data)
    assert json.loads(done.integration_data) == {
        **request, "sales_order_id": "SO-1", "order_total": "134520.00",
        "order_date": "2026-03-01"}
    assert done.integration_data == compact_sorted_json(done.integration_data)
    log = s.state.get("integration", log_id_for(quote_id))
    assert (log.status, log.data) == ("completed", done.integration_data)


def test_an_order_for_a_quote_whose_deal_is_already_closed_only_converts_the_quote() -> None:
    s, quote_id = accepted()
    s.stage("O1", "negotiation")
    s.stage("O1", "closed_won")
    events = order(s, quote_id)
    assert [type(e) for e in events] == [QuoteConverted, IntegrationCompleted]


def test_a_retry_sends_the_request_again_and_the_log_keeps_what_was_sent() -> None:
    s, quote_id = accepted()
    failed = one(reject(s, quote_id), IntegrationFailed)
    retried = one(s.tick(failed.next_retry_at), IntegrationRetried)
    assert json.loads(retried.integration_data)["attempt"] == 2
    log = s.state.get("integration", log_id_for(quote_id))
    assert (log.status, log.attempt, log.data) == ("pending", 2, retried.integration_data)


def test_a_retry_timer_for_an_unknown_log_does_nothing() -> None:
    s = Scenario()
    ctx = s.context()
    rulebook().timer_rule(RETRY_TIMER)(ctx, "LOG-unknown")
    assert ctx.commit() == []


def test_the_deal_is_won_at_the_ordered_quotes_net_not_the_opportunitys_amount() -> None:
    s, quote_id = accepted()
    opp = s.opp("O1")
    s.state.store("opportunity")["O1"] = updated(opp, amount=Decimal("99000.00"))
    won = one(order(s, quote_id), OpportunityWon)
    assert won.amount == Decimal("114000.00")  # the quote's subtotal less its discount


# -- CRM -> Master Data: the customer master before the first order (issue 14 point 7) ----


def prospect_quote(s: Scenario, opp_id: str = "O2", account: str = "A2") -> str:
    """An accepted quote of an account that has no ERP customer yet."""
    if s.state.get("account", account) is None:
        s.ok(OpenAccount, account, account_name="Bharat Castings")
    s.ok(OpenOpportunity, opp_id, opportunity_name=f"Deal {opp_id}", account_id=account,
         amount=Decimal("100000"), close_date=date(2026, 3, 20), opportunity_owner="R1")
    s.product(opp_id, "2", "60000", "5")
    return s.accepted_quote(opp_id)


def master_created(s: Scenario, account: str = "A2", customer: str = "CUST-0000000042",
                   ) -> list:
    return s.send(CustomerMasterCreated, account, account_id=account, customer_id=customer)


def test_a_quote_accepted_for_an_account_without_customer_master_asks_master_data_first(
) -> None:
    s = Scenario().org()
    before = len(s.events)
    quote_id = prospect_quote(s)
    events = s.events[before:]
    assert of_type(events, SalesOrderRequested) == []
    ask = one(events, CustomerMasterRequested)
    customer_log = customer_log_id_for("A2")
    assert (ask.aggregate_type, ask.aggregate_id, ask.attempt, ask.log_id) == (
        "customer_master", "A2", 1, customer_log)
    assert (ask.account_name, ask.account_type, ask.quotation_id) == (
        "Bharat Castings", "prospect", quote_id)
    assert topic_for(ask) == "erp.customer-masters"
    row = one(events, IntegrationRequested)
    assert (row.aggregate_id, row.integration_direction, row.document_type,
            row.document_id) == (customer_log, "crm_to_master_data", "customer", "A2")
    assert json.loads(row.integration_data)["account_number"] == ask.account_number
    held = one(events, IntegrationHeld)
    assert (held.aggregate_id, held.document_id, held.customer_log_id) == (
        log_id_for(quote_id), quote_id, customer_log)
    assert json.loads(held.integration_data)["waiting_for"] == "customer_master"
    assert s.state.get("integration", log_id_for(quote_id)).attempt == 0  # nothing sent
    assert s.state.get("integration", customer_log).status == "pending"


def test_the_customer_master_links_the_account_then_the_held_order_goes_to_the_erp() -> None:
    s = Scenario().org()
    quote_id = prospect_quote(s)
    s.later(hours=3)
    events = master_created(s)
    assert [type(e) for e in events] == [AccountLinkedToCustomer, IntegrationCustomerCreated,
                                         SalesOrderRequested, IntegrationReleased]
    linked = one(events, AccountLinkedToCustomer)
    assert (linked.aggregate_id, linked.customer_id, linked.customer_since) == (
        "A2", "CUST-0000000042", s.now.date())
    done = one(events, IntegrationCustomerCreated)
    assert json.loads(done.integration_data)["customer_id"] == "CUST-0000000042"
    request = one(events, SalesOrderRequested)
    assert (request.customer_id, request.attempt, request.quotation_id) == (
        "CUST-0000000042", 1, quote_id)
    released = one(events, IntegrationReleased)
    assert json.loads(released.integration_data) == json.loads(payload_json(request))
    assert s.state.get("integration", customer_log_id_for("A2")).status == "completed"
    assert s.state.get("integration", log_id_for(quote_id)).attempt == 1
    won = order(s, quote_id)
    assert one(won, IntegrationCompleted).aggregate_id == log_id_for(quote_id)
    assert s.state.get("account", "A2").customer_id == "CUST-0000000042"


def test_quotes_accepted_while_master_data_works_share_one_request_and_go_in_order() -> None:
    s = Scenario().org()
    first = prospect_quote(s, "O2")
    second = prospect_quote(s, "O3")
    assert len(of_type(s.events, CustomerMasterRequested)) == 1
    assert len(of_type(s.events, IntegrationHeld)) == 2
    events = master_created(s)
    assert [r.quotation_id for r in of_type(events, SalesOrderRequested)] == [first, second]
    assert of_type(master_created(s), SalesOrderRequested) == []  # said twice: nothing again


def test_a_refused_customer_master_shows_error_and_is_asked_again_after_the_backoff() -> None:
    s = Scenario().org()
    quote_id = prospect_quote(s)
    events = s.send(CustomerMasterRejected, "A2", account_id="A2",
                    reason="GSTIN missing or invalid for sold-to party Bharat Castings")
    failed = one(events, IntegrationFailed)
    assert (failed.aggregate_id, failed.retry_count, failed.next_retry_at) == (
        customer_log_id_for("A2"), 1, s.now + timedelta(minutes=30))
    assert failed.error_message.startswith("GSTIN missing")
    assert of_type(s.tick(s.now + timedelta(minutes=29)), CustomerMasterRequested) == []
    retried = s.tick(s.now + timedelta(minutes=31))
    assert one(retried, CustomerMasterRequested).attempt == 2
    assert one(retried, IntegrationRetried).attempt == 2
    assert of_type(retried, SalesOrderRequested) == []  # the order still waits
    assert one(master_created(s), SalesOrderRequested).quotation_id == quote_id


def test_after_the_retries_run_out_the_row_stays_error_until_a_new_order_asks_again() -> None:
    s = Scenario().org()
    prospect_quote(s)
    for attempt in range(1, 5):
        failed = one(s.send(CustomerMasterRejected, "A2", account_id="A2", reason="dup"),
                     IntegrationFailed)
        assert failed.retry_count == attempt
        if failed.next_retry_at is None:
            break
        s.tick(failed.next_retry_at)
    assert (attempt, s.state.get("integration", customer_log_id_for("A2")).status) == (
        4, "error")
    assert of_type(s.tick(s.now + timedelta(days=3)), CustomerMasterRequested) == []
    again = prospect_quote(s, "O3")
    asked = of_type(s.events, CustomerMasterRequested)[-1]
    assert (asked.attempt, asked.quotation_id) == (5, again)
    assert len(of_type(master_created(s), SalesOrderRequested)) == 2


def test_held_orders_go_out_on_the_next_tick_when_a_data_steward_links_the_account() -> None:
    s = Scenario().org()
    quote_id = prospect_quote(s)
    s.ok(LinkAccountToCustomer, "A2", customer_id="CUST-MANUAL")
    events = s.tick(s.now + timedelta(minutes=30))
    assert one(events, SalesOrderRequested).customer_id == "CUST-MANUAL"
    assert one(events, IntegrationReleased).aggregate_id == log_id_for(quote_id)
    assert of_type(s.tick(s.now + timedelta(minutes=60)), SalesOrderRequested) == []
    late = master_created(s)  # the ERP's answer after all: the manual link stays
    assert of_type(late, AccountLinkedToCustomer) == of_type(late, SalesOrderRequested) == []
    assert json.loads(one(late, IntegrationCustomerCreated).integration_data)[
        "linked_customer_id"] == "CUST-MANUAL"


def test_master_data_answers_nobody_asked_for_or_after_the_fact_are_refused() -> None:
    s = Scenario().org()
    assert "no customer master request for account A1" in s.refused(
        CustomerMasterCreated, "A1", account_id="A1", customer_id="CUST-9")
    quote_id = prospect_quote(s)
    assert "no sales order request pending" in s.refused(
        SalesOrderRejected, quote_id, quotation_id=quote_id, reason="held: never sent")
    master_created(s)
    assert "already created" in s.refused(CustomerMasterCreated, "A2", account_id="A2",
                                          customer_id="CUST-OTHER")
    assert "no customer master request pending" in s.refused(
        CustomerMasterRejected, "A2", account_id="A2", reason="late")


def test_an_existing_customer_goes_straight_to_a_sales_order() -> None:
    s, quote_id = accepted()  # A1 is CUST-A1
    assert of_type(s.events, CustomerMasterRequested) == of_type(s.events, IntegrationHeld) == []
    assert one(s.events, SalesOrderRequested).customer_id == "CUST-A1"


def test_the_log_rows_of_the_master_data_flow_project_as_the_read_model_allows() -> None:
    s = Scenario().org()
    quote_id = prospect_quote(s)
    s.send(CustomerMasterRejected, "A2", account_id="A2", reason="dup")
    s.tick(s.now + timedelta(minutes=31))
    master_created(s)
    order(s, quote_id)
    rows: dict[str, dict] = {}
    for up in rows_for([e for e in s.events if e.AGGREGATE == "integration"]):
        assert up.table == "crm_integration_log"
        rows.setdefault(dict(up.key)["log_id"], {}).update(up.values)
    customer, sales = rows[customer_log_id_for("A2")], rows[log_id_for(quote_id)]
    assert (customer["integration_direction"], customer["document_type"],
            customer["document_id"], customer["integration_status"],
            customer["retry_count"], customer["error_message"]) == (
        "crm_to_master_data", "customer", "A2", "completed", 1, "dup")
    assert customer["last_retry_at"] is not None
    assert customer["integration_data"]["customer_id"] == "CUST-0000000042"
    assert (sales["integration_direction"], sales["document_type"], sales["document_id"],
            sales["integration_status"], sales["retry_count"]) == (
        "crm_to_erp", "quotation", quote_id, "completed", 0)
    assert sales["integration_data"]["sales_order_id"] == "SO-1"
    assert {r["integration_status"] for r in rows.values()} <= {
        "pending", "in_progress", "completed", "error"}


# -- the stand-in ERP and the live bridge answer the new request type --------------------


def test_the_stand_in_erp_creates_customer_masters_with_stable_numbers_and_few_refusals(
) -> None:
    s = Scenario().org()
    prospect_quote(s)
    ask = one(s.events, CustomerMasterRequested)
    asks = [ask.model_copy(update={"event_id": f"ask-{n}", "account_id": f"ACC-{n}"})
            for n in range(1000)]
    replies = [erp_reply(a) for a in asks]
    assert replies == [erp_reply(a) for a in asks]
    created = [r for r in replies if isinstance(r, CustomerMasterCreated)]
    refused = [r for r in replies if isinstance(r, CustomerMasterRejected)]
    assert len(created) + len(refused) == 1000 and 60 <= len(refused) <= 130  # 8 % + 2 %
    assert all(r.customer_id == customer_number(r.account_id) for r in created)
    assert len({r.customer_id for r in created}) == len(created)
    assert re.fullmatch(r"CUST-\d{10}", customer_number("A2"))
    assert all(timedelta(minutes=30) <= r.occurred_at - ask.occurred_at <= timedelta(hours=6)
               for r in replies)
    # a data problem belongs to the account: every attempt up to its count meets it
    dirty = [a for a in asks if data_problem(a.account_id) is not None]
    assert 55 <= len(dirty) <= 110
    for a in dirty:
        reason, attempts = data_problem(a.account_id)
        for attempt in range(1, attempts + 1):
            reply = erp_reply(a.model_copy(update={"attempt": attempt,
                                                   "event_id": f"{a.event_id}/{attempt}"}))
            assert isinstance(reply, CustomerMasterRejected)
            assert reply.reason == reason.format(name=a.account_name)
    exhausted = sum(data_problem(a.account_id)[1] >= 4 for a in dirty)
    assert 0 < exhausted < len(dirty) / 3  # 4 attempts (3 retries) used up: a steward's job


def test_the_stand_in_erp_refuses_every_order_without_a_sold_to_party() -> None:
    s, _ = accepted()
    request = one(s.events, SalesOrderRequested).model_copy(update={"customer_id": None})
    replies = [erp_reply(request.model_copy(update={"event_id": f"r-{n}"})) for n in range(50)]
    assert all(isinstance(r, SalesOrderRejected) and "Customer master not found" in r.reason
               for r in replies)
    assert {"SalesOrderRequested", "CustomerMasterRequested"} == ERP_REQUESTS


def test_the_erp_bridge_brings_master_data_answers_into_the_command_log() -> None:
    from processors.core import CoreProcessor
    from processors.faust_app import bridge_erp_reply

    s = Scenario().org()
    prospect_quote(s)
    reply = erp_reply(one(s.events, CustomerMasterRequested))
    processor = CoreProcessor()
    (out,) = bridge_erp_reply(processor, processor.codec.encode(reply), 0, 7)
    assert (out.topic, out.key) == ("crm.commands", "A2")
    assert processor.codec.decode(out.value) == reply


def test_the_stand_in_erp_names_no_material_when_the_order_has_none() -> None:
    s, _ = accepted()
    request = one(s.events, SalesOrderRequested)
    bare = request.model_copy(update={"lines": [ln.model_copy(update={"material_id": None})
                                                for ln in request.lines]})
    reasons = {r.reason for n in range(600)
               if isinstance(r := erp_reply(bare.model_copy(update={"event_id": f"m-{n}"})),
                             SalesOrderRejected)}
    assert reasons and not any("Material" in r or "material" in r for r in reasons)


def test_a_simulated_month_books_no_order_for_an_account_without_customer_master() -> None:
    from simulators.measure import simulate

    run = simulate(30, 0.3, 7)
    state = run.core.state
    logs, quotes = state.store("integration"), state.store("quote")
    ordered = {q.account_id for q in quotes.values() if q.order_id}
    assert ordered and all(state.get("account", a).customer_id for a in ordered)
    customer_rows = [log for log in logs.values() if log.document_type == "customer"]
    assert len(customer_rows) == run.funnel.counts["IntegrationCustomerCreated"] + sum(
        log.status != "completed" for log in customer_rows) > 0
    assert {log.status for log in logs.values()} <= {"pending", "completed", "error"}
    assert run.sim.stats.inputs["CustomerMasterRejected"] > 0  # occasional refusals
    waiting = [log for log in logs.values() if log.attempt == 0]
    assert all(state.get("account", quotes[log.document_id].account_id).customer_id is None
               for log in waiting)  # only orders whose customer master is still missing
