"""Where the core bends faust-streaming's Kafka transport, and why (one place for it).

faust exposes no setting for two things the core needs, so its aiokafka driver classes
are subclassed here and nowhere else:

- the consumer's fetch wait: faust hard-codes aiokafka's `fetch_max_wait_ms` at 1500 ms.
  A broker that does not answer a waiting fetch as soon as data arrives (the embedded
  Tansu) then holds new inputs for part of that wait; `FETCH_MAX_WAIT_MS` caps it. It is
  a hop of every command's way to its row: 20 ms, as the projector's fetch wait (idle
  workers used no measurably more CPU than at 50 ms; docs/benchmarks.md, "Live path");
- the transaction manager: faust's own picks a transaction by the output partition, which
  does not work for output-only topics, so `processors.exactly_once.OutputTransactions`
  replaces it (used only under the exactly-once guarantee; docs/kafka.md, "Exactly once").

- the producer's record batches: aiokafka can take a whole batch of records for one
  partition (`create_batch` / `send_batch`), faust does not expose it; `ProducerBatches`
  reaches aiokafka's producer under faust's to hand the at-least-once agent's outputs over
  one batch per partition (transactions keep faust's per-record send: aiokafka's
  `send_batch` does not add a partition to the open transaction);
- the Monitor sensor: faust calls it several times per event (message in, stream in and
  out, send) to keep statistics nothing of ours reads; `CoreApp` leaves it out of the
  sensors (faust's direct calls to `app.monitor` still work).

`PRODUCER_LINGER_MS` batches outputs briefly instead of one produce request per send
(aiokafka's default linger is 0); faust takes it as an ordinary setting.
"""

from __future__ import annotations

from typing import Any

import faust
from aiokafka.producer.message_accumulator import BatchBuilder
from faust.transport.drivers import aiokafka as faust_aiokafka

from processors.exactly_once import OutputTransactions

PRODUCER_LINGER_MS = 10
PRODUCER_MAX_BATCH_BYTES = 512 * 1024  # a batch of inputs' outputs per partition, whole
FETCH_MAX_WAIT_MS = 20


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
    """faust.App with the core's transport (the capped fetch wait, our transactions) and
    no per-event Monitor sensor."""

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)

    def on_init_dependencies(self) -> Any:
        """faust's services, without the Monitor among the sensors."""
        services = super().on_init_dependencies()  # adds the monitor to the sensors
        self.sensors.remove(self.monitor)
        return services


class ProducerBatches:
    """Records for the app's (non-transactional) producer, gathered in one aiokafka record
    batch per topic partition and handed over with `send`; a full batch goes at once."""

    def __init__(self, producer: Any) -> None:
        self.producer = producer._ensure_producer()  # faust's aiokafka producer
        self.batches: dict[tuple[str, int], BatchBuilder] = {}

    async def add(self, topic: str, partition: int, key: bytes, value: bytes) -> None:
        """Add one record (timestamped now, as a send would)."""
        batch = self.batches.get((topic, partition))
        if batch is None:
            batch = self.batches[(topic, partition)] = self.producer.create_batch()
        if batch.append(timestamp=None, key=key, value=value) is None:  # full
            await self.producer.send_batch(batch, topic, partition=partition)
            batch = self.batches[(topic, partition)] = self.producer.create_batch()
            if batch.append(timestamp=None, key=key, value=value) is None:
                raise ValueError(f"a record of {len(value)} bytes is over the batch size")

    async def send(self) -> None:
        """Hand every batch to the producer (delivery is awaited by faust's flush)."""
        batches, self.batches = self.batches, {}
        for (topic, partition), batch in batches.items():
            batch.close()  # aiokafka would otherwise let its own sends append to it
            await self.producer.send_batch(batch, topic, partition=partition)
