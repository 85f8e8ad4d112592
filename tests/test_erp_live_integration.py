"""The live ERP loop on a real broker: the stand-in ERP worker answers both request types
on the ERP's own topics, and the core's ERP bridge turns each answer into an input, once.

A CustomerMasterRequested goes to `erp.customer-masters` and a SalesOrderRequested to
`erp.sales-orders`; `operations.erp_worker.run_erp` (in a thread; it reads the requests
`read_committed`), on Tansu and on Apache Kafka, must reply to both on
`erp.sales-order-replies` exactly as the in-process stand-in does, and
`processors.faust_app.bridge_erp_reply` must forward the replies to `crm.commands`; the
faust core worker (`crm run --role core`) then forwards each to `crm.commands` exactly once
and folds it.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from confluent_kafka import Consumer, TopicPartition
from faults_support import CrmProcess, core_committed, crm_env, read_partitions, wait_for
from scenario import Scenario, one
from support import temp_home

from domain.accounts.messages import OpenAccount
from domain.erp.messages import CustomerMasterRequested, SalesOrderRequested
from domain.opportunities.messages import OpenOpportunity
from events.topics import COMMANDS, CUSTOMER_MASTERS, ERP_REPLIES, SALES_ORDERS, topic_for
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
    any_broker: str, fresh_db_url: str,
) -> None:
    master, order = requests()
    assert (topic_for(master), topic_for(order)) == (CUSTOMER_MASTERS, SALES_ORDERS)
    with MessageProducer(any_broker) as producer:
        producer.send(master)
        producer.send(order)
        producer.flush()
    stop = threading.Event()
    worker = threading.Thread(target=run_erp, args=(any_broker, stop.is_set), daemon=True)
    worker.start()
    try:
        found = replies_on(any_broker, 2)
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

    # the live bridge: the core worker forwards each reply to crm.commands once (on
    # Apache Kafka in one transaction with the reply's offset) and folds it
    with temp_home() as home:
        core_worker = CrmProcess(["run", "--role", "core"],
                                 crm_env(home, any_broker, fresh_db_url), home / "core.log")
        try:
            wait_for(lambda: core_committed(any_broker) >= 2, 120,
                     "the core to fold the two bridged replies", core_worker, interval=0.5)
        finally:
            code = core_worker.stop()
        assert code == 0, core_worker.output()[-3000:]
    inputs = read_partitions(any_broker, [(COMMANDS, 0)])[(COMMANDS, 0)]
    assert sorted(inputs) == sorted((r.aggregate_id, v) for r, v in
                                    zip(map(core.codec.decode, found), found, strict=True))
