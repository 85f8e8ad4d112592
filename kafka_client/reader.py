"""One loop for reading partitions to their ends: `crm rebuild`'s fast path, the backfill's
folding follower and the record count all read this way.

Each partition is read from its start offset; records at or past its end (those that
came after the ends were taken) are dropped; a partition whose position reached its end
is paused, and the reading stops once all have. The ends are either known up front or
learned later (the backfill's follower reads a log that is still being published and
only learns its ends once the publisher is done): `ends` may be a function that answers
None until they are final.

A partition is done when the consumer's position reaches its end, not when a record at
`end - 1` arrives: under `read_committed` (librdkafka's default, which every caller keeps)
transaction markers and aborted records take offsets but are never delivered, and the
position moves past them (kafka_client/offsets.py says which end that is).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition

log = logging.getLogger(__name__)
Partition = tuple[str, int]
Ends = Mapping[Partition, int]
_WAIT = 0.5  # seconds one consume waits for records


class PartitionReader:
    """A consumer assigned partitions (no group to join) and read to their ends; a
    context manager that closes it."""

    def __init__(self, config: dict[str, Any]) -> None:
        """`config`: the librdkafka settings of the consumer."""
        self._consumer = Consumer(config)
        self.ends: dict[Partition, int] | None = None
        """Every partition's end, once known (as `ends` gave them)."""

    def __enter__(self) -> PartitionReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the consumer."""
        self._consumer.close()

    def partitions(self, topics: Iterable[str]) -> list[Partition]:
        """Every partition of `topics`, from the cluster's metadata."""
        metadata = self._consumer.list_topics(timeout=30)
        return [(t, p) for t in topics for p in metadata.topics[t].partitions]

    def read(self, starts: Mapping[Partition, int], ends: Ends | Callable[[], Ends | None],
             *, batch: int, timeout: float, what: str) -> Iterator[list[Message]]:
        """Lists of at most about `batch` records (no errors among them), each partition's
        in log order, of every partition in `starts` from its start offset (or a logical
        one: OFFSET_BEGINNING) to its end.

        `ends` are the ends, or a function asked before each fetch until it answers them
        (None: not yet; records are read meanwhile). A list is handed out when it holds
        `batch` records, when a fetch brought nothing new, and at the end. Raises
        `TimeoutError` (naming `what`) when the ends are not reached within `timeout`
        seconds of being known."""
        consumer = self._consumer
        consumer.assign([TopicPartition(t, p, o) for (t, p), o in starts.items()])
        final: dict[Partition, int] | None = None
        remaining: dict[Partition, int] = {}
        deadline = float("inf")
        held: list[Message] = []
        while final is None or remaining:
            if final is None:
                known = ends() if callable(ends) else ends
                if known is not None:
                    final = self.ends = dict(known)
                    remaining = {tp: end for tp, end in final.items()
                                 if tp in starts and end > max(starts[tp], 0)}
                    deadline = time.monotonic() + timeout
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not reach the end of {sorted(remaining)} in "
                                   f"{timeout:.0f}s")
            got = len(held)
            for msg in consumer.consume(num_messages=batch, timeout=_WAIT):
                if msg.error():
                    log.warning("consumer error: %s", msg.error())
                elif final is None or msg.offset() < final.get((msg.topic(), msg.partition()), 0):
                    held.append(msg)  # else: it came after the ends were taken
            if remaining:
                for tp in consumer.position([TopicPartition(t, p) for t, p in remaining]):
                    if tp.offset >= remaining[(tp.topic, tp.partition)]:
                        del remaining[(tp.topic, tp.partition)]
                        consumer.pause([tp])
            if held and (len(held) >= batch or len(held) == got
                         or (final is not None and not remaining)):
                yield held
                held = []
