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

from confluent_kafka import Consumer, KafkaError, KafkaException

from events.codec import AvroCodec, DecodeError
from events.topics import CUSTOMER_MASTERS, ERP_REPLIES, SALES_ORDERS
from producers.kafka import MessageProducer

log = logging.getLogger(__name__)

# A commit refused because the group is moving (its coordinator's broker died, a rebalance
# took the partitions): the requests it covered are read again, by this worker or the
# one that got them, and answered again with the same reply (same event id, which the
# core ignores as a duplicate). Any other commit error still stops the worker.
REBALANCING = frozenset({
    KafkaError._ASSIGNMENT_LOST, KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.ILLEGAL_GENERATION, KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError.REQUEST_TIMED_OUT,
    KafkaError._TRANSPORT, KafkaError._TIMED_OUT, KafkaError._NO_OFFSET,
    KafkaError._STATE,
})


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
                    commit(consumer)
    finally:
        consumer.close()
    return replies


def commit(consumer: Consumer) -> None:
    """Commit what was consumed; a commit the group's movement refused is logged, not
    raised (REBALANCING: the requests are answered again, harmlessly)."""
    try:
        consumer.commit(asynchronous=False)
    except KafkaException as exc:
        if exc.args[0].code() not in REBALANCING:
            raise
        log.warning("erp: requests answered but not committed (%s); they will be "
                    "answered again", exc.args[0].str())
