"""Rebuild the core's state from the input log before a worker resumes, and keep it the
fold of the log when partitions move between workers.

The state is a fold of `crm.commands`; a worker that restarts reads the inputs up to
its group's committed offset without publishing anything, then carries on live.

Under exactly-once (processors/exactly_once.py) it reads `read_committed`: `crm.commands`
then holds the ERP bridge's transactions, an aborted bridged reply was never processed and
must not be folded, and commit markers take offsets. So the fold ends when the consumer's
position passes the committed offset, not at the last record it saw (a record may never
come for the offsets a marker holds).

Several workers may share the core's group (a standby, a rolling restart): only one holds
`crm.commands` at a time, and the others' state stands where they last folded. A worker
that is given the partition after a rebalance resumes at the group's committed offset,
past inputs another worker folded meanwhile: `FoldedInputs` folds those first (or, if its
state is ahead of the log, rebuilds it), so every worker decides on the whole log.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from confluent_kafka import Consumer, TopicPartition

from domain.kernel.state import CrmState
from events.codec import DecodeError
from events.core_group import core_group_consumer, folded_inputs
from events.topics import COMMANDS, CORE_GROUP
from processors.core import CoreProcessor

Isolation = Literal["read_uncommitted", "read_committed"]


def warm_up(processor: CoreProcessor, bootstrap: str, group: str = CORE_GROUP,
            extra: dict[str, str] | None = None,
            isolation: Isolation = "read_uncommitted") -> int:
    """Fold the inputs below the group's committed offset into `processor`; returns that
    offset (the inputs folded, plus the markers passed under `read_committed`)."""
    consumer = core_group_consumer(bootstrap, {**(extra or {}), "isolation.level": isolation},
                                   group)
    try:
        committed = folded_inputs(consumer)
        fold_inputs(processor, consumer, 0, committed)
        return committed
    finally:
        consumer.close()


def fold_inputs(processor: CoreProcessor, consumer: Consumer, start: int, end: int) -> None:
    """Fold the inputs of `crm.commands` at offsets `start` to `end` (excluded) into
    `processor`, read with `consumer` (its isolation level decides what an input is)."""
    if end <= start:
        return
    consumer.assign([TopicPartition(COMMANDS, 0, start)])
    position = start
    while position < end:
        for msg in consumer.consume(num_messages=5000, timeout=1.0):
            if msg.error() or not start <= msg.offset() < end:
                continue
            with contextlib.suppress(DecodeError):  # dead-lettered the first time
                processor.process(processor.codec.decode(msg.value()))
        position = max(position, consumer.position([TopicPartition(COMMANDS, 0)])[0].offset)
    consumer.unassign()


class FoldedInputs:
    """Which inputs of `crm.commands` the processor's state holds: those below `position`.

    The faust agent calls `at(offset)` before it folds the input at `offset`. After a
    rebalance (`rebalanced()`) that input may not follow the last one this worker folded:
    another worker held the partition meanwhile. `catch_up(offset)` then folds the inputs
    in between. Between rebalances a gap is only transaction markers or aborted records,
    which `read_committed` skips: nothing to read.

    The state can also be ahead of `offset`: inputs folded whose offsets were never
    committed are delivered again. At least once, that is harmless (a repeated input
    derives nothing, its events were published the first time); under exactly once
    (`exactly_once=True`) their records were aborted with their transaction, so the state
    is rebuilt from the start of the log and they are derived again.
    """

    def __init__(self, processor: CoreProcessor, bootstrap: str, position: int,
                 extra: dict[str, Any] | None = None, exactly_once: bool = False) -> None:
        isolation = "read_committed" if exactly_once else "read_uncommitted"
        self.processor = processor
        self.position = position
        self.exactly_once = exactly_once
        self.stale = True  # until the first input of an assignment is seen
        self.caught_up = 0  # inputs folded on taking the partition over (for the log)
        self._client = {**(extra or {}), "isolation.level": isolation}
        self._bootstrap = bootstrap

    def rebalanced(self) -> None:
        """The group rebalanced: another worker may have folded inputs meanwhile."""
        self.stale = True

    def catch_up(self, offset: int) -> None:
        """Make the state the fold of every input below `offset` (blocking: a worker
        taking over folds what the previous holder folded since it last had it)."""
        if offset < self.position and self.exactly_once:  # ahead: their records were aborted
            self.processor.state = CrmState()
            self.position = 0
        if offset > self.position:
            consumer = core_group_consumer(self._bootstrap, self._client)
            try:
                before = self.processor.processed
                fold_inputs(self.processor, consumer, self.position, offset)
                self.caught_up += self.processor.processed - before
            finally:
                consumer.close()
        self.position = offset
        self.stale = False

    def at(self, offset: int) -> None:
        """The input at `offset` is folded next (the state holds those below it)."""
        self.position = offset + 1
