"""A stand-in ERP for local mode: answers the core's requests on the ERP's own topics.

It consumes `erp.sales-orders` (SalesOrderRequested) and `erp.customer-masters`
(CustomerMasterRequested: CRM -> Master Data) and replies on `erp.sales-order-replies`
with the simulator's deterministic ERP decision; the core's ERP bridge brings the reply
back into `crm.commands`, closing the account-to-customer and quote-to-order loops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer

from events.codec import AvroCodec, DecodeError
from events.topics import CUSTOMER_MASTERS, ERP_REPLIES, SALES_ORDERS
from producers.kafka import MessageProducer

log = logging.getLogger(__name__)


def run_erp(bootstrap: str, should_stop: Callable[[], bool], codec: AvroCodec | None = None,
            extra: dict[str, Any] | None = None) -> int:
    """Answer sales-order and customer-master requests until `should_stop()`; returns
    replies sent."""
    from simulators.erp import ERP_REQUESTS, erp_reply

    codec = codec or AvroCodec()
    # read_committed: where the core is exactly once (Apache Kafka), a killed core's
    # aborted requests are never answered; Tansu ignores the setting (docs/kafka.md)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "erp-simulator",
                         "isolation.level": "read_committed",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                         **(extra or {})})
    consumer.subscribe([SALES_ORDERS, CUSTOMER_MASTERS])
    replies = 0
    try:
        with MessageProducer(bootstrap, codec, extra) as producer:
            while not should_stop():
                msgs = consumer.consume(500, timeout=0.5)
                for msg in msgs:
                    if msg.error():
                        continue
                    try:
                        request = codec.decode(msg.value())
                    except DecodeError as exc:
                        log.warning("erp: skipping undecodable request: %s", exc)
                        continue
                    if request.event_type in ERP_REQUESTS:
                        producer.send(erp_reply(request), topic=ERP_REPLIES)
                        replies += 1
                if msgs:
                    producer.flush()  # replies delivered before the requests are committed
                    consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return replies
