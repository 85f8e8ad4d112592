"""Where the core bends faust-streaming's Kafka transport, and why (one place for it).

faust exposes no setting for two things the core needs, so its aiokafka driver classes
are subclassed here and nowhere else:

- the consumer's fetch wait: faust hard-codes aiokafka's `fetch_max_wait_ms` at 1500 ms.
  A broker that does not answer a waiting fetch as soon as data arrives (the embedded
  Tansu) then holds new inputs for up to that long; `FETCH_MAX_WAIT_MS` caps it. Much
  shorter waits cost the broker more CPU in extra fetches than they save
  (docs/benchmarks.md, item "faust producer linger 10 ms, consumer fetch wait 50 ms");
- the transaction manager: faust's own picks a transaction by the output partition, which
  does not work for output-only topics, so `processors.exactly_once.OutputTransactions`
  replaces it (used only under the exactly-once guarantee; docs/kafka.md, "Exactly once").

`PRODUCER_LINGER_MS` batches outputs briefly instead of one produce request per send
(aiokafka's default linger is 0); faust takes it as an ordinary setting.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from processors.exactly_once import OutputTransactions

PRODUCER_LINGER_MS = 10
FETCH_MAX_WAIT_MS = 50


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer
    TransactionManager = OutputTransactions  # used only under exactly_once


class CoreApp(faust.App):
    """faust.App with the core's transport: the capped fetch wait, our transactions."""

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
