"""CRM -> Master Data, field by field: the log rows, the request, the answers, the timers.

The flow itself is told in tests/test_rules_erp.py; these pin what each step records
(the gaps the mutation tests of issue 21 found).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from scenario import Scenario, of_type, one

from domain.accounts.messages import (
    AccountCreated,
    AccountLinkedToCustomer,
    LinkAccountToCustomer,
    OpenAccount,
    SetParentAccount,
)
from domain.catalog import rulebook
from domain.erp.integration_log import (
    IntegrationLog,
    customer_log_id_for,
    log_id_for,
    payload_json,
)
from domain.erp.master_data import _WAITING as WAITING
from domain.erp.master_data import RETRY_TIMER
from domain.erp.messages import (
    CustomerMasterCreated,
    CustomerMasterRejected,
    CustomerMasterRequested,
    IntegrationCustomerCreated,
    IntegrationFailed,
    IntegrationHeld,
    IntegrationReleased,
    IntegrationRequested,
    IntegrationRetried,
    SalesOrderCreated,
    SalesOrderRequested,
)
from domain.opportunities.messages import OpenOpportunity


def prospect_quote(s: Scenario, opp_id: str = "O2", account: str = "A2", **opened: object,
                   ) -> str:
    """An accepted quote of an account that has no ERP customer yet."""
    if s.state.get("account", account) is None:
        s.ok(OpenAccount, account, account_name="Bharat Castings", **opened)
    s.ok(OpenOpportunity, opp_id, opportunity_name=f"Deal {opp_id}", account_id=account,
         amount=Decimal("100000"), close_date=date(2026, 3, 20), opportunity_owner="R1")
    s.product(opp_id, "2", "60000", "5")
    return s.accepted_quote(opp_id)


def master_created(s: Scenario, account: str = "A2", customer: str = "CUST-0000000042",
                   ) -> list:
    return s.send(CustomerMasterCreated, account, account_id=account, customer_id=customer)


def timer(s: Scenario, log_id: str) -> list:
    """Run the customer master retry timer for `log_id` now; the events it emits."""
    ctx = s.context()
    rulebook().timer_rule(RETRY_TIMER)(ctx, log_id)
    return ctx.commit()


def test_the_customer_master_log_id_of_an_account_is_stable_across_versions() -> None:
    # Replays of an existing log must find the same crm_integration_log rows.
    assert customer_log_id_for("A2") == "LOG-1cdde923-b97d-57d8"
    assert customer_log_id_for("A3") != customer_log_id_for("A2") != log_id_for("A2")


def test_a_held_order_request_is_a_pending_row_that_sent_nothing_and_says_why() -> None:
    s = Scenario().org()
    quote_id = prospect_quote(s)
    customer_log = customer_log_id_for("A2")
    held = one(s.events, IntegrationHeld)
    assert held.account_id == "A2"
    assert json.loads(held.integration_data) == {
        "quotation_id": quote_id, "quotation_number": s.quote(quote_id).quotation_number,
        "account_id": "A2", "waiting_for": "customer_master", "customer_log_id": customer_log}
    assert s.state.get("integration", log_id_for(quote_id)) == IntegrationLog(
        log_id_for(quote_id), quote_id, "pending", held.integration_data, attempt=0,
        retry_count=0, document_type="quotation")
    ask = one(s.events, CustomerMasterRequested)
    row = one(s.events, IntegrationRequested)
    assert row.integration_data == payload_json(ask)
    assert s.state.get("integration", customer_log) == IntegrationLog(
        customer_log, "A2", "pending", row.integration_data, attempt=1, retry_count=0,
        document_type="customer")


def test_the_request_names_the_account_its_owner_and_the_customer_of_its_parent() -> None:
    s = Scenario().org()
    s.ok(OpenAccount, "P1", account_name="Bharat Group", customer_id="CUST-P1")
    opened = one(s.ok(OpenAccount, "A2", account_name="Bharat Castings",
                      account_owner="R2"), AccountCreated)
    s.ok(SetParentAccount, "A2", parent_account_id="P1")
    prospect_quote(s)
    ask = one(s.events, CustomerMasterRequested)
    assert (ask.account_id, ask.account_number, ask.account_owner, ask.parent_account_id,
            ask.parent_customer_id) == ("A2", opened.account_number, "R2", "P1", "CUST-P1")


def test_an_account_without_a_parent_names_no_parent_customer() -> None:
    s = Scenario().org()
    prospect_quote(s)
    ask = one(s.events, CustomerMasterRequested)
    assert (ask.parent_account_id, ask.parent_customer_id) == (None, None)


def test_a_released_order_request_is_attempt_one_with_what_was_sent() -> None:
    s = Scenario().org()
    quote_id = prospect_quote(s)
    released = one(master_created(s), IntegrationReleased)
    assert released.customer_log_id == customer_log_id_for("A2")
    assert s.state.get("integration", log_id_for(quote_id)) == IntegrationLog(
        log_id_for(quote_id), quote_id, "pending", released.integration_data, attempt=1)
    assert s.state.view(WAITING) == {}  # nothing left for the tick to look at


def test_the_completed_customer_row_keeps_the_request_and_adds_the_customer() -> None:
    s = Scenario().org()
    prospect_quote(s)
    asked = json.loads(one(s.events, IntegrationRequested).integration_data)
    done = one(master_created(s), IntegrationCustomerCreated)
    assert done.customer_id == "CUST-0000000042"
    assert json.loads(done.integration_data) == {**asked, "customer_id": "CUST-0000000042"}
    assert master_created(s) == []  # said twice: no event at all


def test_an_account_already_a_customer_since_a_date_keeps_that_date_when_linked() -> None:
    s = Scenario().org()
    prospect_quote(s, customer_since=date(2019, 4, 1))
    linked = one(master_created(s), AccountLinkedToCustomer)
    assert (linked.customer_id, linked.customer_since) == ("CUST-0000000042", None)
    account = s.state.get("account", "A2")
    assert (account.customer_id, account.customer_since) == ("CUST-0000000042",
                                                             date(2019, 4, 1))


def test_a_retry_asks_again_for_the_quote_that_first_asked() -> None:
    s = Scenario().org()
    quote_id = prospect_quote(s)
    failed = one(s.send(CustomerMasterRejected, "A2", account_id="A2", reason="dup"),
                 IntegrationFailed)
    events = s.tick(failed.next_retry_at)
    ask = one(events, CustomerMasterRequested)
    assert (ask.attempt, ask.quotation_id, ask.log_id) == (2, quote_id,
                                                           customer_log_id_for("A2"))
    assert one(events, IntegrationRetried).integration_data == payload_json(ask)
    log = s.state.get("integration", customer_log_id_for("A2"))
    assert (log.status, log.attempt, log.retry_count) == ("pending", 2, 1)


def test_a_retry_timer_for_an_unknown_completed_or_linked_row_asks_nothing() -> None:
    s = Scenario().org()
    assert timer(s, "LOG-unknown") == []
    prospect_quote(s)
    customer_log = customer_log_id_for("A2")
    s.send(CustomerMasterRejected, "A2", account_id="A2", reason="dup")
    s.ok(LinkAccountToCustomer, "A2", customer_id="CUST-MANUAL")  # a steward was faster
    assert timer(s, customer_log) == []  # in error, but the account has a customer now
    master_created(s)
    assert s.state.get("integration", customer_log).status == "completed"
    assert timer(s, customer_log) == []


def test_a_retry_timer_of_a_row_asked_again_already_asks_nothing_more() -> None:
    s = Scenario().org()
    prospect_quote(s)
    customer_log = customer_log_id_for("A2")
    failed = one(s.send(CustomerMasterRejected, "A2", account_id="A2", reason="dup"),
                 IntegrationFailed)
    s.tick(failed.next_retry_at)  # asked again: pending, attempt 2
    assert timer(s, customer_log) == []  # a stale second firing
    assert len(of_type(s.events, CustomerMasterRequested)) == 2


def test_held_orders_of_two_accounts_go_out_only_for_the_linked_one() -> None:
    s = Scenario().org()
    first = prospect_quote(s, "O2", "A2")
    prospect_quote(s, "O3", "A3")
    s.ok(LinkAccountToCustomer, "A2", customer_id="CUST-MANUAL")
    events = s.tick(s.now + timedelta(minutes=30))
    assert [r.quotation_id for r in of_type(events, SalesOrderRequested)] == [first]
    assert of_type(s.tick(s.now + timedelta(minutes=30)), SalesOrderRequested) == []
    late = master_created(s, "A3", "CUST-3")
    assert [r.customer_id for r in of_type(late, SalesOrderRequested)] == ["CUST-3"]


def test_a_held_quote_the_erp_ordered_meanwhile_is_not_sent_but_the_next_one_is() -> None:
    s = Scenario().org()
    first = prospect_quote(s, "O2")
    second = prospect_quote(s, "O3")
    s.ok(SalesOrderCreated, "SO-7", sales_order_id="SO-7", quotation_id=first,
         order_total=Decimal("134520.00"), order_date=s.now.date())  # keyed in at the ERP
    assert s.quote(first).order_id == "SO-7"
    events = master_created(s)
    assert [r.quotation_id for r in of_type(events, SalesOrderRequested)] == [second]
    assert [r.aggregate_id for r in of_type(events, IntegrationReleased)] == [log_id_for(second)]


def test_a_quote_accepted_while_retries_remain_waits_for_the_scheduled_retry() -> None:
    s = Scenario().org()
    prospect_quote(s)
    for refusal in range(1, 4):  # max_retries = 3: each of these schedules a retry
        failed = one(s.send(CustomerMasterRejected, "A2", account_id="A2", reason="dup"),
                     IntegrationFailed)
        assert (failed.retry_count, failed.next_retry_at is not None) == (refusal, True)
        quote_id = prospect_quote(s, f"O{refusal + 2}")
        assert of_type(s.events, CustomerMasterRequested)[-1].attempt == refusal  # not asked again
        assert s.state.get("integration", log_id_for(quote_id)).attempt == 0  # held
        s.tick(failed.next_retry_at)
    assert len(of_type(s.events, CustomerMasterRequested)) == 4  # the first ask and three retries
