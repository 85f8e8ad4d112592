"""The live ERP loop on a real broker: the stand-in ERP worker answers both request types
on the ERP's own topics, and the core's ERP bridge turns each answer into an input.

A CustomerMasterRequested goes to `erp.customer-masters` and a SalesOrderRequested to
`erp.sales-orders`; `operations.erp_worker.run_erp` (in a thread) must reply to both on
`erp.sales-order-replies` exactly as the in-process stand-in does, and
`processors.faust_app.bridge_erp_reply` must forward the replies to `crm.commands`.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from confluent_kafka import Consumer, TopicPartition
from scenario import Scenario, one

from domain.accounts.messages import OpenAccount
from domain.erp.messages import CustomerMasterRequested, SalesOrderRequested
from domain.opportunities.messages import OpenOpportunity
from events.topics import CUSTOMER_MASTERS, ERP_REPLIES, SALES_ORDERS, topic_for
from operations.erp_worker import run_erp
from processors.core import CoreProcessor
from processors.faust_app import bridge_erp_reply
from producers.kafka import MessageProducer
from simulators.erp import erp_reply

pytestmark = pytest.mark.integration


def requests() -> tuple[CustomerMasterRequested, SalesOrderRequested]:
    """A master-data request (new account A2) and an order request (customer A1)."""
    s = Scenario().org()
    s.deal()
    s.product("O1", "1", "50000")
    s.accepted_quote("O1")
    s.ok(OpenAccount, "A2", account_name="Bharat Castings")
    s.ok(OpenOpportunity, "O2", opportunity_name="Deal O2", account_id="A2",
         amount=Decimal("100000"), close_date=date(2026, 3, 20), opportunity_owner="R1")
    s.product("O2", "1", "50000")
    s.accepted_quote("O2")
    return one(s.events, CustomerMasterRequested), one(s.events, SalesOrderRequested)


def replies_on(bootstrap: str, count: int, timeout: float = 60) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "erp-live-test",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(ERP_REPLIES, 0, 0)])
    found: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        found += [m.value() for m in consumer.consume(10, timeout=0.5) if not m.error()]
    consumer.close()
    return found


def test_the_erp_worker_answers_master_data_and_order_requests_and_the_bridge_forwards_them(
    fresh_kafka: str,
) -> None:
    master, order = requests()
    assert (topic_for(master), topic_for(order)) == (CUSTOMER_MASTERS, SALES_ORDERS)
    with MessageProducer(fresh_kafka) as producer:
        producer.send(master)
        producer.send(order)
        producer.flush()
    stop = threading.Event()
    worker = threading.Thread(target=run_erp, args=(fresh_kafka, stop.is_set), daemon=True)
    worker.start()
    try:
        found = replies_on(fresh_kafka, 2)
    finally:
        stop.set()
        worker.join(30)
    core = CoreProcessor()
    decoded = sorted((core.codec.decode(v) for v in found), key=lambda r: r.event_type)
    assert decoded == sorted((erp_reply(master), erp_reply(order)),
                             key=lambda r: r.event_type)
    for value, reply in zip(found, map(core.codec.decode, found), strict=True):
        (out,) = bridge_erp_reply(core, value, 0, 0)
        assert (out.topic, out.key, out.value) == ("crm.commands", reply.aggregate_id, value)
