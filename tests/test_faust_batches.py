"""The core agent's outputs go to aiokafka as record batches, one per topic partition.

`ProducerBatches` (processors/faust_transport.py) is driven here with aiokafka's own
`BatchBuilder`s; only the producer's `send_batch` is a recorder (no broker). What the batches
hold end to end (the same bytes, partitions and order as the in-process fold) is
tests/test_runtimes_agree.py's job.
"""

from __future__ import annotations

import asyncio

from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch

from processors.faust_transport import ProducerBatches


class _Producer:
    """aiokafka's producer as `ProducerBatches` uses it: real builders, sends recorded."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.sent: list[tuple[str, int, list[bytes]]] = []

    def _ensure_producer(self) -> _Producer:  # faust's producer hands out aiokafka's
        return self

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_size, 0)

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> None:
        records = DefaultRecordBatch(bytes(batch._build()))
        self.sent.append((topic, partition, [r.value for r in records]))


def _run(producer: _Producer, records: list[tuple[str, int, bytes]]) -> None:
    async def go() -> None:
        batches = ProducerBatches(producer)
        for topic, partition, value in records:
            await batches.add(topic, partition, b"key", value)
        await batches.send()

    asyncio.run(go())


def test_records_are_grouped_per_topic_partition_in_their_order() -> None:
    producer = _Producer(batch_size=1 << 16)
    _run(producer, [("crm.leads", 0, b"a"), ("crm.leads", 1, b"b"), ("crm.accounts", 0, b"c"),
                    ("crm.leads", 0, b"d"), ("crm.leads", 1, b"e")])
    assert sorted(producer.sent) == [("crm.accounts", 0, [b"c"]), ("crm.leads", 0, [b"a", b"d"]),
                                     ("crm.leads", 1, [b"b", b"e"])]


def test_a_full_batch_goes_at_once_and_the_partition_keeps_its_order() -> None:
    producer = _Producer(batch_size=300)
    values = [bytes([65 + n]) * 100 for n in range(7)]
    _run(producer, [("crm.leads", 2, v) for v in values])
    assert len(producer.sent) > 1
    assert [v for _, _, batch in producer.sent for v in batch] == values
